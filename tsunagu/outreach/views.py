"""Pages of アウトリーチ: each checks access through `outreach.access`, makes one domain call and
renders. Changes are the holding organization's (404 for anyone else)."""

from __future__ import annotations

import datetime as dt

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
from tsunagu.cases.access import case_get_for
from tsunagu.cases.services import coordinating_organizations
from tsunagu.consultations.services import ConsultationData
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.core.once import submit_once_then_redirect
from tsunagu.outreach import forms as f
from tsunagu.outreach.access import target_get_for, targets_shown
from tsunagu.outreach.models import ActivityKind, OutreachActivity, Stage
from tsunagu.outreach.selectors import (
    activities_for,
    contacts_of,
    outreach_counts,
    outreach_work,
    targets_for,
)
from tsunagu.outreach.services import (
    ActivityData,
    ContactData,
    TargetData,
    activity_create,
    contact_record,
    session_consultation_add,
    target_check_in_schedule,
    target_create,
    target_identify,
    target_stage_change,
)
from tsunagu.people.access import person_get_for

WEB = AccessLog.Channel.WEB


def _errors(request: AuthenticatedHttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _days(value: str, default: int) -> int:
    return (
        int(value) if value.isascii() and value.isdecimal() and 0 < int(value) <= 3650 else default
    )


def work(request: AuthenticatedHttpRequest) -> HttpResponse:
    """見守り due and targets without contact for N days (?days=)."""
    days = _days(request.GET.get("days", ""), 30)
    return render(
        request,
        "outreach/work.html",
        {"work": outreach_work(user=request.user, no_contact_days=days)},
    )


def target_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    stage = request.GET.get("stage", "")
    if stage not in Stage.values:
        stage = ""
    page = Paginator(targets_for(user=request.user, stage=stage), 50).get_page(
        request.GET.get("page")
    )
    targets_shown(user=request.user, targets=page.object_list, channel=WEB)
    return render(
        request,
        "outreach/targets.html",
        {"page": page, "stage": stage, "stages": Stage.choices, "today": timezone.localdate()},
    )


@require_http_methods(["GET", "POST"])
def target_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = f.TargetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = TargetData(
            label=d["label"],
            noticed_on=d["noticed_on"],
            source=d["source"],
            whereabouts=d["whereabouts"],
            concern=d["concern"],
            source_detail=d["source_detail"],
            check_in_every_days=d["check_in_every_days"],
        )
        sent = submit_once_then_redirect(
            request,
            form=form,
            write=lambda: target_create(user=request.user, data=data),
            url=lambda t: reverse("outreach:target", kwargs={"target_id": t.pk}),
            success="対象者を登録しました",
            back=reverse("outreach:targets"),
            errors_on_form=True,
        )
        if sent is not None:
            return sent
    return render(request, "outreach/target_form.html", {"form": form})


def target_detail(request: AuthenticatedHttpRequest, target_id: int) -> HttpResponse:
    target = target_get_for(user=request.user, target_id=target_id, channel=WEB)
    organization = user_organization(request.user)
    holder = target.organization_id == organization.pk
    # the next steps once the person is known: the coordinating organization opens the case
    # and writes the アウトリーチ等支援 plan
    coordinating = (
        holder
        and coordinating_organizations(municipality=organization.municipality)
        .filter(pk=organization.pk)
        .exists()
    )
    return render(
        request,
        "outreach/target.html",
        {
            "target": target,
            "holder": holder,
            "coordinating": coordinating,
            "contacts": contacts_of(user=request.user, target=target),
            "contact_form": f.ContactForm(initial={"contacted_on": timezone.localdate()}),
            "stage_form": f.StageForm(initial={"stage": target.stage}),
            "check_in_form": f.CheckInForm(
                initial={
                    "every_days": target.check_in_every_days,
                    "next_on": target.next_check_in_on,
                }
            ),
            "identify_form": f.IdentifyForm(),
        },
    )


@require_POST
def contact_add(request: AuthenticatedHttpRequest, target_id: int) -> HttpResponse:
    target = target_get_for(
        user=request.user, target_id=target_id, channel=WEB, own=True, action=None
    )
    form = f.ContactForm(request.POST)
    back = reverse("outreach:target", kwargs={"target_id": target.pk})
    if not form.is_valid():
        messages.error(
            request,
            "入力を確かめてください: "
            + " ".join(str(e) for es in form.errors.values() for e in es),
        )
        return redirect(back)
    d = form.cleaned_data
    data = ContactData(
        contacted_on=d["contacted_on"],
        method=d["method"],
        outcome=d["outcome"],
        place=d["place"],
        companions=d["companions"],
        note=d["note"],
    )
    return submit_once_then_redirect(
        request,
        form=form,
        write=lambda: contact_record(user=request.user, target=target, data=data),
        url=lambda _: back,
        success="接触を記録しました",
        back=back,
    )


@require_POST
def stage(request: AuthenticatedHttpRequest, target_id: int) -> HttpResponse:
    target = target_get_for(
        user=request.user, target_id=target_id, channel=WEB, own=True, action=None
    )
    form = f.StageForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            target_stage_change(
                user=request.user, target=target, stage=d["stage"], on=d["on"], reason=d["reason"]
            )
            messages.success(request, "段階を変えました")
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, "段階を選んでください")
    return redirect("outreach:target", target_id=target.pk)


@require_POST
def check_in(request: AuthenticatedHttpRequest, target_id: int) -> HttpResponse:
    target = target_get_for(
        user=request.user, target_id=target_id, channel=WEB, own=True, action=None
    )
    form = f.CheckInForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            target_check_in_schedule(
                user=request.user, target=target, every_days=d["every_days"], next_on=d["next_on"]
            )
            messages.success(request, "見守りの予定を変えました")
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, "見守りの間隔は1〜365日で入力してください")
    return redirect("outreach:target", target_id=target.pk)


@require_POST
def identify(request: AuthenticatedHttpRequest, target_id: int) -> HttpResponse:
    target = target_get_for(
        user=request.user, target_id=target_id, channel=WEB, own=True, action=None
    )
    form = f.IdentifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "本人の記録の番号を入力してください")
        return redirect("outreach:target", target_id=target.pk)
    d = form.cleaned_data
    try:
        person = person_get_for(user=request.user, person_id=d["person"], channel=WEB).person
        case = (
            case_get_for(user=request.user, case_id=d["case"], channel=WEB).case
            if d["case"]
            else None
        )
    except Http404:
        messages.error(request, "本人の記録または事例が見つかりません")
        return redirect("outreach:target", target_id=target.pk)
    try:
        target_identify(user=request.user, target=target, person=person, case=case)
        messages.success(request, "本人の記録につなぎました")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("outreach:target", target_id=target.pk)


# --- activities -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def activities(request: AuthenticatedHttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in ActivityKind.values:
        kind = ""
    form = f.ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = ActivityData(**{k: v for k, v in d.items() if k != "form_token"})
        sent = submit_once_then_redirect(
            request,
            form=form,
            write=lambda: activity_create(user=request.user, data=data),
            url=lambda a: reverse("outreach:activity", kwargs={"outreach_activity_id": a.pk}),
            success="活動を記録しました",
            back=reverse("outreach:activities"),
            errors_on_form=True,
        )
        if sent is not None:
            return sent
    page = Paginator(activities_for(user=request.user, kind=kind), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "outreach/activities.html",
        {"page": page, "form": form, "kind": kind, "kinds": ActivityKind.choices},
    )


def _activity(request: AuthenticatedHttpRequest, outreach_activity_id: int) -> OutreachActivity:
    found = activities_for(user=request.user).filter(pk=outreach_activity_id).first()
    if found is None:
        raise Http404
    return found


def activity_detail(request: AuthenticatedHttpRequest, outreach_activity_id: int) -> HttpResponse:
    activity = _activity(request, outreach_activity_id)
    own = activity.organization_id == user_organization(request.user).pk
    return render(
        request,
        "outreach/activity.html",
        {
            "activity": activity,
            "own": own,
            "form": f.SessionConsultationForm()
            if own and activity.kind == ActivityKind.SESSION
            else None,
        },
    )


@require_POST
def session_consultation(
    request: AuthenticatedHttpRequest, outreach_activity_id: int
) -> HttpResponse:
    """A consultation taken at the session: one of the window that ran it (404 for others)."""
    activity = _activity(request, outreach_activity_id)
    if activity.organization_id != user_organization(request.user).pk:
        raise Http404
    form = f.SessionConsultationForm(request.POST)
    back = reverse("outreach:activity", kwargs={"outreach_activity_id": activity.pk})
    if not form.is_valid():
        messages.error(
            request,
            "入力を確かめてください: "
            + " ".join(str(e) for es in form.errors.values() for e in es),
        )
        return redirect(back)
    d = form.cleaned_data
    received = timezone.make_aware(dt.datetime.combine(activity.held_on, d["received_time"]))
    data = ConsultationData(
        received_at=received,
        channel="outreach_session",
        requester=d["requester"],
        main_topic=d["main_topic"],
        content=d["content"],
        response=d["response"],
        anonymous_label=d["anonymous_label"],
    )
    return submit_once_then_redirect(
        request,
        form=form,
        write=lambda: session_consultation_add(
            user=request.user, activity=activity, person=None, data=data
        ),
        url=lambda c: reverse("consultations:detail", kwargs={"consultation_id": c.pk}),
        success="相談を記録しました（この窓口の相談として登録されます）",
        back=back,
    )


def counts(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = user_organization(request.user)
    municipality = organization.municipality
    current = fiscal_year_of(timezone.localdate(), start_month=municipality.fiscal_year_start_month)
    year = request.GET.get("year", "")
    fiscal_year = id_param(year) if year else current
    if not 2000 <= fiscal_year <= 2100:
        raise Http404
    return render(
        request,
        "outreach/counts.html",
        {"counts": outreach_counts(municipality=municipality, fiscal_year=fiscal_year)},
    )
