"""Reads of consents: those the user's organization obtained (nobody else reads them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponse

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import Shown, access_log, access_log_shown
from tsunagu.accounts.models import User
from tsunagu.consent.models import Consent, ConsentAttachment
from tsunagu.people.access import PersonAccess, person_accesses
from tsunagu.people.models import Person


def consents_in_force(*, user: User, person: Person, on: dt.date) -> QuerySet[Consent]:
    """The user's organization's consents of a person that are in force on a day (to choose a
    basis from; the choice itself is logged by the referral that uses it)."""
    return (
        Consent.objects.held_by(user)
        .filter(person=person, withdrawn_at__isnull=True, valid_from__lte=on)
        .exclude(valid_until__lt=on)
    )


def person_consents_section(*, user: User, access: PersonAccess) -> dict[str, Any] | None:
    """The person page's 本人同意 section: for the holder only, logged."""
    if not access.own:
        return None
    consents = list(
        Consent.objects.held_by(user)
        .filter(person=access.person)
        .prefetch_related("scope_organizations", scans_prefetch())
    )
    access_log_shown(
        user=user,
        action=AccessLog.Action.LIST,
        channel=AccessLog.Channel.WEB,
        shown=[Shown(obj=c, person=access.person, via=AccessLog.Via.OWN) for c in consents],
    )
    return {"consents": consents}


def scans_prefetch() -> Prefetch:  # type: ignore[type-arg]
    """The kept scans of each consent, without their content, as `consent.scans`."""
    return Prefetch(
        "attachments",
        # unscoped: prefetched onto consents already read through their one door
        queryset=ConsentAttachment.dangerously_unscoped.filter(erased_at__isnull=True).defer(
            "content"
        ),
        to_attr="scans",
    )


def consent_scans_shown(
    *,
    user: User,
    persons: list[Person],
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
    accesses: dict[int, PersonAccess] | None = None,
) -> dict[int, list[ConsentAttachment]]:
    """The scanned consent forms of these persons this user may open, by person id, listed
    (without content) and logged. 住所秘匿: a protected person's form is the holder's only.
    `accesses`: the persons' `person_accesses` for this user, when the caller has them."""
    organization = user_organization(user)
    if accesses is None:
        accesses = person_accesses(user=user, persons=persons)
    out: dict[int, list[ConsentAttachment]] = {}
    shown: list[Shown] = []
    for a in (
        ConsentAttachment.objects.visible_to(user)
        .filter(consent__person__in=persons, erased_at__isnull=True)
        .select_related("consent__person")
        .defer("content")
    ):
        person = a.consent.person
        own = a.consent.organization_id == organization.pk
        access = accesses.get(person.pk)
        if not own and (access is None or person.address_protection_applies):
            continue
        out.setdefault(person.pk, []).append(a)
        shown.append(
            Shown(
                obj=a,
                person=person,
                via=AccessLog.Via.OWN if own else AccessLog.Via.GRANT,
                grant=None if own or access is None else access.grant,
            )
        )
    access_log_shown(user=user, action=AccessLog.Action.LIST, channel=channel, shown=shown)
    return out


def consent_scan_get_for(
    *, user: User, attachment_id: int, channel: AccessLog.Channel = AccessLog.Channel.WEB
) -> ConsentAttachment:
    """One scanned consent form with its content, for the organization that obtained the
    consent or one it covers and that sees the person; logged. 404 otherwise, and for anyone but
    the holder when 住所秘匿 applies (the form shows the address, and an image cannot be
    masked)."""
    attachment = (
        ConsentAttachment.objects.visible_to(user)
        .filter(pk=attachment_id, erased_at__isnull=True)
        .select_related("consent__person__household_membership__household")
        .first()
    )
    if attachment is None:
        raise Http404
    person = attachment.consent.person
    own = attachment.consent.organization_id == user_organization(user).pk
    access = None if own else person_accesses(user=user, persons=[person]).get(person.pk)
    if not own and (access is None or person.address_protection_applies):
        raise Http404
    access_log(
        user=user,
        action=AccessLog.Action.VIEW,
        obj=attachment,
        person=person,
        via=AccessLog.Via.OWN if own else AccessLog.Via.GRANT,
        grant=access.grant if access is not None else None,
        channel=channel,
    )
    return attachment


def consent_scans_list_for(
    *, user: User, consent_id: int, channel: AccessLog.Channel = AccessLog.Channel.API
) -> list[ConsentAttachment]:
    """The kept scans of one consent (without content), for whoever may open them: the
    organization that obtained it, or one it covers (not withdrawn) that sees the person with a
    live basis and no 住所秘匿 in the way; logged. 404 for everyone else, as for a missing id."""
    organization = user_organization(user)
    consent = Consent.objects.held_by(user).filter(pk=consent_id).select_related("person").first()
    own = consent is not None
    if consent is None:
        # unscoped: a consent the user's organization is named in; its person checked below
        consent = (
            Consent.dangerously_unscoped.filter(
                pk=consent_id, scope_organizations=organization, withdrawn_at__isnull=True
            )
            .select_related("person")
            .first()
        )
    if consent is None:
        raise Http404
    person = consent.person
    access = None if own else person_accesses(user=user, persons=[person]).get(person.pk)
    if not own and (access is None or person.address_protection_applies):
        raise Http404
    scans = list(
        ConsentAttachment.objects.visible_to(user)
        .filter(consent=consent, erased_at__isnull=True)
        .defer("content")
    )
    access_log_shown(
        user=user,
        action=AccessLog.Action.LIST,
        channel=channel,
        shown=[
            Shown(
                obj=a,
                person=person,
                via=AccessLog.Via.OWN if own else AccessLog.Via.GRANT,
                grant=access.grant if access is not None else None,
            )
            for a in scans
        ],
    )
    return scans


def consent_scan_response(attachment: ConsentAttachment) -> HttpResponse:
    """The scan's bytes as the web page and the API serve them: inline, never cached, never
    sniffed as another type."""
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    name = f"consent-{attachment.consent_id}-{attachment.pk}.{attachment.extension}"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
