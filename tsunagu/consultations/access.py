"""Who may read a consultation's content, and on what basis: the entry points every page,
endpoint and export uses to read consultations. Each one logs what it returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import Http404

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.access.scoping import live_grants, user_organization
from tsunagu.access.services import Shown, access_log, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.consultations.models import Consultation

Action = AccessLog.Action
Channel = AccessLog.Channel
Via = AccessLog.Via


@dataclass(frozen=True)
class ConsultationAccess:
    consultation: Consultation
    via: Via
    grant: AccessGrant | None

    @property
    def own(self) -> bool:
        return self.via == Via.OWN

    def shown(self) -> Shown:
        # by id: a list need not load each consultation's person to log it
        return Shown(
            obj=self.consultation,
            person=None,
            person_id=self.consultation.person_id,
            via=self.via,
            grant=self.grant,
        )


def consultation_accesses(
    *, user: User, consultations: Iterable[Consultation]
) -> dict[int, ConsultationAccess]:
    """The basis each consultation is read on (one query for the grants); those whose content
    the user may not read are absent. Logs nothing."""
    organization = user_organization(user)
    out: dict[int, ConsultationAccess] = {}
    others = []
    for c in consultations:
        if c.organization_id == organization.pk:
            out[c.pk] = ConsultationAccess(consultation=c, via=Via.OWN, grant=None)
        else:
            others.append(c)
    if others:
        grants: dict[int, AccessGrant] = {}
        for grant in (
            live_grants(organization=organization)
            .filter(consultation__in=others, includes_content=True)
            .order_by("valid_from", "pk")
        ):
            if grant.consultation_id is not None:
                grants[grant.consultation_id] = grant  # the newest wins
        for c in others:
            if c.pk in grants:
                out[c.pk] = ConsultationAccess(consultation=c, via=Via.GRANT, grant=grants[c.pk])
    return out


def consultation_get_for(
    *,
    user: User,
    consultation_id: int,
    channel: Channel,
    action: Action = Action.VIEW,
    own: bool = False,
) -> ConsultationAccess:
    """One consultation whose content this user may read, logged; 404 when none.
    `own=True`: only the window that took it (to add to it or refer it on)."""
    consultation = (
        Consultation.objects.visible_to(user)
        .select_related(
            "organization__municipality",
            "site",
            "person__household_membership__household",
            "received_by",
        )
        .prefetch_related("topics")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        raise Http404
    access = consultation_accesses(user=user, consultations=[consultation]).get(consultation.pk)
    if access is None or (own and not access.own):
        raise Http404
    access_log(
        user=user,
        action=action,
        obj=consultation,
        person=consultation.person,
        via=access.via,
        grant=access.grant,
        channel=channel,
    )
    return access


def consultations_shown(
    *, user: User, consultations: Iterable[Consultation], action: Action, channel: Channel
) -> dict[int, ConsultationAccess]:
    """The accesses to consultations a list or endpoint shows, logged one row per person
    (naming that person's consultations)."""
    accesses = consultation_accesses(user=user, consultations=consultations)
    access_log_shown(
        user=user, action=action, channel=channel, shown=[a.shown() for a in accesses.values()]
    )
    return accesses
