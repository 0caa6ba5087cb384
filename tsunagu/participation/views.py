"""Pages of 参加支援: each checks access (`participation.access`, `people.access`), makes one
domain call and renders. A host's staff read a placement shared with them, nothing more."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.accounts.http import AuthenticatedHttpRequest, id_param
from tsunagu.consent.selectors import consents_in_force
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.core.forms import add_service_errors
from tsunagu.core.once import submit_once_then_redirect
from tsunagu.participation import forms as f
from tsunagu.participation.access import placement_get_for, placements_shown, profile_get_for
from tsunagu.participation.models import PlacementStage
from tsunagu.participation.selectors import (
    attendances_of,
    follow_up_of,
    host_supports_for,
    hosts_for,
    offers_for,
    participation_counts,
    participation_work,
    placements_for,
    profile_for_host,
    suggestions,
)
from tsunagu.participation.services import (
    TRANSITIONS,
    OfferData,
    PlacementData,
    ProfileData,
    attendance_record,
    follow_up_months,
    follow_up_record,
    host_support_record,
    may_edit_hosts,
    offer_create,
    placement_propose,
    placement_step,
    profile_save,
)
from tsunagu.people.access import person_get_for
from tsunagu.resources.models import CommunityResource

WEB = AccessLog.Channel.WEB


def _errors(request: AuthenticatedHttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _form_errors(request: AuthenticatedHttpRequest, form: object) -> None:
    errors = getattr(form, "errors", {})
    messages.error(
        request, "入力を確かめてください: " + " ".join(str(e) for es in errors.values() for e in es)
    )


def work(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Follow-ups due and placements without attendance for N weeks (?weeks=)."""
    weeks_text = request.GET.get("weeks", "")
    weeks = (
        int(weeks_text)
        if weeks_text.isascii() and weeks_text.isdecimal() and 0 < int(weeks_text) <= 52
        else 2
    )
    return render(
        request,
        "participation/work.html",
        {"work": participation_work(user=request.user, no_attendance_weeks=weeks)},
    )


def hosts(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "participation/hosts.html",
        {"hosts": hosts_for(user=request.user), "editor": may_edit_hosts(request.user)},
    )


def _host(request: AuthenticatedHttpRequest, host_id: int) -> CommunityResource:
    found = hosts_for(user=request.user).filter(pk=host_id).first()
    if found is None:
        raise Http404
    return found


@require_http_methods(["GET", "POST"])
def host_detail(request: AuthenticatedHttpRequest, host_id: int) -> HttpResponse:
    """A host: its offers (with places in use), the support given to it; add an offer."""
    host = _host(request, host_id)
    editor = may_edit_hosts(request.user, host)
    form = f.OfferForm(request.POST or None)
    if request.method == "POST":
        if not editor:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            data = OfferData(**{k: v for k, v in d.items() if k != "form_token"})
            back = reverse("participation:host", kwargs={"host_id": host.pk})
            sent = submit_once_then_redirect(
                request,
                form=form,
                write=lambda: offer_create(user=request.user, resource=host, data=data),
                url=lambda _: back,
                success="受け入れの内容を登録しました",
                back=back,
                errors_on_form=True,
            )
            if sent is not None:
                return sent
    offers = offers_for(user=request.user, active_only=False).filter(resource=host)
    return render(
        request,
        "participation/host.html",
        {
            "host": host,
            "offers": offers,
            "supports": host_supports_for(user=request.user, resource=host),
            # a support's free text is shown to the organization that gave it only
            "organization_id": user_organization(request.user).pk,
            "form": form if editor else None,
            "support_form": f.HostSupportForm(initial={"supported_on": timezone.localdate()}),
        },
    )


@require_POST
def host_support(request: AuthenticatedHttpRequest, host_id: int) -> HttpResponse:
    host = _host(request, host_id)
    if not may_edit_hosts(request.user, host):
        raise Http404
    form = f.HostSupportForm(request.POST)
    back = reverse("participation:host", kwargs={"host_id": host.pk})
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    d = form.cleaned_data
    return submit_once_then_redirect(
        request,
        form=form,
        write=lambda: host_support_record(
            user=request.user,
            resource=host,
            supported_on=d["supported_on"],
            kind=d["kind"],
            note=d["note"],
        ),
        url=lambda _: back,
        success="受け入れ先への支援を記録しました",
        back=back,
    )


@require_http_methods(["GET", "POST"])
def person(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """A person's needs profile, ranked host suggestions and placements (holding organization)."""
    access = person_get_for(user=request.user, person_id=person_id, channel=WEB, own=True)
    profile = profile_get_for(user=request.user, person_id=access.person.pk, channel=WEB)
    initial = {}
    if profile is not None:
        initial = {
            k: getattr(profile, k)
            for k in (
                "interests",
                "kinds",
                "weekdays",
                "times",
                "needs_barrier_free",
                "audience",
                "limits",
                "goals",
                "support_needed",
            )
        }
    form = f.ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            profile_save(
                user=request.user, person=access.person, data=ProfileData(**form.cleaned_data)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "参加の希望を保存しました")
            return redirect("participation:person", person_id=access.person.pk)
    placements = list(placements_for(user=request.user, person_id=access.person.pk))
    placements_shown(user=request.user, placements=placements, channel=WEB)
    today = timezone.localdate()
    ranked = suggestions(user=request.user, profile=profile) if profile else []
    return render(
        request,
        "participation/person.html",
        {
            "person": access.person,
            "profile": profile,
            "form": form,
            "suggestions": ranked,
            "placements": placements,
            "propose_form": f.ProposeForm(
                initial={"proposed_on": today},
                offers=[s.offer for s in ranked if s.available],
                consents=consents_in_force(user=request.user, person=access.person, on=today),
            ),
        },
    )


@require_POST
def propose(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    access = person_get_for(
        user=request.user, person_id=person_id, channel=WEB, action=AccessLog.Action.VIEW, own=True
    )
    back = reverse("participation:person", kwargs={"person_id": access.person.pk})
    form = f.ProposeForm(
        request.POST,
        consents=consents_in_force(
            user=request.user, person=access.person, on=timezone.localdate()
        ),
        offers=offers_for(user=request.user, active_only=False),
    )
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    d = form.cleaned_data
    offer = offers_for(user=request.user, active_only=False).filter(pk=d["offer"]).first()
    if offer is None:
        messages.error(request, "受け入れ先が見つかりません")
        return redirect(back)
    data = PlacementData(
        proposed_on=d["proposed_on"],
        consent=d["consent"],
        share_profile=d["share_profile"],
        share_contact=d["share_contact"],
        note=d["note"],
    )
    return submit_once_then_redirect(
        request,
        form=form,
        write=lambda: placement_propose(
            user=request.user, person=access.person, offer=offer, data=data
        ),
        url=lambda p: reverse("participation:placement", kwargs={"placement_id": p.pk}),
        success="受け入れ先を提案しました",
        back=back,
    )


def placement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    stage = request.GET.get("stage", "")
    if stage not in PlacementStage.values:
        stage = ""
    page = Paginator(placements_for(user=request.user, stage=stage), 50).get_page(
        request.GET.get("page")
    )
    accesses = placements_shown(user=request.user, placements=page.object_list, channel=WEB)
    return render(
        request,
        "participation/placements.html",
        {"page": page, "accesses": accesses, "stage": stage, "stages": PlacementStage.choices},
    )


def placement_detail(request: AuthenticatedHttpRequest, placement_id: int) -> HttpResponse:
    access = placement_get_for(user=request.user, placement_id=placement_id, channel=WEB)
    placement = access.placement
    today = timezone.localdate()
    context: dict[str, object] = {"access": access, "placement": placement}
    if access.holder:
        context.update(
            attendances=attendances_of(user=request.user, placement=placement),
            follow_up=follow_up_of(user=request.user, placement=placement),
            steps=[
                (step, label)
                for step, label in (
                    ("trial", "見学・体験"),
                    ("start", "利用開始"),
                    ("end", "終了"),
                    ("decline", "辞退"),
                )
                if placement.stage in TRANSITIONS[step][0]
            ],
            step_form=f.StepForm(initial={"on": today}),
            attendance_form=f.AttendanceForm(initial={"attended_on": today}),
            follow_up_form=f.FollowUpForm(initial={"done_on": today}),
            months=follow_up_months(user_organization(request.user).municipality),
        )
    else:
        context["profile"] = profile_for_host(access=access)
    return render(request, "participation/placement.html", context)


@require_POST
def step(request: AuthenticatedHttpRequest, placement_id: int, step: str) -> HttpResponse:
    access = placement_get_for(
        user=request.user, placement_id=placement_id, channel=WEB, own=True, action=None
    )
    if step not in TRANSITIONS:
        raise Http404
    form = f.StepForm(request.POST)
    if form.is_valid():
        try:
            placement_step(
                user=request.user,
                placement=access.placement,
                step=step,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, "記録しました")
        except ValidationError as exc:
            _errors(request, exc)
    else:
        _form_errors(request, form)
    return redirect("participation:placement", placement_id=access.placement.pk)


@require_POST
def attendance(request: AuthenticatedHttpRequest, placement_id: int) -> HttpResponse:
    access = placement_get_for(
        user=request.user, placement_id=placement_id, channel=WEB, own=True, action=None
    )
    back = reverse("participation:placement", kwargs={"placement_id": access.placement.pk})
    form = f.AttendanceForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    d = form.cleaned_data
    return submit_once_then_redirect(
        request,
        form=form,
        write=lambda: attendance_record(
            user=request.user,
            placement=access.placement,
            attended_on=d["attended_on"],
            attended=d["attended"],
            note=d["note"],
        ),
        url=lambda _: back,
        success="参加を記録しました",
        back=back,
    )


@require_POST
def follow_up(request: AuthenticatedHttpRequest, placement_id: int) -> HttpResponse:
    access = placement_get_for(
        user=request.user, placement_id=placement_id, channel=WEB, own=True, action=None
    )
    form = f.FollowUpForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            follow_up_record(
                user=request.user,
                placement=access.placement,
                done_on=d["done_on"],
                result=d["result"],
                note=d["note"],
            )
            messages.success(request, "フォローアップを記録しました")
        except ValidationError as exc:
            _errors(request, exc)
    else:
        _form_errors(request, form)
    return redirect("participation:placement", placement_id=access.placement.pk)


def counts(request: AuthenticatedHttpRequest) -> HttpResponse:
    municipality = user_organization(request.user).municipality
    current = fiscal_year_of(timezone.localdate(), start_month=municipality.fiscal_year_start_month)
    year = request.GET.get("year", "")
    fiscal_year = id_param(year) if year else current
    if not 2000 <= fiscal_year <= 2100:
        raise Http404
    return render(
        request,
        "participation/counts.html",
        {"counts": participation_counts(municipality=municipality, fiscal_year=fiscal_year)},
    )
