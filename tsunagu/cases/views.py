"""Pages of 多機関協働: each checks access through `cases.access`, makes one domain call, renders.
Pages that change a case are the coordinating organization's (404 for anyone else); team
organizations read the case, add to its timeline, add their own records and record monitoring."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.statutes import statutes_for
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.accounts.models import User
from tsunagu.cases import forms as f
from tsunagu.cases.access import CaseAccess, case_get_for, case_request_get_for
from tsunagu.cases.models import (
    CaseMember,
    CaseOrigin,
    CaseTeamMember,
    PlanAction,
    PlanKind,
    PlanStatus,
    ResourceGap,
    SupportPlan,
)
from tsunagu.cases.printing import FORMS, sheet_pdf
from tsunagu.cases.selectors import (
    case_choices,
    case_detail,
    case_page_for,
    case_print_for,
    cases_for,
    person_cases_section,
    resource_gap_report,
    resource_gaps_for,
    work_list,
)
from tsunagu.cases.services import (
    ActionData,
    assessment_create,
    case_close,
    case_create,
    case_event_add,
    case_from_referral,
    case_member_add,
    case_member_remove,
    case_request_accept,
    case_request_create,
    case_request_decline,
    case_request_from_referral,
    case_status_change,
    case_team_join,
    case_team_leave,
    coordinating_organizations,
    monitoring_record,
    plan_confer,
    plan_create,
    plan_start,
    plan_update,
    resource_gap_status_change,
)
from tsunagu.cases.sheets import ASSESSMENT_ITEMS
from tsunagu.consent.models import Consent
from tsunagu.consent.selectors import consents_in_force
from tsunagu.consultations.access import consultation_get_for
from tsunagu.core.export import csv_download
from tsunagu.core.fiscal import fiscal_year_of, wareki_fiscal_year
from tsunagu.core.forms import add_service_errors
from tsunagu.core.once import AlreadySubmitted, submit_once, submit_once_then_redirect
from tsunagu.core.sections import sections_for
from tsunagu.core.widgets import PICK
from tsunagu.meetings.models import MeetingBody, MeetingBodyKind
from tsunagu.organizations.models import Area, Organization
from tsunagu.people.access import PersonAccess, person_get_for
from tsunagu.people.models import Person
from tsunagu.referrals.models import Referral
from tsunagu.referrals.selectors import referral_get_for

WEB = AccessLog.Channel.WEB


def _staff(organization: Organization) -> QuerySet[User]:
    return User.objects.filter(organization=organization, is_active=True).order_by("username")


def _errors(request: AuthenticatedHttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _form_errors(request: AuthenticatedHttpRequest, form: object) -> None:
    errors = getattr(form, "errors", {})
    messages.error(
        request,
        "入力を確かめてください: " + " ".join(str(e) for es in errors.values() for e in es),
    )


# --- work list, lists ------------------------------------------------------------------------


def work(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The coordinator's work list: requests waiting and what is due."""
    return render(
        request,
        "cases/work.html",
        {
            "work": work_list(user=request.user),
            "sections": sections_for("cases:work", user=request.user),
        },
    )


def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    cases = cases_for(user=request.user, status=status, mine=request.GET.get("mine") == "1")
    page, accesses = case_page_for(user=request.user, cases=cases, page=request.GET.get("page"))
    return render(
        request, "cases/list.html", {"page": page, "accesses": accesses, "status": status}
    )


# --- requests -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def request_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """From a consultation marked 「多機関協働へ」: send it to the coordinating organization."""
    consultation_id = request.GET.get("consultation") or request.POST.get("consultation") or ""
    if not consultation_id.isdigit():
        raise Http404
    access = consultation_get_for(
        user=request.user, consultation_id=int(consultation_id), channel=WEB, own=True
    )
    consultation = access.consultation
    organization = user_organization(request.user)
    consents = (
        consents_in_force(user=request.user, person=consultation.person, on=timezone.localdate())
        if consultation.person is not None
        else None
    )
    form = f.CaseRequestForm(
        request.POST or None,
        organizations=coordinating_organizations(municipality=organization.municipality).exclude(
            pk=organization.pk
        ),
        consents=consents if consents is not None else Consent.objects.none(),
        meeting_bodies=MeetingBody.objects.filter(
            municipality=organization.municipality,
            kind=MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING,
        ),
        statutes=statutes_for(municipality=organization.municipality),
    )
    if request.method == "POST" and form.is_valid():
        try:
            sent = case_request_create(
                user=request.user, consultation=consultation, data=form.to_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"{sent.referral.to_organization.name}に多機関協働を依頼しました"
            )
            return redirect("cases:request", request_id=sent.pk)
    return render(request, "cases/request_form.html", {"form": form, "consultation": consultation})


@require_http_methods(["GET", "POST"])
def request_from_referral(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    """From a つなぎ a window received: send it on to 多機関協働, recording the window's own
    consultation in the same step (no need to enter it by hand first)."""
    organization = user_organization(request.user)
    view = referral_get_for(
        user=request.user, referral_id=referral_id, channel=WEB, log=request.method == "GET"
    )
    referral = view.referral
    if referral.to_organization_id != organization.pk or referral.person is None:
        raise Http404
    form = f.CaseRequestFromReferralForm(
        request.POST or None,
        organizations=coordinating_organizations(municipality=organization.municipality).exclude(
            pk=organization.pk
        ),
        consents=consents_in_force(
            user=request.user, person=referral.person, on=timezone.localdate()
        ),
        meeting_bodies=MeetingBody.objects.filter(
            municipality=organization.municipality,
            kind=MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING,
        ),
        statutes=statutes_for(municipality=organization.municipality),
    )
    if request.method == "POST" and form.is_valid():
        try:
            sent = submit_once(
                form=form,
                write=lambda: case_request_from_referral(
                    user=request.user, referral=referral, data=form.to_data()
                ),
                url=lambda r: reverse("cases:request", kwargs={"request_id": r.pk}),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            if done.url:
                return redirect(done.url)
            return redirect("referrals:detail", referral_id=referral.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"{sent.referral.to_organization.name}に多機関協働を依頼しました"
            )
            return redirect("cases:request", request_id=sent.pk)
    return render(
        request,
        "cases/request_from_referral.html",
        {"form": form, "referral": referral, "open": referral.status in OPEN_REFERRAL},
        status=400 if request.method == "POST" else 200,
    )


def request_detail(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    case_request = case_request_get_for(user=request.user, request_id=request_id, channel=WEB)
    organization = user_organization(request.user)
    receiving = case_request.referral.to_organization_id == organization.pk
    context = {
        "req": case_request,
        "receiving": receiving,
        "open_form": f.CaseOpenForm(
            initial={
                "title": f"{case_request.referral.person.family_name}さん世帯"
                if case_request.referral.person
                else "",
                "lead_coordinator": request.user.pk,
                "issues": [t.topic for t in case_request.referral.consultation.topics.all()]
                if receiving
                else [],
            },
            staff=_staff(organization),
        )
        if receiving
        else None,
        "decline_form": f.DeclineForm() if receiving else None,
    }
    return render(request, "cases/request.html", context)


@require_POST
def request_act(request: AuthenticatedHttpRequest, request_id: int, action: str) -> HttpResponse:
    case_request = case_request_get_for(
        user=request.user, request_id=request_id, channel=WEB, log=False
    )
    organization = user_organization(request.user)
    if case_request.referral.to_organization_id != organization.pk or action not in (
        "accept",
        "decline",
    ):
        raise Http404
    try:
        if action == "accept":
            form = f.CaseOpenForm(request.POST, staff=_staff(organization))
            if not form.is_valid():
                _form_errors(request, form)
                return redirect("cases:request", request_id=request_id)
            case = case_request_accept(user=request.user, request=case_request, data=form.to_data())
            messages.success(request, "依頼を受理し、事例を開始しました")
            return redirect("cases:detail", case_id=case.pk)
        decline = f.DeclineForm(request.POST)
        if not decline.is_valid():
            _form_errors(request, decline)
            return redirect("cases:request", request_id=request_id)
        case_request_decline(
            user=request.user, request=case_request, answer=decline.cleaned_data["answer"]
        )
        messages.success(request, "回答しました")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("cases:request", request_id=request_id)


# --- the case -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A case from outreach, a 支援会議 or elsewhere (not from a consultation's request)."""
    organization = user_organization(request.user)
    if not coordinating_organizations(municipality=organization.municipality).filter(
        pk=organization.pk
    ):
        raise Http404
    person_id = request.GET.get("person") or request.POST.get("person") or ""
    principal = None
    if person_id:
        if not person_id.isdigit():
            raise Http404
        principal = person_get_for(user=request.user, person_id=int(person_id), channel=WEB).person
    form = f.CaseCreateForm(
        request.POST or None,
        staff=_staff(organization),
        initial={"lead_coordinator": request.user.pk, "origin": CaseOrigin.OUTREACH},
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = case_create(
                user=request.user,
                data=form.to_data(origin=form.cleaned_data["origin"]),
                principal=principal,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "事例を開始しました")
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "cases/create.html", {"form": form, "principal": principal})


@require_http_methods(["GET", "POST"])
def from_referral(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    """From a つなぎ in the coordinating organization's inbox, open the case directly with the
    referral's person and the household members the organization may see."""
    organization = user_organization(request.user)
    view = referral_get_for(
        user=request.user, referral_id=referral_id, channel=WEB, log=request.method == "GET"
    )
    referral = view.referral
    if (
        referral.to_organization_id != organization.pk
        or referral.person is None
        or not coordinating_organizations(municipality=organization.municipality).filter(
            pk=organization.pk
        )
    ):
        raise Http404
    form = f.CaseOpenForm(
        request.POST or None,
        staff=_staff(organization),
        initial={
            "title": f"{referral.person.family_name}さん世帯",
            "lead_coordinator": request.user.pk,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = case_from_referral(
                user=request.user, referral=referral, data=form.to_data(origin="referral")
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "つなぎを受理し、事例を開始しました")
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/from_referral.html",
        {"form": form, "referral": referral, "open": referral.status in OPEN_REFERRAL},
        status=400 if request.method == "POST" else 200,
    )


OPEN_REFERRAL = (Referral.Status.REQUESTED, Referral.Status.ACCEPTED)


def detail(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    access = case_get_for(user=request.user, case_id=case_id, channel=WEB)
    d = case_detail(user=request.user, access=access)
    context = {
        "d": d,
        "case": access.case,
        "coordinating": access.coordinating,
        "event_form": f.EventForm(),
        "status_form": f.StatusForm() if access.coordinating else None,
        "leave_form": f.LeaveForm() if access.coordinating else None,
        "plan_kind_form": f.PlanKindForm() if access.coordinating else None,
        "items": ASSESSMENT_ITEMS,
        "plan_kinds": PlanKind.choices,
        # what apps above cases add (meetings: whether the case can move to 重層的支援会議)
        "sections": sections_for("cases:detail", user=request.user, access=access),
    }
    return render(request, "cases/detail.html", context)


def _coordinating(request: AuthenticatedHttpRequest, case_id: int) -> CaseAccess:
    return case_get_for(
        user=request.user, case_id=case_id, channel=WEB, action=None, coordinating=True
    )


@require_POST
def status(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    access = _coordinating(request, case_id)
    form = f.StatusForm(request.POST)
    if form.is_valid():
        try:
            case_status_change(
                user=request.user,
                case=access.case,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _errors(request, exc)
    else:
        _form_errors(request, form)
    return redirect("cases:detail", case_id=case_id)


@require_POST
def member_add(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """Add a person record the user's organization may see to the case's household."""
    form = f.MemberForm(request.POST)
    if not form.is_valid():
        raise Http404
    return _member_add(request, case_id, form.cleaned_data)


@require_POST
def member_add_chosen(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The same, from the person's page, with the case chosen in its picker."""
    form = f.MemberChooseForm(request.POST)
    if not form.is_valid():
        if "person" in form.errors:
            raise Http404
        _form_errors(request, form)
        return redirect("people:detail", person_id=form.cleaned_data["person"])
    return _member_add(request, form.cleaned_data["case"], form.cleaned_data)


def _member_add(
    request: AuthenticatedHttpRequest, case_id: int, data: dict[str, Any]
) -> HttpResponse:
    access = case_get_for(user=request.user, case_id=case_id, channel=WEB, action=None)
    person = person_get_for(
        user=request.user,
        person_id=data["person"],
        channel=WEB,
        action=AccessLog.Action.UPDATE,
    ).person
    try:
        case_member_add(
            user=request.user,
            case=access.case,
            person=person,
            relationship=data["relationship"],
            is_principal=data.get("is_principal", False),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "世帯員に加えました")
    return redirect("cases:detail", case_id=case_id)


def choices(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A case picker's options (`core.widgets.SearchSelect`, htmx) for what was typed in `q`;
    `without=<person>` leaves out the cases that person is already in."""
    without = request.GET.get("without", "")
    person = (
        Person.objects.visible_to(request.user).filter(pk=int(without)).first()
        if without.isascii() and without.isdecimal()
        else None
    )
    found = case_choices(
        user=request.user, query=request.GET.get("q", "")[:100], channel=WEB, without=person
    )
    return render(
        request, "core/widgets/search_select_options.html", {"choices": found, "pick": PICK}
    )


def person_section(*, user: User, access: PersonAccess) -> dict[str, Any] | None:
    """The person page's 多機関協働 section, with the form that adds the person to a case."""
    context = person_cases_section(user=user, access=access)
    if context is not None and context["can_add"]:
        context["add_form"] = f.MemberChooseForm(
            person_id=access.person.pk, auto_id="case_member_%s"
        )
    return context


@require_POST
def member_remove(request: AuthenticatedHttpRequest, case_id: int, member_id: int) -> HttpResponse:
    access = _coordinating(request, case_id)
    member = (
        CaseMember.objects.visible_to(request.user)
        .filter(case=access.case, pk=member_id, removed_at__isnull=True)
        .first()
    )
    if member is None:
        raise Http404
    try:
        case_member_remove(user=request.user, member=member)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("cases:detail", case_id=case_id)


def team_join(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """Add an organization (and one of its staff) to the support team: a page of its own, so
    that the case page does not draw a list of every staff member of the city each time."""
    access = _coordinating(request, case_id)
    organization = user_organization(request.user)
    form = f.TeamForm(
        request.POST or None,
        organizations=Organization.objects.filter(
            municipality=organization.municipality, is_active=True
        ).order_by("kind", "sort_order", "code"),
        staff=User.objects.filter(
            organization__municipality=organization.municipality, is_active=True
        ).order_by("organization__code", "username"),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case_team_join(
                user=request.user,
                case=access.case,
                organization=d["organization"],
                staff=d["staff"],
                role=d["role"],
                role_note=d["role_note"],
                joined_on=d["joined_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{d['organization'].name}が支援チームに加わりました")
            return redirect("cases:detail", case_id=case_id)
    return render(
        request,
        "cases/team_form.html",
        {"form": form, "case": access.case},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def team_leave(request: AuthenticatedHttpRequest, case_id: int, member_id: int) -> HttpResponse:
    access = _coordinating(request, case_id)
    member = (
        CaseTeamMember.objects.visible_to(request.user)
        .filter(case=access.case, pk=member_id)
        .select_related("organization")
        .first()
    )
    if member is None:
        raise Http404
    form = f.LeaveForm(request.POST)
    if form.is_valid():
        try:
            case_team_leave(
                user=request.user,
                member=member,
                left_on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"{member.organization.name}が支援チームを離れました")
    else:
        _form_errors(request, form)
    return redirect("cases:detail", case_id=case_id)


@require_POST
def event_add(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    access = case_get_for(user=request.user, case_id=case_id, channel=WEB, action=None)
    form = f.EventForm(request.POST)
    back = reverse("cases:detail", args=[case_id])
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    d = form.cleaned_data
    return submit_once_then_redirect(
        request,
        form=form,
        write=lambda: case_event_add(
            user=request.user,
            case=access.case,
            kind=d["kind"],
            summary=d["summary"],
            occurred_at=d["occurred_at"],
        ),
        url=lambda _: back,
        success="支援経過を記録しました",
        back=back,
    )


# --- assessment, plans, monitoring, closure -------------------------------------------------------


@require_http_methods(["GET", "POST"])
def assessment(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """A new version of the インテーク・アセスメントシート, starting from the latest."""
    access = _coordinating(request, case_id)
    case = access.case
    latest = case.assessments.order_by("-version").first()
    initial = f.AssessmentForm.initial_from(latest.answers if latest else {})
    initial["base_version"] = latest.version if latest else 0
    if latest:
        initial["urgency"] = latest.urgency
    form = f.AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assessment_create(
                user=request.user,
                case=case,
                answers=form.answers(),
                urgency=form.cleaned_data["urgency"],
                assessed_on=form.cleaned_data["assessed_on"],
                base_version=form.cleaned_data["base_version"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for code, errs in exc.message_dict.items():
                    name = code if code in form.fields else f"{code}__note"
                    form.add_error(name if name in form.fields else None, errs)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, "アセスメントを保存しました")
            return redirect("cases:detail", case_id=case_id)
    return render(
        request,
        "cases/assessment_form.html",
        {"form": form, "case": case, "latest": latest, "items": ASSESSMENT_ITEMS},
    )


def _team_organizations(case_id: int, request: AuthenticatedHttpRequest) -> QuerySet[Organization]:
    ids = (
        CaseTeamMember.objects.visible_to(request.user)
        .filter(case_id=case_id, left_on__isnull=True)
        .values("organization_id")
    )
    return Organization.objects.filter(pk__in=ids).order_by("name")


def _actions(rows: list[f.ActionForm]) -> list[ActionData] | None:
    out = []
    for row in rows:
        if not row.is_valid():
            return None
        try:
            data = row.to_data()
        except ValidationError as exc:
            row.add_error(None, exc)
            return None
        if data is not None:
            out.append(data)
    return out


@require_http_methods(["GET", "POST"])
def plan_new(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    access = _coordinating(request, case_id)
    case = access.case
    kind = request.GET.get("kind") or request.POST.get("kind") or PlanKind.MULTI_AGENCY
    if kind not in PlanKind.values:
        raise Http404
    previous = (
        SupportPlan.objects.visible_to(request.user)
        .filter(case=case, kind=kind)
        .order_by("-version")
        .first()
    )
    orgs = _team_organizations(case.pk, request)
    initial = f.PlanForm.initial_from(previous) if previous else {}
    form = f.PlanForm(request.POST or None, initial=initial)
    rows = f.action_forms(
        request.POST or None, orgs, list(previous.actions.all()) if previous else []
    )
    if request.method == "POST" and form.is_valid():
        actions = _actions(rows)
        if actions is not None:
            try:
                plan = plan_create(
                    user=request.user, case=case, kind=kind, data=form.to_data(), actions=actions
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"支援プラン 第{plan.version}版（下書き）を作成しました")
                return redirect("cases:plan", plan_id=plan.pk)
    return render(
        request,
        "cases/plan_form.html",
        {
            "form": form,
            "rows": rows,
            "case": case,
            "kind": kind,
            "kind_label": PlanKind(kind).label,
            "plan": None,
        },
    )


def _plan_for(request: AuthenticatedHttpRequest, plan_id: int) -> tuple[SupportPlan, CaseAccess]:
    plan = (
        SupportPlan.objects.visible_to(request.user)
        .select_related("case")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise Http404
    access = case_get_for(user=request.user, case_id=plan.case_id, channel=WEB, action=None)
    return plan, access


@require_http_methods(["GET", "POST"])
def plan(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    """A plan version: read by the team; the coordinating organization edits a draft."""
    plan, access = _plan_for(request, plan_id)
    if request.method == "GET":
        case_get_for(user=request.user, case_id=plan.case_id, channel=WEB)  # logs the read
    editable = access.coordinating and plan.status == PlanStatus.DRAFT
    if request.method == "POST" and not editable:
        raise Http404
    orgs = _team_organizations(plan.case_id, request)
    form = (
        f.PlanForm(request.POST or None, initial=f.PlanForm.initial_from(plan))
        if editable
        else None
    )
    rows = f.action_forms(request.POST or None, orgs, list(plan.actions.all())) if editable else []
    if request.method == "POST" and form is not None and form.is_valid():
        actions = _actions(rows)
        if actions is not None:
            try:
                plan_update(
                    user=request.user,
                    plan=plan,
                    data=form.to_data(),
                    actions=actions,
                    revision=form.cleaned_data["revision"] or 0,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "支援プランを保存しました")
                return redirect("cases:plan", plan_id=plan.pk)
    context = {
        "plan": plan,
        "case": access.case,
        "coordinating": access.coordinating,
        "form": form,
        "rows": rows,
        "kind": plan.kind,
        "kind_label": plan.get_kind_display(),
        "actions": list(plan.actions.select_related("organization")),
        "monitorings": list(
            plan.monitorings.prefetch_related("results__action").select_related("created_by")
        ),
        "confer_form": f.ConferForm() if access.coordinating else None,
    }
    return render(request, "cases/plan.html", context)


@require_POST
def plan_act(request: AuthenticatedHttpRequest, plan_id: int, action: str) -> HttpResponse:
    plan, access = _plan_for(request, plan_id)
    if not access.coordinating or action not in ("confer", "start"):
        raise Http404
    try:
        if action == "confer":
            form = f.ConferForm(request.POST)
            if not form.is_valid():
                _form_errors(request, form)
                return redirect("cases:plan", plan_id=plan_id)
            plan_confer(
                user=request.user,
                plan=plan,
                conferred_on=form.cleaned_data["conferred_on"] or timezone.localdate(),
            )
            messages.success(request, "重層的支援会議で協議済にしました")
        else:
            plan_start(user=request.user, plan=plan)
            messages.success(request, "プランの実施を開始しました")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("cases:plan", plan_id=plan_id)


@require_http_methods(["GET", "POST"])
def monitoring(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan, access = _plan_for(request, plan_id)
    actions: list[PlanAction] = list(plan.actions.select_related("organization"))
    form = f.MonitoringForm(request.POST or None, actions=actions)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = submit_once_then_redirect(
            request,
            form=form,
            write=lambda: monitoring_record(
                user=request.user,
                plan=plan,
                monitored_on=d["monitored_on"],
                results=form.results(),
                summary=d["summary"],
                next_monitoring_on=d["next_monitoring_on"],
            ),
            url=lambda _: reverse("cases:plan", args=[plan_id]),
            success="モニタリングを記録しました",
            back=reverse("cases:plan", args=[plan_id]),
            errors_on_form=True,
        )
        if done is not None:
            return done
    return render(
        request, "cases/monitoring_form.html", {"form": form, "plan": plan, "case": access.case}
    )


@require_http_methods(["GET", "POST"])
def close(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """評価シート: close the case with its evaluation and the missing resources."""
    access = _coordinating(request, case_id)
    organization = user_organization(request.user)
    form = f.ClosureForm(
        request.POST or None,
        gaps=ResourceGap.objects.visible_to(request.user).exclude(
            status=ResourceGap.Status.RESOLVED
        ),
        areas=Area.objects.filter(municipality=organization.municipality),
    )
    if request.method == "POST" and form.is_valid():
        try:
            case_close(user=request.user, case=access.case, data=form.to_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "評価を記録しました")
            return redirect("cases:detail", case_id=case_id)
    return render(request, "cases/close_form.html", {"form": form, "case": access.case})


# --- printing --------------------------------------------------------------------------------


def print_sheet(request: AuthenticatedHttpRequest, case_id: int, form: str) -> HttpResponse:
    """One standard sheet of the case, filled in, as an A4 PDF (logged as an export)."""
    if form not in FORMS:
        raise Http404
    data = case_print_for(user=request.user, case_id=case_id, form=form)
    response = HttpResponse(sheet_pdf(form=form, data=data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="case-{case_id}-{form}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- the register ----------------------------------------------------------------------------


def gaps(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = user_organization(request.user)
    status = request.GET.get("status", "")
    rows = resource_gaps_for(
        user=request.user, status=status if status in ResourceGap.Status.values else ""
    )
    can_edit = (
        coordinating_organizations(municipality=organization.municipality)
        .filter(pk=organization.pk)
        .exists()
    )
    return render(
        request,
        "cases/gaps.html",
        {
            "rows": rows,
            "status": status,
            "statuses": ResourceGap.Status.choices,
            "can_edit": can_edit,
        },
    )


def _report_year(request: AuthenticatedHttpRequest) -> int:
    organization = user_organization(request.user)
    value = request.GET.get("year", "")
    if value.isdigit() and 1989 <= int(value) <= 2100:
        return int(value)
    return fiscal_year_of(
        timezone.localdate(), start_month=organization.municipality.fiscal_year_start_month
    )


def gap_report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """社会資源の充足状況の把握と開発: the register's report for a fiscal year, printable; counts
    only (the register names no person), so every staff member of the city reads it."""
    year = _report_year(request)
    report = resource_gap_report(user=request.user, fiscal_year=year)
    return render(
        request,
        "cases/gap_report.html",
        {"report": report, "year": year, "years": range(year - 3, year + 2)},
    )


GAP_REPORT_COLUMNS = (
    "年度",
    "分野",
    "地域",
    "望まれる社会資源",
    "状態",
    "終結の評価で把握した事例数",
    "会議で把握した事例数",
    "年度内の事例数",
    "累計の事例数",
    "登録日",
)


def gap_report_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The same report as CSV (UTF-8 with BOM for Excel; formula-safe cells)."""
    year = _report_year(request)
    report = resource_gap_report(user=request.user, fiscal_year=year)
    return csv_download(
        f"resource-gaps-{year}.csv",
        GAP_REPORT_COLUMNS,
        (
            [
                wareki_fiscal_year(year),
                group.field_label,
                group.area_name,
                row.gap.description,
                row.gap.get_status_display(),
                row.at_closure,
                row.at_meeting,
                row.in_year,
                row.total,
                timezone.localdate(row.gap.created_at).isoformat(),
            ]
            for group in report.groups
            for row in group.rows
        ),
    )


@require_POST
def gap_status(request: AuthenticatedHttpRequest, gap_id: int) -> HttpResponse:
    """The coordinating organization moves an entry on (検討中 → 開発中 → 解消); 404 for others."""
    organization = user_organization(request.user)
    gap = ResourceGap.objects.visible_to(request.user).filter(pk=gap_id).first()
    if gap is None or not coordinating_organizations(municipality=organization.municipality).filter(
        pk=organization.pk
    ):
        raise Http404
    form = f.GapStatusForm(request.POST)
    if form.is_valid():
        try:
            resource_gap_status_change(
                user=request.user, gap=gap, status=form.cleaned_data["status"]
            )
        except ValidationError as exc:
            _errors(request, exc)
    return redirect("cases:gaps")
