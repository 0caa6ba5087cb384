"""Pages of meeting records: each checks access through `meetingrecords.access`, makes one domain
call, renders. Recording on a meeting is its secretariat's (404 for anyone else); attending
organizations read it (a confidential body's once their pledge is recorded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import access_log_shown
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.cases.access import cases_shown
from tsunagu.cases.models import Case, PlanStatus, ResourceGap, SupportPlan
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.core.forms import add_service_errors
from tsunagu.core.history import StaleEdit, form_version
from tsunagu.core.once import AlreadySubmitted, OnceFormMixin, form_token_new, submit_once
from tsunagu.meetingrecords import forms as f
from tsunagu.meetingrecords.access import (
    ItemView,
    MeetingAccess,
    meeting_get_for,
    meetings_shown,
)
from tsunagu.meetingrecords.models import ActionItem, AgendaItem, AgendaKind, MeetingAttendee
from tsunagu.meetingrecords.printing import PRINTS, meeting_pdf
from tsunagu.meetingrecords.selectors import (
    cases_ready_to_move,
    meeting_counts,
    meetings_for,
)
from tsunagu.meetingrecords.services import (
    action_item_add,
    action_item_done,
    agenda_item_add,
    attendee_add,
    convenable_bodies,
    decision_add,
    meeting_closure_record,
    meeting_create,
    meeting_gap_record,
    meeting_plan_approve,
    minutes_record,
    pledge_record,
)
from tsunagu.organizations.models import Area, Organization
from tsunagu.people.models import Person

WEB = AccessLog.Channel.WEB
PARTS = ("attendees", "pledges", "agenda", "minutes", "decisions", "gaps", "actions", "approve")


def _year(request: AuthenticatedHttpRequest) -> int:
    value = request.GET.get("year", "")
    if value.isdigit() and 1989 <= int(value) <= 2100:
        return int(value)
    return fiscal_year_of(timezone.localdate())


def meeting_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    year = _year(request)
    meetings = list(meetings_for(user=request.user, fiscal_year=year)[:200])
    accesses = meetings_shown(
        user=request.user, meetings=meetings, action=AccessLog.Action.LIST, channel=WEB
    )
    return render(
        request,
        "meetingrecords/list.html",
        {
            "accesses": accesses,
            "year": year,
            "can_convene": bool(convenable_bodies(user=request.user)),
        },
    )


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    bodies = convenable_bodies(user=request.user)
    form = f.MeetingForm(request.POST or None, bodies=bodies)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = submit_once(
                form=form,
                write=lambda: meeting_create(user=request.user, data=form.to_data()),
                url=lambda m: reverse("meetingrecords:detail", kwargs={"meeting_id": m.pk}),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or "meetingrecords:list")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "会議を登録しました")
            return redirect("meetingrecords:detail", meeting_id=meeting.pk)
    return render(request, "meetingrecords/create.html", {"form": form, "bodies": bodies})


def counts(request: AuthenticatedHttpRequest) -> HttpResponse:
    year = _year(request)
    organization = user_organization(request.user)
    data = meeting_counts(municipality=organization.municipality, fiscal_year=year)
    return render(request, "meetingrecords/counts.html", {"counts": data, "year": year})


def _forms(request: AuthenticatedHttpRequest, access: MeetingAccess) -> dict[str, Any]:
    """The secretariat's forms on the meeting page (adding an attendee and recording what was
    said open on demand: `record_form`)."""
    meeting = access.meeting
    return {
        # one page, several forms: each with its own ids
        "pledge_form": f.PledgeForm(initial={"signed_on": timezone.localdate()}),
        "agenda_form": f.AgendaItemForm(
            auto_id="agenda_%s",
            cases=Case.objects.none(),
            persons=Person.objects.none(),
        ),
        "held": meeting.held,
    }


def _draft_plans_of(
    request: AuthenticatedHttpRequest, access: MeetingAccess
) -> dict[int | None, list[SupportPlan]]:
    """The draft plans of the cases on the agenda, by case (each case item's approval form;
    keyed as an item names its case, so an item of no case finds none)."""
    case_ids = [v.item.case_id for v in access.items if v.item.case_id]
    plans_of: dict[int | None, list[SupportPlan]] = {}
    for plan in SupportPlan.objects.visible_to(request.user).filter(
        case_id__in=case_ids, status=PlanStatus.DRAFT
    ):
        plans_of.setdefault(plan.case_id, []).append(plan)
    return plans_of


@dataclass(frozen=True)
class OpenedForm:
    """A recording form the meeting page opens on demand (`record_form`), so that the page
    itself reads and renders none of them: a long agenda does not cost a form per item."""

    title: str
    button: str
    note: str = ""


OPENED_FORMS = {
    "attendees": OpenedForm("出席者", "加える"),
    "minutes": OpenedForm("議事録", "議事録を記録"),
    "decisions": OpenedForm("決定事項", "決定事項を記録"),
    "gaps": OpenedForm(
        "社会資源の不足を登録簿へ",
        "登録簿に載せる",
        "会議で見つかった不足する社会資源を、社会資源の不足の登録簿に載せます"
        "（決定事項にも残ります）。背景にある事例は件数だけが登録簿に表示されます。",
    ),
    "actions": OpenedForm("宿題", "宿題を記録"),
    # from 支援会議 to 重層的支援会議: cases discussed there whose consent now covers this one
    # (found on demand: on a hub's conference, a hundred cases read and checked for consent)
    "ready": OpenedForm(
        "重層的支援会議に移れる事例",
        "議題に加える",
        "支援会議で協議し、本人同意がこの会議の出席機関すべてを含むようになった事例です。",
    ),
}


def _opened_form(
    request: AuthenticatedHttpRequest, access: MeetingAccess, part: str
) -> forms.Form | None:
    """The form `record_form` opens for `part` (None for minutes: one item's, in its template)."""
    meeting = access.meeting
    # their labels name the meeting (`AgendaItem.__str__`)
    items = (
        AgendaItem.objects.visible_to(request.user)
        .filter(meeting=meeting)
        .select_related("meeting__body")
    )
    if part == "attendees":
        organizations = Organization.objects.filter(
            municipality=meeting.municipality, is_active=True
        ).order_by("name")
        return f.AttendeeForm(organizations=organizations, auto_id="attendee_%s")
    if part == "decisions":
        return f.DecisionForm(items=items, auto_id="decision_%s")
    if part == "actions":
        attending = Organization.objects.filter(
            pk__in=[a.organization_id for a in access.attendees if a.organization_id]
            + [meeting.secretariat_id]
        ).order_by("name")
        return f.ActionItemForm(organizations=attending, items=items, auto_id="action_%s")
    if part == "gaps":
        return _gap_form(request, meeting, auto_id="gap_%s")
    return None


@require_GET
def record_form(request: AuthenticatedHttpRequest, meeting_id: int, part: str) -> HttpResponse:
    """One of the secretariat's forms, opened from the meeting's page: the form alone for
    htmx, a page of its own without script. Attendees are added from the start, what was said
    once the meeting is held. Logged as a view: of the item's persons for its minutes (their
    text is about them), of the meeting otherwise."""
    opened = OPENED_FORMS.get(part)
    if opened is None:
        raise Http404
    access = meeting_get_for(
        user=request.user, meeting_id=meeting_id, channel=WEB, action=None, holder=True
    )
    if part == "ready":
        if not access.meeting.requires_consent:  # offered on a 重層的支援会議 only
            raise Http404
    elif part != "attendees" and not access.meeting.held:
        raise Http404
    context: dict[str, Any] = {
        "a": access,
        "meeting": access.meeting,
        "part": part,
        "opened": opened,
    }
    if part == "minutes":
        view = _item_view(access, request.GET.get("item"))
        if view is None:
            raise Http404
        context["item"] = view.item
        shown = access.shown(persons_of=[view])
    elif part == "ready":
        cases = cases_ready_to_move(user=request.user, meeting=access.meeting)
        # their titles name the persons: a list read of each case shown
        cases_shown(user=request.user, cases=cases, action=AccessLog.Action.LIST, channel=WEB)
        context["ready"] = [(c, form_token_new()) for c in cases]
        shown = access.shown(persons_of=[])
    else:
        context["form"] = _opened_form(request, access, part)
        shown = access.shown(persons_of=[])
    access_log_shown(user=request.user, action=AccessLog.Action.VIEW, channel=WEB, shown=shown)
    if request.headers.get("HX-Request"):
        return render(request, "meetingrecords/_record_form.html", context)
    return render(request, "meetingrecords/record_form.html", context)


def _gap_form(request: AuthenticatedHttpRequest, meeting: Any, **kwargs: Any) -> f.GapForm:
    return f.GapForm(
        *([request.POST] if request.method == "POST" else []),
        gaps=ResourceGap.objects.visible_to(request.user).exclude(
            status=ResourceGap.Status.RESOLVED
        ),
        areas=Area.objects.filter(municipality=meeting.municipality),
        items=AgendaItem.objects.visible_to(request.user).filter(
            meeting=meeting, kind=AgendaKind.CASE
        ),
        **kwargs,
    )


def detail(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponse:
    return _detail(request, meeting_get_for(user=request.user, meeting_id=meeting_id, channel=WEB))


@dataclass(frozen=True)
class MinutesRetry:
    """A minutes save that was refused: the page comes back with what the user typed in that
    item's form, the problem named next to it, and the version the form now stands on (after a
    refused stale save, the current one: saving again is a deliberate overwrite)."""

    item_id: int
    text: str
    version: int | None
    errors: list[str]


def _detail(
    request: AuthenticatedHttpRequest,
    access: MeetingAccess,
    *,
    retry: MinutesRetry | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "a": access,
        "meeting": access.meeting,
        "prints": PRINTS,
        "today": timezone.localdate(),
        "retry": retry,
    }
    if access.holder:
        context.update(_forms(request, access))
    elif access.meeting.discusses_individuals:
        form = f.AgendaItemForm(
            auto_id="agenda_%s",
            initial={"kind": AgendaKind.PERSON},
            cases=Case.objects.none(),
            persons=Person.objects.none(),
        )
        del form.fields["case"]  # an attending organization names only its own person
        context["agenda_form"] = form
    # each item with its case's draft plans (the secretariat's approval form; none for others)
    plans_of = _draft_plans_of(request, access) if access.holder else {}
    context["agenda"] = [(v, plans_of.get(v.item.case_id, [])) for v in access.items]
    return render(request, "meetingrecords/detail.html", context, status=status)


def _attendee(access: MeetingAccess, value: object) -> MeetingAttendee:
    for a in access.attendees:
        if str(a.pk) == str(value):
            return a
    raise ValidationError({"attendee": ["出席者が見つかりません"]})


def _item_view(access: MeetingAccess, value: object) -> ItemView | None:
    return next((v for v in access.items if str(v.item.pk) == str(value)), None)


def _item(access: MeetingAccess, value: object) -> AgendaItem:
    view = _item_view(access, value)
    if view is None:
        raise ValidationError({"item": ["議題が見つかりません"]})
    return view.item


@require_POST
def record(request: AuthenticatedHttpRequest, meeting_id: int, part: str) -> HttpResponse:
    """The secretariat records one part of the meeting (attendee, pledge, agenda item, minutes,
    decision, action item, plan approval)."""
    if part not in PARTS:
        raise Http404
    access = meeting_get_for(
        user=request.user,
        meeting_id=meeting_id,
        channel=WEB,
        action=None,
        holder=part != "agenda",  # an attending organization may put its own person on it
    )
    meeting = access.meeting
    user = request.user
    data = request.POST
    form: Any
    write: Any
    if part == "attendees":
        form = f.AttendeeForm(
            data,
            organizations=Organization.objects.filter(
                municipality=meeting.municipality, is_active=True
            ),
        )

        def write() -> object:
            d = form.cleaned_data
            return attendee_add(
                user=user,
                meeting=meeting,
                organization=d.get("organization"),
                name=d.get("name") or "",
                affiliation=d.get("affiliation") or "",
            )

    elif part == "pledges":
        form = f.PledgeForm(data)

        def write() -> object:
            d = form.cleaned_data
            return pledge_record(
                user=user,
                attendee=_attendee(access, d["attendee"]),
                signer_name=d["signer_name"],
                signed_on=d["signed_on"],
                valid_until=d.get("valid_until"),
            )

    elif part == "agenda":
        form = f.AgendaItemForm(
            data,
            cases=Case.objects.visible_to(user),
            persons=Person.objects.visible_to(user),
        )

        def write() -> object:
            d = form.cleaned_data
            return agenda_item_add(
                user=user,
                meeting=meeting,
                kind=d["kind"],
                case=d.get("case"),
                person=d.get("person"),
                topic=d.get("topic") or "",
            )

    elif part == "minutes":
        form = f.MinutesForm(data)

        def write() -> object:
            d = form.cleaned_data
            return minutes_record(
                user=user,
                item=_item(access, d["item"]),
                minutes=d["minutes"],
                expected_version=form_version(data),
            )

    elif part == "decisions":
        form = f.DecisionForm(
            data, items=AgendaItem.objects.visible_to(user).filter(meeting=meeting)
        )

        def write() -> object:
            d = form.cleaned_data
            return decision_add(user=user, meeting=meeting, text=d["text"], item=d.get("item"))

    elif part == "gaps":
        form = _gap_form(request, meeting)

        def write() -> object:
            return meeting_gap_record(
                user=user,
                meeting=meeting,
                gap=form.to_data(),
                items=list(form.cleaned_data["items"]),
            )

    elif part == "actions":
        form = f.ActionItemForm(
            data,
            organizations=Organization.objects.filter(municipality=meeting.municipality),
            items=AgendaItem.objects.visible_to(user).filter(meeting=meeting),
        )

        def write() -> object:
            d = form.cleaned_data
            return action_item_add(
                user=user,
                meeting=meeting,
                organization=d["organization"],
                description=d["description"],
                due_on=d["due_on"],
                item=d.get("item"),
            )

    else:  # approve
        form = f.PlanApproveForm(data, plans=SupportPlan.objects.visible_to(user))

        def write() -> object:
            d = form.cleaned_data
            return meeting_plan_approve(user=user, item=_item(access, d["item"]), plan=d["plan"])

    back = redirect("meetingrecords:detail", meeting_id=meeting.pk)
    if not form.is_valid():
        messages.error(
            request,
            "入力を確かめてください: "
            + " ".join(str(e) for es in form.errors.values() for e in es),
        )
        return back
    try:
        if isinstance(form, OnceFormMixin):
            submit_once(form=form, write=write, url=lambda _: back.url)
        else:
            write()
    except AlreadySubmitted as done:
        messages.info(request, done.message)
    except ValidationError as exc:
        if (
            part == "minutes"
            and meeting.held  # the page shows the minutes forms
            and any(v.item.pk == form.cleaned_data["item"] for v in access.items)
        ):
            return _minutes_refused(request, meeting_id, form.cleaned_data["item"], data, exc)
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "記録しました")
    return back


def _minutes_refused(
    request: AuthenticatedHttpRequest,
    meeting_id: int,
    item_id: int,
    data: Any,
    exc: ValidationError,
) -> HttpResponse:
    """A refused minutes save keeps what was typed: the meeting page again (read afresh, logged
    as a view), the item's form holding the user's text and the problem named beside it."""
    access = meeting_get_for(user=request.user, meeting_id=meeting_id, channel=WEB)
    current = exc.current if isinstance(exc, StaleEdit) else None
    retry = MinutesRetry(
        item_id=item_id,
        text=str(data.get("minutes", "")),
        version=current if current is not None else form_version(data),
        errors=list(exc.messages),
    )
    return _detail(request, access, retry=retry)


def print_meeting(request: AuthenticatedHttpRequest, meeting_id: int, form: str) -> HttpResponse:
    """会議録, agenda or attendance sheet as an A4 PDF (logged as an export)."""
    if form not in PRINTS:
        raise Http404
    access = meeting_get_for(
        user=request.user, meeting_id=meeting_id, channel=WEB, action=AccessLog.Action.EXPORT
    )
    response = HttpResponse(
        meeting_pdf(
            form=form,
            access=access,
            printed_by=request.user.get_full_name() or request.user.username,
        ),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="meeting-{meeting_id}-{form}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def closure(request: AuthenticatedHttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    """評価シート of a case on a 重層的支援会議's agenda, recorded as the meeting's decision; its
    missing resources go to the register. The secretariat only (404 for anyone else)."""
    access = meeting_get_for(
        user=request.user,
        meeting_id=meeting_id,
        channel=WEB,
        holder=True,
        action=AccessLog.Action.VIEW if request.method == "GET" else None,
    )
    item = next(
        (v.item for v in access.items if v.item.pk == item_id and v.item.case_id is not None),
        None,
    )
    if item is None or not access.meeting.requires_consent:
        raise Http404
    meeting = access.meeting
    form = f.MeetingClosureForm(
        request.POST or None,
        gaps=ResourceGap.objects.visible_to(request.user).exclude(
            status=ResourceGap.Status.RESOLVED
        ),
        areas=Area.objects.filter(municipality=meeting.municipality),
    )
    back = reverse("meetingrecords:detail", kwargs={"meeting_id": meeting.pk})
    if request.method == "POST" and form.is_valid():
        try:
            submit_once(
                form=form,
                write=lambda: meeting_closure_record(
                    user=request.user, item=item, data=form.to_data()
                ),
                url=lambda _: back,
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or back)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "終結の評価を記録しました")
            return redirect(back)
    return render(
        request,
        "meetingrecords/closure_form.html",
        {"form": form, "meeting": meeting, "item": item, "a": access},
    )


@require_POST
def action_done(request: AuthenticatedHttpRequest, action_id: int) -> HttpResponse:
    """The organization an action item is assigned to (or the secretariat) marks it done, from
    the work list or the meeting page; 404 for anyone else."""
    organization = user_organization(request.user)
    action = (
        ActionItem.objects.visible_to(request.user)
        .select_related("meeting")
        .filter(pk=action_id)
        .first()
    )
    if action is None or organization.pk not in (
        action.organization_id,
        action.meeting.secretariat_id,
    ):
        raise Http404
    form = f.ActionDoneForm(request.POST)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith("/"):
        target = reverse("cases:work")
    if not form.is_valid():
        messages.error(
            request,
            "入力を確かめてください: "
            + " ".join(str(e) for es in form.errors.values() for e in es),
        )
        return redirect(target)
    try:
        submit_once(
            form=form,
            write=lambda: action_item_done(
                user=request.user, action=action, done_on=form.cleaned_data["done_on"]
            ),
            url=lambda _: target,
        )
    except AlreadySubmitted as done:
        messages.info(request, done.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "宿題を完了にしました")
    return redirect(target)
