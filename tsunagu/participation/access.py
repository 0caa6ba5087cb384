"""The entry points to 参加支援's personal data, each logging what it returns.

The organization that made a placement holds it (`via=own`). The host's organization (the
provider of the host resource) sees it while the consent named on it is live and covers that
organization (`via=grant`: the person's consent), and then only what the person agreed to share:
`HostView` leaves out the needs profile unless `share_profile`, the contact unless
`share_contact`, and always the coordinator's notes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import Http404

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import Shown, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.participation.models import NeedsProfile, Placement

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via


@dataclass(frozen=True)
class PlacementAccess:
    placement: Placement
    holder: bool  # the user's organization made it; otherwise the host's, under consent

    @property
    def shows_profile(self) -> bool:
        return self.holder or self.placement.share_profile

    @property
    def shows_contact(self) -> bool:
        return self.holder or self.placement.share_contact


def _shown(user: User, placements: list[Placement]) -> list[Shown]:
    organization = user_organization(user)
    return [
        Shown(
            obj=p,
            person=p.person,
            via=Via.OWN if p.organization_id == organization.pk else Via.GRANT,
        )
        for p in placements
    ]


def placement_get_for(
    *,
    user: User,
    placement_id: int,
    channel: Channel,
    own: bool = False,
    action: Action | None = Action.VIEW,
) -> PlacementAccess:
    """One placement as this user may see it, logged; 404 when none. `own=True`: only the
    organization that made it (to change it)."""
    queryset = Placement.objects.held_by(user) if own else Placement.objects.visible_to(user)
    placement = (
        queryset.select_related(
            "person", "offer__resource__provider", "organization", "case", "consent"
        )
        .filter(pk=placement_id)
        .distinct()
        .first()
    )
    if placement is None:
        raise Http404
    if action is not None:
        access_log_shown(user=user, action=action, channel=channel, shown=_shown(user, [placement]))
    return PlacementAccess(
        placement=placement, holder=placement.organization_id == user_organization(user).pk
    )


def placements_shown(
    *, user: User, placements: Iterable[Placement], channel: Channel, action: Action = Action.LIST
) -> list[PlacementAccess]:
    placements = list(placements)
    if placements:
        access_log_shown(user=user, action=action, channel=channel, shown=_shown(user, placements))
    organization_id = user_organization(user).pk
    return [
        PlacementAccess(placement=p, holder=p.organization_id == organization_id)
        for p in placements
    ]


def profile_get_for(
    *, user: User, person_id: int, channel: Channel, action: Action = Action.VIEW
) -> NeedsProfile | None:
    """The user's organization's needs profile of a person, logged; None when there is none."""
    profile = (
        NeedsProfile.objects.held_by(user)
        .select_related("person")
        .filter(person_id=person_id)
        .first()
    )
    if profile is not None:
        access_log_shown(
            user=user,
            action=action,
            channel=channel,
            shown=[Shown(obj=profile, person=profile.person, via=Via.OWN)],
        )
    return profile
