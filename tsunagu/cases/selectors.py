"""Reads of 多機関協働: the case page, the coordinator's work list, the resource-gap register, the
sections on the person and consultation pages, and the counts the evaluation reports.

What shows personal data is logged through `cases.access`; the counts are numbers only."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import access_log_shown
from tsunagu.accounts.models import User
from tsunagu.cases.access import (
    CaseAccess,
    case_accesses,
    case_get_for,
    case_requests_shown,
    cases_shown,
)
from tsunagu.cases.models import (
    Assessment,
    Case,
    CaseClosure,
    CaseEvent,
    CaseMember,
    CaseRequest,
    CaseStatus,
    CaseTeamMember,
    Monitoring,
    MonitoringResult,
    PlanAction,
    PlanKind,
    PlanStatus,
    ResourceGap,
    ResourceGapCase,
    SupportPlan,
)
from tsunagu.cases.services import coordinating_organizations
from tsunagu.cases.sheets import ASSESSMENT_ITEMS
from tsunagu.consent.models import ConsentAttachment
from tsunagu.consent.selectors import consent_scans_shown
from tsunagu.consultations.access import ConsultationAccess, consultations_shown
from tsunagu.consultations.models import Response, Topic
from tsunagu.core.fiscal import fiscal_year_bounds, wareki_date
from tsunagu.core.widgets import CHOICES_SHOWN, Choices
from tsunagu.organizations.models import Municipality, Organization, SupportField
from tsunagu.people.access import PersonAccess
from tsunagu.people.models import Person
from tsunagu.people.selectors import named_person_ids
from tsunagu.referrals.models import Referral

PAGE_SIZE = 50
OPEN_STATUSES = [s for s in CaseStatus.values if s != CaseStatus.CLOSED]


def cases_for(*, user: User, status: str = "", mine: bool = False) -> QuerySet[Case]:
    """The cases the user's organization coordinates or works on, newest first."""
    cases = Case.objects.visible_to(user)
    if status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status:
        cases = cases.filter(status=status)
    if mine:
        cases = cases.filter(lead_coordinator=user)
    return cases.select_related("organization", "lead_coordinator").order_by("-opened_on", "-pk")


def case_choices(
    *, user: User, query: str, channel: AccessLog.Channel, without: Person | None = None
) -> Choices:
    """A case picker's options (`core.widgets.SearchSelect`): the open cases the user may see
    whose 呼び名 contains `query`, or with a member whose name (kanji or ふりがな, however
    typed) begins with it, that member's record being one the user may see (a name they may
    not see never finds a case); the first ones by 呼び名 when the query is blank. `without`:
    leave out the cases this person is already a member of. Logged as a search."""
    cases = Case.objects.visible_to(user).exclude(status=CaseStatus.CLOSED)
    text = unicodedata.normalize("NFKC", query).strip()
    if text:
        matches = Q(title__icontains=text)
        named_ids = named_person_ids(text)
        if named_ids is not None:
            named = Person.objects.visible_to(user).filter(pk__in=named_ids)
            # unscoped: the members of those persons; the cases are read through the door above
            members = CaseMember.dangerously_unscoped.filter(
                person__in=named, removed_at__isnull=True
            )
            matches |= Q(pk__in=members.values("case_id"))
        cases = cases.filter(matches)
    if without is not None:
        # unscoped: the cases the person is in, only to leave them out
        cases = cases.exclude(
            pk__in=CaseMember.dangerously_unscoped.filter(
                person=without, removed_at__isnull=True
            ).values("case_id")
        )
    found = list(cases.order_by("title", "pk")[: CHOICES_SHOWN + 1])
    shown = cases_shown(
        user=user, cases=found[:CHOICES_SHOWN], action=AccessLog.Action.SEARCH, channel=channel
    )
    return Choices(
        options=[(a.case.pk, a.case.title) for a in shown], more=len(found) > CHOICES_SHOWN
    )


def case_page_for(
    *, user: User, cases: QuerySet[Case], page: str | int | None
) -> tuple[Page[Case], list[CaseAccess]]:
    shown = Paginator(cases, PAGE_SIZE).get_page(page)
    accesses = cases_shown(
        user=user,
        cases=shown.object_list,
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
    )
    return shown, accesses


@dataclass(frozen=True)
class Sharing:
    """Whether one team organization sees one member's record, and why (not)."""

    label: str
    live: bool


@dataclass
class TeamRow:
    member: CaseTeamMember
    sharing: list[Sharing] = field(default_factory=list)


@dataclass
class PlanView:
    plan: SupportPlan
    actions: list[PlanAction]
    monitorings: list[Monitoring]


@dataclass
class CaseDetail:
    access: CaseAccess
    events: list[CaseEvent]
    team: list[TeamRow]
    former_team: list[CaseTeamMember]
    assessments: list[Assessment]
    plans: list[PlanView]
    closure: CaseClosure | None
    gaps: list[ResourceGap]
    consent_alerts: list[str]
    # the members' scanned consent forms this user may open: (member, scans)
    scans: list[tuple[CaseMember, list[ConsentAttachment]]]

    @property
    def assessment_rows(self) -> list[AssessmentRow]:
        return assessment_rows(self.assessments[0]) if self.assessments else []


@dataclass(frozen=True)
class AssessmentRow:
    label: str
    reported: bool
    checks: list[str]
    note: str


def assessment_rows(assessment: Assessment) -> list[AssessmentRow]:
    """The sheet's items with the checked options' labels, in the sheet's order."""
    rows = []
    for item in ASSESSMENT_ITEMS:
        answer = assessment.answers.get(item.code) or {}
        rows.append(
            AssessmentRow(
                label=item.label,
                reported=item.reported,
                checks=[item.option_label(c) for c in answer.get("checks", [])],
                note=answer.get("note", ""),
            )
        )
    return rows


def _sharing(grants: list[AccessGrant], team: CaseTeamMember, member: CaseMember) -> Sharing:
    if member.person.organization_id == team.organization_id:
        return Sharing("自機関の記録", True)
    mine = [
        g for g in grants if g.case_team_member_id == team.pk and g.person_id == member.person_id
    ]
    today = timezone.localdate()
    for g in mine:
        if (
            g.ended_at is None
            and g.consent is not None
            and g.consent.withdrawn_at is None
            and (g.valid_until is None or g.valid_until >= today)
        ):
            return Sharing("共有中（本人同意）", True)
    if mine:
        g = mine[-1]
        if g.consent is not None and g.consent.withdrawn_at is not None:
            return Sharing(
                f"同意撤回により終了（{timezone.localdate(g.consent.withdrawn_at)}）", False
            )
        if g.valid_until is not None and g.valid_until < today:
            return Sharing(f"同意の期限切れ（{g.valid_until}）", False)
        return Sharing(f"終了（{g.end_reason or '—'}）", False)
    return Sharing("共有なし（同意の範囲外）", False)


def case_detail(*, user: User, access: CaseAccess) -> CaseDetail:
    """Everything the case page shows beyond the members (already logged with the case)."""
    case = access.case
    # The parts below are the rows of this one case, which `access` proves the user may see
    # (`case_get_for` read it through `Case.objects.visible_to` in this request), and a part
    # of a case is seen exactly when its case is (`CasePartQuerySet`): they are read by the
    # case alone, instead of asking again for the case's visibility in each query (its
    # subqueries cost more Python to build than the rows do to read).
    # unscoped: the parts of the case `access` opened through the door
    events = list(
        CaseEvent.dangerously_unscoped.filter(case=case)
        .select_related("by", "organization")
        .order_by("-occurred_at", "-pk")
    )
    # unscoped: as above
    team_all = list(
        CaseTeamMember.dangerously_unscoped.filter(case=case)
        .select_related("organization", "staff")
        .order_by("joined_on", "pk")
    )
    grants = list(
        AccessGrant.objects.filter(case_team_member__case=case)
        .select_related("consent")
        .order_by("pk")
    )
    members = [m.member for m in access.members]
    team = [
        TeamRow(member=t, sharing=[_sharing(grants, t, m) for m in members])
        for t in team_all
        if t.left_on is None
    ]
    # unscoped: the actions, monitoring and results of the plans scoped just below
    actions = PlanAction.dangerously_unscoped.select_related("organization")
    # unscoped: as above
    results = MonitoringResult.dangerously_unscoped.select_related("action")
    # unscoped: as above
    monitorings = Monitoring.dangerously_unscoped.select_related("created_by").prefetch_related(
        Prefetch("results", queryset=results)
    )
    # unscoped: as above
    plans = list(
        SupportPlan.dangerously_unscoped.filter(case=case)
        .select_related("created_by")
        .prefetch_related(
            Prefetch("actions", queryset=actions),
            Prefetch("monitorings", queryset=monitorings),
        )
        .order_by("kind", "-version")
    )
    # unscoped: as above
    closure = CaseClosure.dangerously_unscoped.filter(case=case).first()
    gaps = list(ResourceGap.objects.visible_to(user).filter(cases__case=case).order_by("pk"))
    alerts = []
    today = timezone.localdate()
    for row in team:
        for member, sharing in zip(members, row.sharing, strict=True):
            if not sharing.live and ("撤回" in sharing.label or "期限切れ" in sharing.label):
                who = f"{row.member.organization.name}: {member.get_relationship_display()}"
                alerts.append(f"{who}の記録の共有は{sharing.label}")
    for g in grants:
        if (
            g.ended_at is None
            and g.valid_until is not None
            and today <= g.valid_until <= today + dt.timedelta(days=30)
        ):
            alerts.append(f"本人同意の期限が近づいています（{g.valid_until}まで）")
    return CaseDetail(
        access=access,
        events=events,
        team=team,
        former_team=[t for t in team_all if t.left_on is not None],
        assessments=list(  # unscoped: as above
            Assessment.dangerously_unscoped.filter(case=case)
            .select_related("created_by")
            .order_by("-version")
        ),
        plans=[
            PlanView(plan=p, actions=list(p.actions.all()), monitorings=list(p.monitorings.all()))
            for p in plans
        ],
        closure=closure,
        gaps=gaps,
        consent_alerts=sorted(set(alerts)),
        scans=_member_scans(user, access),
    )


def _member_scans(
    user: User, access: CaseAccess
) -> list[tuple[CaseMember, list[ConsentAttachment]]]:
    seen = [m for m in access.members if m.person is not None]
    scans = consent_scans_shown(
        user=user,
        persons=[m.person.person for m in seen if m.person is not None],
        # the members' accesses `case_accesses` found for this user in this request
        accesses={m.person.person.pk: m.person for m in seen if m.person is not None},
    )
    return [
        (m.member, scans[m.person.person.pk])
        for m in seen
        if m.person is not None and m.person.person.pk in scans
    ]


# --- the work list ---------------------------------------------------------------------------


def no_contact_days(municipality: Municipality) -> int:
    """Days without contact before a case shows on the work list (per city, in settings)."""
    per_city: dict[str, int] = settings.CASE_NO_CONTACT_DAYS
    return per_city.get(municipality.slug, per_city.get("default", 30))


@dataclass
class WorkItem:
    case: Case
    what: str
    due: dt.date | None


@dataclass
class WorkList:
    requests: list[CaseRequest]
    items: list[WorkItem]
    no_contact_days: int


def work_list(*, user: User, within_days: int = 14) -> WorkList:
    """The coordinator's and each team organization's list: requests waiting, monitoring and
    plan reviews due, actions due, consent expiring or withdrawn, cases without contact."""
    organization = user_organization(user)
    today = timezone.localdate()
    soon = today + dt.timedelta(days=within_days)
    requests = case_requests_shown(
        user=user,
        requests=list(
            CaseRequest.objects.visible_to(user)
            .filter(referral__to_organization=organization, status=CaseRequest.Status.REQUESTED)
            .select_related(
                "referral__from_organization",
                "referral__consultation",
                "referral__person__household_membership__household",
            )
            .order_by("created_at", "pk")
        ),
        channel=AccessLog.Channel.WEB,
    )
    cases = {
        c.pk: c
        for c in Case.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .select_related("organization")
    }
    items: list[WorkItem] = []
    plans = SupportPlan.objects.visible_to(user).filter(
        case_id__in=cases, status=PlanStatus.IN_FORCE
    )
    for p in plans.filter(monitoring_on__lte=soon):
        items.append(
            WorkItem(cases[p.case_id], f"モニタリング（{p.get_kind_display()}）", p.monitoring_on)
        )
    for p in plans.filter(review_on__lte=soon):
        items.append(
            WorkItem(cases[p.case_id], f"プランの見直し（{p.get_kind_display()}）", p.review_on)
        )
    done = MonitoringResult.objects.visible_to(user).filter(result="done").values("action_id")
    actions = (
        PlanAction.objects.visible_to(user)
        .filter(plan__in=plans, due_on__lte=soon)
        .exclude(pk__in=done)
    )
    for a in actions.select_related("plan", "organization"):
        if (
            a.organization_id == organization.pk
            or cases[a.plan.case_id].organization_id == organization.pk
        ):
            items.append(
                WorkItem(
                    cases[a.plan.case_id],
                    f"取り組みの期限: {a.description}（{a.organization.name}）",
                    a.due_on,
                )
            )
    coordinated = [pk for pk, c in cases.items() if c.organization_id == organization.pk]
    for g in (
        AccessGrant.objects.filter(case_team_member__case_id__in=coordinated)
        .select_related("consent", "case_team_member__organization")
        .order_by("pk")
    ):
        case = cases[g.case_team_member.case_id]  # type: ignore[union-attr]
        name = g.case_team_member.organization.name  # type: ignore[union-attr]
        if g.consent is not None and g.consent.withdrawn_at is not None:
            day = timezone.localdate(g.consent.withdrawn_at)
            if day >= today - dt.timedelta(days=30):
                items.append(WorkItem(case, f"本人同意の撤回: {name}との共有が止まりました", day))
        elif (
            g.ended_at is None
            and g.valid_until is not None
            and g.valid_until <= today + dt.timedelta(days=30)
        ):
            items.append(WorkItem(case, f"本人同意の期限: {name}との共有", g.valid_until))
    limit = today - dt.timedelta(days=no_contact_days(organization.municipality))
    for c in cases.values():
        if c.organization_id != organization.pk:
            continue
        if c.last_contact_on is not None and c.last_contact_on < limit:
            items.append(
                WorkItem(
                    c,
                    f"{(today - c.last_contact_on).days}日間 接触の記録がありません",
                    c.last_contact_on,
                )
            )
        if c.status == CaseStatus.ONGOING_CONNECTION and c.review_on and c.review_on <= soon:
            items.append(WorkItem(c, "つながり続ける支援の見直し", c.review_on))
    items.sort(key=lambda i: (i.due or today, i.case.pk))
    shown = {i.case.pk: i.case for i in items}
    cases_shown(
        user=user, cases=shown.values(), action=AccessLog.Action.LIST, channel=AccessLog.Channel.WEB
    )
    return WorkList(
        requests=requests,
        items=items,
        no_contact_days=no_contact_days(organization.municipality),
    )


# --- the register ----------------------------------------------------------------------------


def resource_gaps_for(*, user: User, status: str = "") -> list[tuple[ResourceGap, int]]:
    """The city's resource-gap register, each with how many cases are behind it."""
    gaps = ResourceGap.objects.visible_to(user).select_related("area")
    if status:
        gaps = gaps.filter(status=status)
    counted = gaps.annotate(case_count=Count("cases")).order_by("status", "-case_count", "pk")
    return [(g, g.case_count) for g in counted]


@dataclass
class GapReportRow:
    """One entry of the register in the report: how many cases are behind it (a number: the
    report never names a case), found at closures and at meetings in the fiscal year."""

    gap: ResourceGap
    at_closure: int
    at_meeting: int
    total: int  # cases behind it, any year

    @property
    def in_year(self) -> int:
        return self.at_closure + self.at_meeting


@dataclass
class GapReportGroup:
    field_label: str
    area_name: str
    rows: list[GapReportRow]

    @property
    def cases(self) -> int:
        return sum(r.in_year for r in self.rows)


@dataclass
class GapReport:
    """社会資源の充足状況の把握と開発: the gaps found in a fiscal year (at closure evaluations and
    in meetings), grouped by field and area, with their status."""

    fiscal_year: int
    groups: list[GapReportGroup]
    by_status: dict[str, int]  # status label -> entries

    @property
    def rows(self) -> list[GapReportRow]:
        return [r for g in self.groups for r in g.rows]


def resource_gap_report(*, user: User, fiscal_year: int) -> GapReport:
    """The register's report for one fiscal year: every entry created in the year or with a case
    found behind it in the year, grouped by field and area (the order of the field's choices,
    then the area's code; no area last), counts only. The register names no person, so every
    staff member of the city reads it (as `resource_gaps_for`); a fixed number of queries."""
    organization = user_organization(user)
    first, last = fiscal_year_bounds(
        fiscal_year, start_month=organization.municipality.fiscal_year_start_month
    )
    in_year = Q(cases__found_on__range=(first, last))
    # a subquery, so that the filter does not narrow the join the counts below use
    found = ResourceGap.objects.visible_to(user).filter(in_year).values("pk")
    gaps = (
        ResourceGap.objects.visible_to(user)
        .filter(Q(created_at__date__range=(first, last)) | Q(pk__in=found))
        .select_related("area")
        .annotate(
            at_closure=Count("cases", filter=in_year & Q(cases__found_at="closure"), distinct=True),
            at_meeting=Count("cases", filter=in_year & Q(cases__found_at="meeting"), distinct=True),
            total=Count("cases", distinct=True),
        )
    )
    field_order = {value: i for i, value in enumerate(SupportField.values)}
    rows = sorted(
        (GapReportRow(g, g.at_closure, g.at_meeting, g.total) for g in gaps),
        key=lambda r: (
            field_order.get(r.gap.field, 99),
            r.gap.area is None,
            r.gap.area.code if r.gap.area is not None else "",
            r.gap.pk,
        ),
    )
    groups: list[GapReportGroup] = []
    for row in rows:
        label = row.gap.get_field_display()
        area = row.gap.area.name if row.gap.area is not None else "地域を限らない"
        if not groups or (groups[-1].field_label, groups[-1].area_name) != (label, area):
            groups.append(GapReportGroup(label, area, []))
        groups[-1].rows.append(row)
    by_status = {str(label): 0 for label in ResourceGap.Status.labels}
    for row in rows:
        by_status[row.gap.get_status_display()] += 1
    return GapReport(fiscal_year=fiscal_year, groups=groups, by_status=by_status)


# --- sections on lower apps' pages -------------------------------------------------------------


def person_cases_section(*, user: User, access: PersonAccess) -> dict[str, Any] | None:
    """The person page's 多機関協働 section: the cases this record is a member of that the user
    may see (logged), and whether there is an open case the user's organization works on that
    the record may be added to (the household assembled from several windows' records)."""
    # unscoped: only the ids of the cases the record is in, read through the door below (most
    # records are in none, and then no case is read)
    case_ids = list(
        CaseMember.dangerously_unscoped.filter(
            person=access.person, removed_at__isnull=True
        ).values_list("case_id", flat=True)
    )
    cases = (
        list(Case.objects.visible_to(user).filter(pk__in=case_ids).order_by("-opened_on"))
        if case_ids
        else []
    )
    # whether the organization works on an open case (coordinates it, or is on its team), so
    # that the form to add the record to one is shown; the form finds the case by typing, among
    # those the user may see. Asked of the organization's own rows, not of every case it may see
    # (a window of the big city is on 6,500 teams with 7,600 grants: 30 ms a page)
    organization = user_organization(user)
    can_add = (
        Case.objects.held_by(user).filter(status__in=OPEN_STATUSES).exists()
        # unscoped: the organization's own team memberships, only whether one is open
        or CaseTeamMember.dangerously_unscoped.filter(
            organization=organization, left_on__isnull=True, case__status__in=OPEN_STATUSES
        ).exists()
    )
    if not cases and not can_add:
        return None
    if cases:
        access_log_shown(
            user=user,
            action=AccessLog.Action.LIST,
            channel=AccessLog.Channel.WEB,
            shown=[access.shown(c) for c in cases],
        )
    return {
        "cases": cases,
        "can_add": can_add,
    }


def consultation_case_request_section(
    *, user: User, access: ConsultationAccess
) -> dict[str, Any] | None:
    """The consultation page's 多機関協働 section: for a consultation marked 「多機関協働へ」,
    the request sent for it (or the button to send one), for the window that took it."""
    consultation = access.consultation
    if not access.own or consultation.response != Response.MULTI_AGENCY:
        return None
    requests = list(
        CaseRequest.objects.visible_to(user)
        .filter(referral__consultation=consultation)
        .select_related("referral__to_organization", "case")
        .order_by("-created_at")
    )
    return {
        "consultation": consultation,
        "requests": requests,
        "can_request": not any(r.status == CaseRequest.Status.REQUESTED for r in requests),
    }


def referral_case_section(*, user: User, referral: Referral) -> dict[str, Any] | None:
    """The referral page's 多機関協働 section, for a coordinating organization that received a
    つなぎ about a person: the case opened from it, or the button to open one."""
    organization = user_organization(user)
    if referral.to_organization_id != organization.pk or referral.person_id is None:
        return None
    if not coordinating_organizations(municipality=organization.municipality).filter(
        pk=organization.pk
    ):
        # a window that does not coordinate: the request it sent on, or the button to send one
        forwarded = (
            CaseRequest.objects.visible_to(user)
            .filter(source_referral=referral)
            .order_by("-created_at", "-pk")
            .first()
        )
        return {
            "referral": referral,
            "forwarded": forwarded,
            "can_forward": (forwarded is None or forwarded.status == CaseRequest.Status.DECLINED)
            and referral.status in (Referral.Status.REQUESTED, Referral.Status.ACCEPTED),
        }
    if CaseRequest.objects.visible_to(user).filter(referral=referral).exists():
        return None  # a case request has its own page
    case = Case.objects.visible_to(user).filter(origin_referral=referral).first()
    if case is not None:
        access_log_shown(
            user=user,
            action=AccessLog.Action.LIST,
            channel=AccessLog.Channel.WEB,
            shown=case_accesses(user=user, cases=[case])[case.pk].shown(),
        )
    return {
        "referral": referral,
        "case": case,
        "can_open": case is None
        and referral.status in (Referral.Status.REQUESTED, Referral.Status.ACCEPTED),
    }


# --- counts for the evaluation -----------------------------------------------------------------


@dataclass(frozen=True)
class CaseCounts:
    """One organization's 多機関協働 figures for one fiscal year."""

    organization: Organization
    fiscal_year: int
    opened: int
    closed: int
    ongoing: int  # open at the end of the year (or today, for the current year)
    ongoing_connection: int
    assessments: int
    plans_new: dict[str, int]  # first version, by kind
    plans_total: dict[str, int]  # every version conferred in the year (延べ), by kind
    monitoring: int
    closures: int
    closures_with_gap: int


def case_counts(*, municipality: Municipality, fiscal_year: int) -> list[CaseCounts]:
    """The figures the evaluation reports, per coordinating organization (numbers only)."""
    first, last = fiscal_year_bounds(fiscal_year, start_month=municipality.fiscal_year_start_month)
    end = min(last, timezone.localdate())
    out = []
    for organization in coordinating_organizations(municipality=municipality):
        # unscoped: numbers only, of one organization's own cases
        cases = Case.dangerously_unscoped.filter(organization=organization)
        # unscoped: as above
        closures = CaseClosure.dangerously_unscoped.filter(
            case__organization=organization, closed_on__gte=first, closed_on__lte=last
        )
        # unscoped: as above
        plans = SupportPlan.dangerously_unscoped.filter(
            case__organization=organization, conferred_on__gte=first, conferred_on__lte=last
        )
        new = Counter(plans.filter(version=1).values_list("kind", flat=True))
        total = Counter(plans.values_list("kind", flat=True))
        out.append(
            CaseCounts(
                organization=organization,
                fiscal_year=fiscal_year,
                opened=cases.filter(opened_on__gte=first, opened_on__lte=last).count(),
                closed=cases.filter(closed_on__gte=first, closed_on__lte=last).count(),
                ongoing=cases.filter(opened_on__lte=end)
                .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=end))
                .count(),
                ongoing_connection=closures.filter(outcome=CaseStatus.ONGOING_CONNECTION).count(),
                # unscoped: as above
                assessments=Assessment.dangerously_unscoped.filter(
                    case__organization=organization, assessed_on__gte=first, assessed_on__lte=last
                ).count(),
                plans_new={k: new.get(k, 0) for k in PlanKind.values},
                plans_total={k: total.get(k, 0) for k in PlanKind.values},
                # unscoped: as above
                monitoring=Monitoring.dangerously_unscoped.filter(
                    plan__case__organization=organization,
                    monitored_on__gte=first,
                    monitored_on__lte=last,
                ).count(),
                closures=closures.count(),
                closures_with_gap=closures.filter(existing_services_sufficient=False).count(),
            )
        )
    return out


def resource_gap_cases(*, gap: ResourceGap) -> int:
    """How many cases are behind a gap (a number: the register never names them)."""
    # unscoped: a count only
    return ResourceGapCase.dangerously_unscoped.filter(gap=gap).count()


# --- printing --------------------------------------------------------------------------------


def _consent_state(grants: list[AccessGrant], member: CaseMember) -> str:
    """Each member's consent on the case, as the sheet states it."""
    mine = [g for g in grants if g.person_id == member.person_id and g.consent is not None]
    if not mine:
        return "共有の同意なし（記録している機関のみ）"
    parts = []
    for g in mine:
        consent = g.consent
        if consent is None:
            continue
        state = "撤回" if consent.withdrawn_at else ("終了" if g.ended_at else "有効")
        until = f"〜{wareki_date(consent.valid_until)}" if consent.valid_until else ""
        name = g.case_team_member.organization.name if g.case_team_member else g.organization.name
        since = wareki_date(consent.valid_from)
        parts.append(f"{name}: {consent.get_method_display()}・{since}{until}（{state}）")
    return "\n".join(dict.fromkeys(parts))


def case_print_for(*, user: User, case_id: int, form: str) -> dict[str, Any]:
    """What one printed sheet shows, as the user may see it (members within their basis, the
    address masked under 住所秘匿), logged as an export of the case (one row per member shown)."""
    access = case_get_for(
        user=user, case_id=case_id, channel=AccessLog.Channel.WEB, action=AccessLog.Action.EXPORT
    )
    d = case_detail(user=user, access=access)
    case = access.case
    grants = list(
        AccessGrant.objects.filter(case_team_member__case=case)
        .select_related("consent", "case_team_member__organization", "organization")
        .order_by("pk")
    )
    members = []
    for m in access.members:
        p = m.person
        members.append(
            {
                "relationship": m.member.get_relationship_display()
                + ("（本人）" if m.member.is_principal else ""),
                "name": p.person.full_name if p else "（共有の根拠なし）",
                "birth": wareki_date(p.person.birth_date) if p and p.person.birth_date else "",
                "address": p.address_text if p else "",
                "organization": m.member.person.organization.name,
                "consent": _consent_state(grants, m.member),
            }
        )
    data: dict[str, Any] = {
        "printed_by": user.get_full_name() or user.username,
        "case": {
            "title": case.title,
            "organization": case.organization.name,
            "opened_on": wareki_date(case.opened_on),
            "origin": case.get_origin_display(),
            "subject": case.get_subject_display(),
            "issues": "、".join(case.issue_labels) or "—",
            "lead": case.lead_coordinator.get_full_name() or case.lead_coordinator.username,
        },
        "members": members,
    }
    if form == "intake" and case.origin_consultation is not None:
        readable = consultations_shown(
            user=user,
            consultations=[case.origin_consultation],
            action=AccessLog.Action.EXPORT,
            channel=AccessLog.Channel.WEB,
        )
        c = case.origin_consultation
        if c.pk in readable:
            data["consultation"] = {
                "received": wareki_date(timezone.localdate(c.received_at))
                + f"　{c.organization.name}",
                "how": f"{c.get_channel_display()}・{c.get_requester_display()}",
                "main_topic": c.get_main_topic_display(),
                "topic_options": list(Topic.choices[:16]),
                "topics": [t.topic for t in c.topics.all()],
                "content": c.content,
            }
    if form == "assessment" and d.assessments:
        a = d.assessments[0]
        data["assessment"] = {
            "version": a.version,
            "assessed_on": wareki_date(a.assessed_on),
            "by": a.created_by.get_full_name() or a.created_by.username,
            "urgency": a.get_urgency_display(),
            "answers": a.answers,
        }
    if form == "plan" and d.plans:
        in_force = [pv for pv in d.plans if pv.plan.status == PlanStatus.IN_FORCE]
        pv = (in_force or d.plans)[0]
        shown = pv.plan
        data["plan"] = {
            "kind": shown.get_kind_display(),
            "version": shown.version,
            "status": shown.get_status_display(),
            "conferred_on": wareki_date(shown.conferred_on) if shown.conferred_on else "未協議",
            "wishes": shown.wishes,
            "goals": shown.goals,
            "issues": shown.issues,
            "monitoring_on": wareki_date(shown.monitoring_on),
            "review_on": wareki_date(shown.review_on),
            "referral_checks": list(shown.referral_checks),
            "actions": [
                [a.description, a.organization.name, wareki_date(a.due_on)] for a in pv.actions
            ],
        }
    if form == "timeline":
        data["events"] = [
            [
                timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M"),
                e.get_kind_display(),
                f"{e.organization.name}\n{e.by.get_full_name() or e.by.username}",
                e.summary,
            ]
            for e in reversed(d.events)
        ]
    if form == "evaluation" and d.closure:
        c2 = d.closure
        data["closure"] = {
            "closed": f"{wareki_date(c2.closed_on)}　{c2.get_outcome_display()}",
            "goals_met": c2.get_goals_met_display(),
            "person_changes": c2.person_changes,
            "sufficient": "はい" if c2.existing_services_sufficient else "いいえ",
            "why_not": c2.why_not or "—",
            "gaps": "\n".join(
                f"{g.get_field_display()}: {g.description}（{g.get_status_display()}）"
                for g in d.gaps
            )
            or "—",
            "lessons": c2.support_flow_lessons or "—",
        }
    return data
