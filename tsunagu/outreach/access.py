"""The entry points to outreach targets: every page and endpoint reads a target through here, and
each logs what it returns (one row per person shown; an unidentified target is about no person).

A target is seen by the organization that holds it (`via=own`), and, once identified, by an
organization a live grant shares the person's content with (`via=grant`), as consultations are."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.access.scoping import live_grants, user_organization
from tsunagu.access.services import Shown, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.outreach.models import OutreachTarget

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via


def _shown(user: User, targets: list[OutreachTarget]) -> list[Shown]:
    organization = user_organization(user)
    others = [
        t.person_id
        for t in targets
        if t.organization_id != organization.pk and t.person_id is not None
    ]
    grants: dict[int, AccessGrant] = {}
    if others:
        for g in (
            live_grants(organization=organization)
            .filter(person_id__in=others, includes_content=True)
            .order_by("valid_from", "pk")
        ):
            grants.setdefault(g.person_id, g)
    rows = []
    for t in targets:
        if t.organization_id == organization.pk:
            rows.append(Shown(obj=t, person=t.person, via=Via.OWN))
        else:
            rows.append(
                Shown(obj=t, person=t.person, via=Via.GRANT, grant=grants.get(t.person_id or 0))
            )
    return rows


def target_get_for(
    *,
    user: User,
    target_id: int,
    channel: Channel,
    own: bool = False,
    action: Action | None = Action.VIEW,
) -> OutreachTarget:
    """One target as this user may see it, logged; 404 when none. `own=True`: only the holding
    organization (to change it); `action=None` when the caller's service logs what it does."""
    queryset = (
        OutreachTarget.objects.held_by(user) if own else OutreachTarget.objects.visible_to(user)
    )
    target = (
        queryset.select_related("organization", "person", "case", "activity", "created_by")
        .filter(pk=target_id)
        .first()
    )
    if target is None:
        raise Http404
    if action is not None:
        access_log_shown(user=user, action=action, channel=channel, shown=_shown(user, [target]))
    return target


def targets_shown(
    *, user: User, targets: Iterable[OutreachTarget], channel: Channel, action: Action = Action.LIST
) -> list[OutreachTarget]:
    """The targets a list or endpoint shows, logged one row per person shown."""
    targets = list(targets)
    if targets:
        access_log_shown(user=user, action=action, channel=channel, shown=_shown(user, targets))
    return targets
