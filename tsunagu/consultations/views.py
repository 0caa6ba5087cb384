from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.accounts.http import AuthenticatedHttpRequest, id_param
from tsunagu.consultations.access import ConsultationAccess, consultation_get_for
from tsunagu.consultations.forms import ConsultationFilterForm, ConsultationForm, FollowUpForm
from tsunagu.consultations.models import Consultation, Topic
from tsunagu.consultations.selectors import (
    consultation_counts,
    consultation_counts_by_site,
    consultation_history,
    consultation_page_for,
    own_consultations,
)
from tsunagu.consultations.services import (
    consultation_create,
    consultation_follow_up,
    consultation_link_person,
    consultation_update,
)
from tsunagu.core.fiscal import fiscal_year_of, parse_wareki_fiscal_year
from tsunagu.core.forms import add_service_errors
from tsunagu.core.history import form_version
from tsunagu.core.once import AlreadySubmitted, submit_once
from tsunagu.core.sections import sections_for
from tsunagu.organizations.selectors import (
    organization_lines,
    organization_sites,
    referral_suggestions,
)
from tsunagu.people.access import person_accesses, person_get_for

WEB = AccessLog.Channel.WEB
CONSULTATION_PAGE = "consultations:detail"


def consultation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The window's own consultations, with filters and its 新規・延べ counts."""
    organization = user_organization(request.user)
    form = ConsultationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    is_new = {"1": True, "0": False}.get(filters.get("is_new") or "")
    consultations = own_consultations(
        user=request.user,
        topic=filters.get("topic") or "",
        channel=filters.get("channel") or "",
        response=filters.get("response") or "",
        is_new=is_new,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = consultation_page_for(
        user=request.user,
        consultations=consultations,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    today_fy = fiscal_year_of(
        timezone.localdate(), start_month=organization.municipality.fiscal_year_start_month
    )
    try:
        fiscal_year = (
            parse_wareki_fiscal_year(request.GET["fy"]) if request.GET.get("fy") else today_fy
        )
    except ValueError:
        fiscal_year = today_fy
    context = {
        "form": form,
        "page": page,
        "organization": organization,
        "counts": consultation_counts(organization=organization, fiscal_year=fiscal_year),
        "years": range(today_fy - 3, today_fy + 1),
    }
    return render(request, "consultations/list.html", context)


def site_counts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """拠点別の件数: a plan line's 新規・延べ counts per centre and summed (「6箇所合計」).
    Numbers only. A line (or its 所管課) sees all its centres; a centre sees only itself."""
    organization = user_organization(request.user)
    today_fy = fiscal_year_of(
        timezone.localdate(), start_month=organization.municipality.fiscal_year_start_month
    )
    try:
        fiscal_year = (
            parse_wareki_fiscal_year(request.GET["fy"]) if request.GET.get("fy") else today_fy
        )
    except ValueError:
        fiscal_year = today_fy
    lines = [
        consultation_counts_by_site(line=line, fiscal_year=fiscal_year)
        for line in organization_lines(organization=organization)
    ]
    context = {
        "lines": lines,
        "fiscal_year": fiscal_year,
        "years": range(today_fy - 3, today_fy + 1),
    }
    return render(request, "consultations/site_counts.html", context)


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """相談受付: any window takes any consultation, for a known person or anonymously."""
    person_id = request.GET.get("person") or request.POST.get("person")
    access = None
    if person_id:
        access = person_get_for(user=request.user, person_id=id_param(person_id), channel=WEB)
    form = ConsultationForm(
        request.POST or None,
        sites=organization_sites(organization=user_organization(request.user)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            consultation = submit_once(
                form=form,
                write=lambda: consultation_create(
                    user=request.user,
                    person=access.person if access else None,
                    data=form.to_data(),
                ),
                url=_url,
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or "consultations:list")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "相談を受け付けました")
            return redirect("consultations:detail", consultation_id=consultation.pk)
    return render(request, "consultations/form.html", {"form": form, "access": access})


@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, consultation_id: int) -> HttpResponse:
    """Correct a consultation (only the window that took it); a form opened before someone
    else's save is refused, naming what they changed."""
    access = consultation_get_for(
        user=request.user, consultation_id=consultation_id, channel=WEB, own=True
    )
    consultation = access.consultation
    sites = organization_sites(organization=user_organization(request.user))
    form = ConsultationForm(request.POST or None, sites=sites)
    if not form.is_bound:
        form.initial.update(
            received_at=timezone.localtime(consultation.received_at).strftime("%Y-%m-%dT%H:%M"),
            channel=consultation.channel,
            requester=consultation.requester,
            requester_detail=consultation.requester_detail,
            topics=[t.topic for t in consultation.topics.all()],
            main_topic=consultation.main_topic,
            content=consultation.content,
            response=consultation.response,
            is_new="1" if consultation.is_new else "0",
            anonymous_label=consultation.anonymous_label,
            site=consultation.site_id,
        )
    if request.method == "POST" and form.is_valid():
        try:
            consultation_update(
                user=request.user,
                consultation=consultation,
                data=form.to_data(),
                expected_version=form_version(request.POST),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "相談の記録を更新しました")
            return redirect("consultations:detail", consultation_id=consultation.pk)
    return render(
        request,
        "consultations/form.html",
        {"form": form, "consultation": consultation, "person": consultation.person},
    )


def detail(request: AuthenticatedHttpRequest, consultation_id: int) -> HttpResponse:
    """One consultation, printable as the 相談受付票; the receiving window of a referral sees
    here what the sender shared, without asking the person again."""
    return _detail(
        request,
        consultation_get_for(user=request.user, consultation_id=consultation_id, channel=WEB),
    )


def _url(consultation: Consultation) -> str:
    return reverse("consultations:detail", kwargs={"consultation_id": consultation.pk})


def _detail(
    request: AuthenticatedHttpRequest,
    access: ConsultationAccess,
    *,
    follow_up_form: FollowUpForm | None = None,
) -> HttpResponse:
    """The consultation's page; a follow-up that was refused comes back filled in."""
    consultation = access.consultation
    person_view = None
    if consultation.person is not None:
        # the person's fields as the user may see them; the read is the consultation's, logged
        person_view = person_accesses(user=request.user, persons=[consultation.person]).get(
            consultation.person.pk
        )
    own = access.own
    topics = [t.topic for t in consultation.topics.all()]
    municipality = consultation.organization.municipality
    context = {
        "consultation": consultation,
        "own": own,
        "person_view": person_view,
        "topics": topics,
        "all_topics": Topic.choices,
        # the follow-ups and referrals of the window's own consultation are its own records
        "follow_ups": consultation.follow_ups.all().order_by("received_at") if own else [],
        "history": consultation_history(access=access),
        # what higher apps add to the page (the 多機関協働 request of a consultation so marked)
        "sections": sections_for(CONSULTATION_PAGE, user=request.user, access=access),
        "follow_up_form": (follow_up_form or FollowUpForm()) if own else None,
        "referrals": [
            (r, r.is_overdue)
            for r in consultation.referrals.select_related("to_organization", "from_organization")
        ]
        if own
        else [],
    }
    if own:
        context["suggest_area"], context["suggest_topics"] = referral_suggestions(
            municipality=municipality,
            topics=topics,
            address=_suggestion_address(consultation),
            exclude=consultation.organization_id,
        )
    return render(request, "consultations/detail.html", context)


def _suggestion_address(consultation: Consultation) -> str:
    """The address that says which district's centre is the person's (none when protected)."""
    person = consultation.person
    if person is None or person.address_protection_applies:
        return ""
    return person.address


@require_POST
def follow_up(request: AuthenticatedHttpRequest, consultation_id: int) -> HttpResponse:
    """Quick entry of a further contact (延べ件数), from the consultation page."""
    access = consultation_get_for(
        user=request.user,
        consultation_id=consultation_id,
        channel=WEB,
        action=AccessLog.Action.UPDATE,
        own=True,
    )
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            submit_once(
                form=form,
                write=lambda: consultation_follow_up(
                    user=request.user,
                    follows=access.consultation,
                    received_at=form.cleaned_data["received_at"],
                    channel=form.cleaned_data["channel"],
                    content=form.cleaned_data["content"],
                    response=form.cleaned_data["response"],
                ),
                url=lambda _: _url(access.consultation),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or _url(access.consultation))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "継続の相談を記録しました")
            return redirect("consultations:detail", consultation_id=consultation_id)
    return _detail(request, access, follow_up_form=form)


@require_POST
def link_person(request: AuthenticatedHttpRequest, consultation_id: int) -> HttpResponse:
    """Attach a person to an anonymous consultation once they are identified."""
    person_id = id_param(request.POST.get("person"))
    access = consultation_get_for(
        user=request.user,
        consultation_id=consultation_id,
        channel=WEB,
        action=AccessLog.Action.UPDATE,
        own=True,
    )
    person = person_get_for(user=request.user, person_id=person_id, channel=WEB).person
    try:
        consultation_link_person(user=request.user, consultation=access.consultation, person=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("consultations:detail", consultation_id=consultation_id)
