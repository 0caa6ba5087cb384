"""Reads of referrals: each organization's inbox and outbox, and one referral as each side may
see it. What is shown with personal data is logged here, the same on the web and in the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import Shown, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.consultations.access import consultation_accesses
from tsunagu.core.paging import KeysetPage, keyset_page
from tsunagu.organizations.models import Organization
from tsunagu.people.access import PersonAccess, person_accesses
from tsunagu.referrals.models import Referral, ReferralEvent

OPEN = [Referral.Status.REQUESTED, Referral.Status.ACCEPTED]
PAGE_SIZE = 50
OVERDUE_SHOWN = 10  # overdue referrals listed above a box; the rest by the box's filter
# a box's filter beside the statuses: unanswered past the due date
OVERDUE = "overdue"


def referral_box(*, user: User, box: str, status: str = "") -> QuerySet[Referral]:
    """`in`: referrals to the user's organization; `out`: referrals it sent; `status` one of
    the referral's statuses or `OVERDUE` (unanswered past the due date).

    Each box lies within one part of what the organization may see (`visibility_parts`): the
    outbox within the sent, the inbox within the received and not sent (a referral never goes
    to the organization that sent it: the constraint `referral_to_another_organization`). Read
    through that part alone, a box is one index range in its order (`referral_to_created`,
    `referral_from_created`); through the whole visibility (`from = X OR to = X`) the database
    misjudged how many rows a box holds and sorted every referral of it for each page."""
    organization = user_organization(user)
    sent, received = Referral.objects.visible_parts_to(user)
    if box == "in":
        qs = received.filter(to_organization=organization)
    elif box == "out":
        qs = sent.filter(from_organization=organization)
    else:
        raise ValueError(box)
    if status == OVERDUE:
        qs = _overdue(qs)
    elif status:
        qs = qs.filter(status=status)
    # what a box's row shows; the API adds what its fuller rows need (`api.list_referrals`)
    return qs.select_related("from_organization", "to_organization", "person", "consultation")


def referral_action_needed(*, organization: Organization) -> int:
    """Referrals waiting for the organization's answer (the inbox badge: a number only, on
    every page: a plain statement, as `User.active_roles`). No record is read."""
    table = connection.ops.quote_name(Referral._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {table} WHERE to_organization_id = %s AND status = %s",  # noqa: S608
            [organization.pk, Referral.Status.REQUESTED.value],
        )
        (count,) = cursor.fetchone()
    return int(count)


@dataclass(frozen=True)
class Overdue:
    """Unanswered referrals past their due date: how many, and the longest overdue few to
    list (the rest are one click away, the box filtered to 期限超過). Names no person."""

    count: int
    oldest: list[Referral]

    @property
    def more(self) -> int:
        return self.count - len(self.oldest)


def _overdue[QS: QuerySet[Referral]](referrals: QS) -> QS:
    return referrals.filter(status=Referral.Status.REQUESTED, due_date__lt=timezone.localdate())


def referral_overdue(*, user: User) -> Overdue:
    """Unanswered referrals past their due date, on either side: the count, and the
    `OVERDUE_SHOWN` longest overdue."""
    overdue = _overdue(Referral.objects.visible_to(user))
    count = overdue.count()
    oldest = (
        overdue.select_related("from_organization", "to_organization").order_by("due_date", "pk")
        if count
        else overdue.none()
    )
    return Overdue(count=count, oldest=list(oldest[:OVERDUE_SHOWN]))


@dataclass(frozen=True)
class ReferralView:
    """A referral as one side may see it now: the person as far as a live basis allows, the
    consultation's content only when the user may read it."""

    referral: Referral
    person: PersonAccess | None
    content: bool

    @property
    def overdue(self) -> bool:
        return self.referral.is_overdue


def referrals_shown(
    *,
    user: User,
    referrals: list[Referral],
    action: AccessLog.Action | None,
    channel: AccessLog.Channel,
) -> list[ReferralView]:
    """The referrals as the user may see them now, logged as `action` (one row per person,
    naming the referrals) where they show personal data; `action=None` when the caller's
    service already logged what it did."""
    organization = user_organization(user)
    persons = person_accesses(user=user, persons=[r.person for r in referrals if r.person])
    readable = consultation_accesses(user=user, consultations=[r.consultation for r in referrals])
    views = []
    shown = []
    for r in referrals:
        access = persons.get(r.person_id) if r.person_id is not None else None
        content = r.consultation_id in readable
        views.append(ReferralView(referral=r, person=access, content=content))
        if access is not None or content:
            if access is not None:
                via, grant = access.via, access.grant
            elif r.from_organization_id == organization.pk:
                via, grant = AccessLog.Via.OWN, None
            else:  # the receiver answering after its grant ended acts on the referral by duty
                via, grant = AccessLog.Via.ROLE, None
            shown.append(Shown(obj=r, person=r.person, via=via, grant=grant))
    if action is not None:
        access_log_shown(user=user, action=action, channel=channel, shown=shown)
    return views


def referral_page_for(
    *,
    user: User,
    referrals: QuerySet[Referral],
    after: str | None = None,
    before: str | None = None,
) -> tuple[KeysetPage[Referral], list[ReferralView]]:
    """One page of a box, newest first, after (or before) a cursor of `core.paging`."""
    shown = keyset_page(
        referrals, order=("created_at", "pk"), size=PAGE_SIZE, after=after, before=before
    )
    views = referrals_shown(
        user=user,
        referrals=list(shown.object_list),
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
    )
    return shown, views


def referral_get_for(
    *, user: User, referral_id: int, channel: AccessLog.Channel, log: bool = True
) -> ReferralView:
    """A referral the user's organization sent or received, as it may see it now; 404 for
    anyone else. Logged as a view unless `log=False` (a state change logs itself)."""
    referral = (
        Referral.objects.visible_to(user)
        .select_related(
            "from_organization",
            "to_organization",
            "person__organization",
            "person__household_membership__household",
            "consultation__organization",
            "consent",
            "meeting_body",
            "created_by",
            "assignee",
        )
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise Http404
    return referrals_shown(
        user=user,
        referrals=[referral],
        action=AccessLog.Action.VIEW if log else None,
        channel=channel,
    )[0]


def person_referrals_section(*, user: User, access: PersonAccess) -> dict[str, Any] | None:
    """The person page's つなぎ section: referrals of this person record that the user's
    organization sent or received (the page's own read is logged by the page)."""
    referrals = list(
        Referral.objects.visible_to(user)
        .filter(person=access.person)
        .select_related("from_organization", "to_organization")
    )
    if not referrals:
        return None
    access_log_shown(
        user=user,
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
        shown=[access.shown(r) for r in referrals],
    )
    return {"referrals": referrals}


@dataclass(frozen=True)
class SenderNews:
    """What a sender should look at: referrals declined since `since`, and those still
    unanswered past their due date (`new_overdue`: went past it since `since`)."""

    since: dt.datetime | None
    declined: list[Referral]
    overdue: list[Referral]  # the `limit` longest overdue
    overdue_count: int  # all of them
    new_overdue: set[int]


def referral_news_for_sender(
    *, user: User, since: dt.datetime | None, limit: int = 20
) -> SenderNews:
    """For the home page of the window that sent referrals. Names no person: the rows say to
    whom and when, and link to the referral (whose page logs what it shows)."""
    organization = user_organization(user)
    sent = Referral.objects.visible_to(user).filter(from_organization=organization)
    declined_events = ReferralEvent.objects.visible_to(user).filter(
        referral__from_organization=organization, status=Referral.Status.DECLINED
    )
    if since is not None:
        declined_events = declined_events.filter(at__gt=since)
    else:
        declined_events = declined_events.filter(at__gt=timezone.now() - dt.timedelta(days=30))
    declined = list(
        sent.filter(status=Referral.Status.DECLINED, pk__in=declined_events.values("referral_id"))
        .select_related("to_organization")
        .order_by("-updated_at", "-pk")[:limit]
    )
    late = _overdue(sent)
    overdue = list(late.select_related("to_organization").order_by("due_date", "pk")[:limit])
    overdue_count = late.count() if len(overdue) == limit else len(overdue)
    seen = timezone.localtime(since).date() if since is not None else None
    new_overdue = {r.pk for r in overdue if seen is None or r.due_date >= seen}
    return SenderNews(
        since=since,
        declined=declined,
        overdue=overdue,
        overdue_count=overdue_count,
        new_overdue=new_overdue,
    )
