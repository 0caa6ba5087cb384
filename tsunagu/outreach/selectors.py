"""Reads of アウトリーチ: lists, the work list (見守り due, no contact for N days) and the counts
of a fiscal year for the evaluation. Lists of targets are logged through `outreach.access`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.accounts.models import User
from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.organizations.models import Municipality
from tsunagu.outreach.access import targets_shown
from tsunagu.outreach.models import (
    ENGAGED_OUTCOMES,
    ActivityKind,
    ContactAttempt,
    ContactMethod,
    NoticeSource,
    OutreachActivity,
    OutreachTarget,
    SessionConsultation,
    Stage,
)
from tsunagu.people.access import PersonAccess

Channel = AccessLog.Channel

NO_CONTACT_DAYS = 30  # a target with no contact for this long is on the work list


def targets_for(*, user: User, stage: str = "", open_only: bool = True) -> QuerySet[OutreachTarget]:
    """The targets the user's organization may see (not yet logged: the page logs its page)."""
    queryset = OutreachTarget.objects.visible_to(user).select_related("person", "organization")
    if stage:
        queryset = queryset.filter(stage=stage)
    elif open_only:
        queryset = queryset.exclude(stage=Stage.ENDED)
    return queryset.order_by("-noticed_on", "-pk")


def contacts_of(*, user: User, target: OutreachTarget) -> list[ContactAttempt]:
    """A target's contact log (the target itself was read and logged by `target_get_for`)."""
    return list(
        ContactAttempt.objects.visible_to(user)
        .filter(target=target)
        .select_related("staff")
        .order_by("-contacted_on", "-pk")
    )


@dataclass(frozen=True)
class OutreachWork:
    today: dt.date
    no_contact_days: int
    check_ins_due: list[OutreachTarget]
    without_contact: list[OutreachTarget]


def outreach_work(
    *,
    user: User,
    today: dt.date | None = None,
    no_contact_days: int = NO_CONTACT_DAYS,
    channel: Channel = Channel.WEB,
) -> OutreachWork:
    """The holding organization's work list: 見守り due by today (overdue first) and open targets
    with no contact for `no_contact_days` (none at all: counted from the notice)."""
    today = today or timezone.localdate()
    held = (
        OutreachTarget.objects.held_by(user)
        .exclude(stage=Stage.ENDED)
        .select_related("person", "organization")
    )
    due = list(held.filter(next_check_in_on__lte=today).order_by("next_check_in_on", "pk"))
    since = today - dt.timedelta(days=no_contact_days)
    without = list(
        held.filter(
            Q(last_contact_on__lte=since) | Q(last_contact_on__isnull=True, noticed_on__lte=since)
        ).order_by("last_contact_on", "noticed_on", "pk")
    )
    shown = {t.pk: t for t in [*due, *without]}
    targets_shown(user=user, targets=shown.values(), channel=channel)
    return OutreachWork(
        today=today, no_contact_days=no_contact_days, check_ins_due=due, without_contact=without
    )


def activities_for(*, user: User, kind: str = "") -> QuerySet[OutreachActivity]:
    """The city's outreach activities (no personal data), with their consultation counts."""
    municipality_id = user_organization(user).municipality_id
    queryset = OutreachActivity.objects.filter(municipality_id=municipality_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    return (
        queryset.select_related("organization")
        .annotate(
            consultations=Count("session_consultations", distinct=True),
            found=Count("targets", distinct=True),
        )
        .order_by("-held_on", "-pk")
    )


# --- counts for the evaluation ----------------------------------------------------------------


@dataclass(frozen=True)
class OutreachCounts:
    fiscal_year: int
    targets_by_source: dict[str, int]  # label → count of targets noticed in the year
    targets_found: int
    contacts: int  # 延べ: every contact attempt in the year
    contacts_by_method: dict[str, int]
    engaged_contacts: int  # attempts that met or talked with the person
    engagements: int  # targets whose first engagement fell in the year
    connected: int  # targets that reached 支援につながった or beyond, noticed in the year
    ended: int
    activities: dict[str, int]  # kind label → count
    session_consultations: int
    survey_asked: int
    survey_answered: int
    mapping_resources: int


def outreach_counts(*, municipality: Municipality, fiscal_year: int) -> OutreachCounts:
    """A fiscal year of outreach for the whole city (numbers only, no person): a fixed number of
    queries."""
    first, last = fiscal_year_bounds(fiscal_year, start_month=municipality.fiscal_year_start_month)
    # unscoped: counts for the city as a whole; no record leaves this function
    targets = OutreachTarget.dangerously_unscoped.filter(organization__municipality=municipality)
    noticed = targets.filter(noticed_on__range=(first, last))
    by_source = dict(noticed.values_list("source").annotate(n=Count("pk")).order_by())
    labels = dict(NoticeSource.choices)
    # unscoped: counts only, as above
    contacts = ContactAttempt.dangerously_unscoped.filter(
        target__organization__municipality=municipality, contacted_on__range=(first, last)
    )
    by_method = dict(contacts.values_list("method").annotate(n=Count("pk")).order_by())
    method_labels = dict(ContactMethod.choices)
    activities = OutreachActivity.objects.filter(
        municipality=municipality, held_on__range=(first, last)
    )
    by_kind = dict(activities.values_list("kind").annotate(n=Count("pk")).order_by())
    surveys = activities.filter(kind=ActivityKind.SURVEY)
    mapping = activities.filter(kind=ActivityKind.MAPPING)
    # unscoped: counts only, as above
    sessions = SessionConsultation.dangerously_unscoped.filter(
        activity__municipality=municipality, activity__held_on__range=(first, last)
    )
    return OutreachCounts(
        fiscal_year=fiscal_year,
        targets_by_source={labels[k]: v for k, v in by_source.items() if k in labels},
        targets_found=sum(by_source.values()),
        contacts=sum(by_method.values()),
        contacts_by_method={str(method_labels.get(k, k)): v for k, v in by_method.items()},
        engaged_contacts=contacts.filter(outcome__in=ENGAGED_OUTCOMES).count(),
        engagements=targets.filter(engaged_on__range=(first, last)).count(),
        connected=noticed.filter(stage__in=[Stage.CONNECTED, Stage.ONGOING]).count()
        + noticed.filter(stage=Stage.ENDED, engaged_on__isnull=False).count(),
        ended=targets.filter(ended_on__range=(first, last)).count(),
        activities={label: by_kind.get(code, 0) for code, label in ActivityKind.choices},
        session_consultations=sessions.count(),
        survey_asked=sum(s.asked_count or 0 for s in surveys),
        survey_answered=sum(s.answered_count or 0 for s in surveys),
        mapping_resources=sum(m.resources_found or 0 for m in mapping),
    )


def person_outreach_section(*, user: User, access: PersonAccess) -> dict[str, Any] | None:
    """The person page's アウトリーチ section: the targets linked to this record that the user
    may see (logged); none, no section."""
    targets = list(
        OutreachTarget.objects.visible_to(user)
        .filter(person=access.person)
        .select_related("organization", "person")
        .order_by("-noticed_on")
    )
    if not targets:
        return None
    targets_shown(user=user, targets=targets, channel=Channel.WEB)
    return {"targets": targets}
