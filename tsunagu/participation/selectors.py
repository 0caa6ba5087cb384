"""Reads of 参加支援: hosts and their offers, ranked host suggestions that say why each fits (or
does not), the work list (follow-ups due, placements without attendance) and the counts of a
fiscal year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.accounts.models import User
from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.organizations.models import Municipality
from tsunagu.participation.access import PlacementAccess, placements_shown
from tsunagu.participation.models import (
    OCCUPYING,
    WEEKDAYS,
    Attendance,
    FollowUp,
    HostOffer,
    HostSupport,
    NeedsProfile,
    OfferKind,
    Placement,
    PlacementStage,
)
from tsunagu.people.access import PersonAccess
from tsunagu.resources.models import Audience, CommunityResource

Channel = AccessLog.Channel

NO_ATTENDANCE_WEEKS = 2


def hosts_for(*, user: User) -> QuerySet[CommunityResource]:
    """The city's hosts (resources marked 受け入れ先) with their offers."""
    municipality_id = user_organization(user).municipality_id
    return (
        CommunityResource.objects.filter(municipality_id=municipality_id, is_host=True)
        .select_related("provider")
        .prefetch_related("host_offers")
        .order_by("name_kana", "name")
    )


def offers_for(*, user: User, active_only: bool = True) -> QuerySet[HostOffer]:
    municipality_id = user_organization(user).municipality_id
    offers = HostOffer.objects.filter(municipality_id=municipality_id, resource__is_host=True)
    if active_only:
        offers = offers.filter(is_active=True)
    return offers.select_related("resource__provider").annotate(
        occupied=Count("placements", filter=Q(placements__stage__in=OCCUPYING))
    )


def host_supports_for(*, user: User, resource: CommunityResource) -> list[HostSupport]:
    return list(
        HostSupport.objects.filter(resource=resource)
        .select_related("organization")
        .order_by("-supported_on")
    )


@dataclass(frozen=True)
class Suggestion:
    offer: HostOffer
    score: int
    fits: list[str]
    misfits: list[str]

    @property
    def available(self) -> bool:
        occupied: int = getattr(self.offer, "occupied", 0)
        return occupied < self.offer.capacity


def _labels(codes: list[str]) -> str:
    names = dict(WEEKDAYS)
    return "・".join(names[c] for c in codes if c in names)


def suggestions(*, user: User, profile: NeedsProfile) -> list[Suggestion]:
    """Every active offer of the city ranked for this person, each with why it fits and why not:
    kind wished, days in common, step-free access when needed, whom it welcomes, room left."""
    kinds = dict(OfferKind.choices)
    audiences = dict(Audience.choices)
    out = []
    for offer in offers_for(user=user):
        fits: list[str] = []
        misfits: list[str] = []
        score = 0
        if profile.kinds:
            if offer.kind in profile.kinds:
                score += 3
                fits.append(f"希望する種類（{kinds[offer.kind]}）です")
            else:
                misfits.append(f"希望する種類ではありません（{kinds.get(offer.kind, offer.kind)}）")
        if profile.weekdays:
            common = [d for d in offer.weekdays if d in profile.weekdays]
            if common:
                score += 2
                fits.append(f"参加できる曜日（{_labels(common)}）に開いています")
            elif offer.weekdays:
                misfits.append(f"参加できる曜日に開いていません（{_labels(offer.weekdays)}）")
        if profile.needs_barrier_free:
            if offer.barrier_free:
                score += 2
                fits.append("段差がなく車いすで利用できます")
            else:
                score -= 5
                misfits.append("段差なし・車いす可ではありません")
        if profile.audience and offer.audiences:
            if profile.audience in offer.audiences or Audience.EVERYONE in offer.audiences:
                score += 1
                fits.append(f"{audiences.get(profile.audience, '')}を歓迎しています")
            else:
                misfits.append(f"{audiences.get(profile.audience, '')}を対象としていません")
        room = offer.capacity - offer.occupied  # type: ignore[attr-defined]
        if room > 0:
            fits.append(f"空きがあります（あと{room}人）")
        else:
            score -= 10
            misfits.append("満員です")
        out.append(Suggestion(offer=offer, score=score, fits=fits, misfits=misfits))
    out.sort(key=lambda s: (-s.score, s.offer.resource.name, s.offer.pk))
    return out


def placements_for(
    *, user: User, stage: str = "", person_id: int | None = None, own: bool = False
) -> QuerySet[Placement]:
    """The placements the user may see (`own`: only those its organization made, read without
    the host organizations' rule and its `DISTINCT`)."""
    scoped = Placement.objects.held_by(user) if own else Placement.objects.visible_to(user)
    queryset = scoped.select_related("person", "offer__resource", "organization")
    if stage:
        queryset = queryset.filter(stage=stage)
    if person_id is not None:
        queryset = queryset.filter(person_id=person_id)
    if not own:
        queryset = queryset.distinct()
    return queryset.order_by("-proposed_on", "-pk")


@dataclass(frozen=True)
class ParticipationWork:
    today: dt.date
    no_attendance_weeks: int
    follow_ups_due: list[FollowUp]  # due by today, not done (overdue first)
    follow_ups_soon: list[FollowUp]  # due within 14 days
    without_attendance: list[PlacementAccess]


def participation_work(
    *,
    user: User,
    today: dt.date | None = None,
    no_attendance_weeks: int = NO_ATTENDANCE_WEEKS,
    channel: Channel = Channel.WEB,
) -> ParticipationWork:
    """The holding organization's work list, logged one row per person shown."""
    today = today or timezone.localdate()
    follow_ups = list(
        FollowUp.objects.held_by(user)
        .filter(done_on__isnull=True, due_on__lte=today + dt.timedelta(days=14))
        .select_related("placement__person", "placement__offer__resource")
        .order_by("due_on", "pk")
    )
    since = today - dt.timedelta(weeks=no_attendance_weeks)
    quiet = list(
        Placement.objects.held_by(user)
        .filter(stage__in=OCCUPYING)
        .annotate(last=Max("attendances__attended_on", filter=Q(attendances__attended=True)))
        .filter(
            Q(last__lte=since)
            | Q(last__isnull=True, started_on__lte=since)
            | Q(last__isnull=True, started_on__isnull=True, trial_on__lte=since)
        )
        .select_related("person", "offer__resource")
        .order_by("last", "pk")
    )
    shown = {p.pk: p for p in [*(f.placement for f in follow_ups), *quiet]}
    placements_shown(user=user, placements=shown.values(), channel=channel)
    return ParticipationWork(
        today=today,
        no_attendance_weeks=no_attendance_weeks,
        follow_ups_due=[f for f in follow_ups if f.due_on <= today],
        follow_ups_soon=[f for f in follow_ups if f.due_on > today],
        without_attendance=[PlacementAccess(placement=p, holder=True) for p in quiet],
    )


@dataclass(frozen=True)
class ParticipationCounts:
    fiscal_year: int
    hosts: int  # 協力事業者数: hosts with an active offer
    host_supports: int
    persons: int  # persons with a placement proposed in the year
    matchings_new: int
    matchings_total: int  # 延べ: placements proposed in the year
    started: int
    attendances: int  # 延べ visits
    declined: int
    ended: int
    follow_ups_done: int


def participation_counts(*, municipality: Municipality, fiscal_year: int) -> ParticipationCounts:
    """A fiscal year of 参加支援 for the whole city (numbers only): a fixed number of queries."""
    first, last = fiscal_year_bounds(fiscal_year, start_month=municipality.fiscal_year_start_month)
    # unscoped: counts for the city as a whole; no record leaves this function
    placements = Placement.dangerously_unscoped.filter(offer__municipality=municipality)
    proposed = placements.filter(proposed_on__range=(first, last))
    figures = proposed.aggregate(
        total=Count("pk"),
        new=Count("pk", filter=Q(is_new=True)),
        persons=Count("person", distinct=True),
    )
    # unscoped: counts only, as above
    follow_ups = FollowUp.dangerously_unscoped.filter(
        placement__offer__municipality=municipality, done_on__range=(first, last)
    )
    # unscoped: counts only, as above
    attendances = Attendance.dangerously_unscoped.filter(
        placement__offer__municipality=municipality,
        attended=True,
        attended_on__range=(first, last),
    )
    return ParticipationCounts(
        fiscal_year=fiscal_year,
        hosts=HostOffer.objects.filter(
            municipality=municipality, is_active=True, resource__is_host=True
        )
        .values("resource")
        .distinct()
        .count(),
        host_supports=HostSupport.objects.filter(
            municipality=municipality, supported_on__range=(first, last)
        ).count(),
        persons=figures["persons"],
        matchings_new=figures["new"],
        matchings_total=figures["total"],
        started=placements.filter(started_on__range=(first, last)).count(),
        attendances=attendances.count(),
        declined=placements.filter(
            stage=PlacementStage.DECLINED, declined_on__range=(first, last)
        ).count(),
        ended=placements.filter(ended_on__range=(first, last)).count(),
        follow_ups_done=follow_ups.count(),
    )


def attendances_of(*, user: User, placement: Placement) -> list[Attendance]:
    """A placement's visits (the placement was read and logged by `placement_get_for`)."""
    return list(
        Attendance.objects.visible_to(user).filter(placement=placement).order_by("-attended_on")
    )


def follow_up_of(*, user: User, placement: Placement) -> FollowUp | None:
    return FollowUp.objects.visible_to(user).filter(placement=placement).first()


def profile_for_host(*, access: PlacementAccess) -> NeedsProfile | None:
    """The needs profile the person agreed to share with the host (`share_profile`), read for a
    placement the host's organization already sees under the consent; None otherwise."""
    if not access.shows_profile:
        return None
    placement = access.placement
    # unscoped: shared with the host under the person's consent, checked by placement_get_for
    return NeedsProfile.dangerously_unscoped.filter(
        organization_id=placement.organization_id, person_id=placement.person_id
    ).first()


def person_participation_section(*, user: User, access: PersonAccess) -> dict[str, Any] | None:
    """The person page's 参加支援 section for the holding organization: its placements of this
    record (logged) and the link to the needs profile and suggestions."""
    if not access.own:
        return None
    placements = list(placements_for(user=user, person_id=access.person.pk, own=True))
    placements_shown(user=user, placements=placements, channel=Channel.WEB)
    return {"person": access.person, "placements": placements}
