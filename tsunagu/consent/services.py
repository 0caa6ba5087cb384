"""Writes of consent: recorded by the organization holding the person's record; withdrawing it
ends every grant it created, at once."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from tsunagu.access.models import AccessGrant, AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import access_log, grants_end, grants_shorten
from tsunagu.accounts.models import User
from tsunagu.consent.models import Consent, ConsentAttachment, ConsentEvent
from tsunagu.core.history import changed_by, refuse_stale
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person


@transaction.atomic
def consent_record(
    *,
    user: User,
    person: Person,
    method: str,
    purpose: str,
    scope_organizations: list[Organization],
    valid_from: dt.date,
    valid_until: dt.date | None,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> Consent:
    organization = user_organization(user)
    errors: dict[str, str] = {}
    if person.organization_id != organization.pk:
        errors["person"] = "自機関の記録の本人についてだけ同意を記録できます"
    _consent_check(
        errors, organization, method, purpose, scope_organizations, valid_from, valid_until
    )
    consent = Consent(
        person=person,
        organization=organization,
        method=method,
        purpose=purpose.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        obtained_by=user,
    )
    consent.full_clean()
    changed_by(consent, user=user, channel=channel)
    consent.save()
    consent.scope_organizations.set(scope_organizations)
    ConsentEvent.objects.create(consent=consent, kind=ConsentEvent.Kind.RECORDED, by=user)
    access_log(
        user=user,
        action=AccessLog.Action.CREATE,
        obj=consent,
        person=person,
        via=AccessLog.Via.OWN,
        channel=channel,
    )
    return consent


def _consent_check(
    errors: dict[str, str],
    organization: Organization,
    method: str,
    purpose: str,
    scope_organizations: list[Organization],
    valid_from: dt.date,
    valid_until: dt.date | None,
) -> None:
    if method not in Consent.Method.values:
        errors["method"] = "同意の方法を選んでください"
    if not purpose.strip():
        errors["purpose"] = "利用目的を入力してください"
    if not scope_organizations:
        errors["scope_organizations"] = "提供先の機関を1つ以上選んでください"
    elif any(o.municipality_id != organization.municipality_id for o in scope_organizations):
        errors["scope_organizations"] = "提供先に他の市の機関が含まれています"
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = "有効期間の終了が開始より前です"
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})


@transaction.atomic
def consent_update(
    *,
    user: User,
    consent: Consent,
    method: str,
    purpose: str,
    scope_organizations: list[Organization],
    valid_from: dt.date,
    valid_until: dt.date | None,
    expected_version: int | None = None,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> Consent:
    """Correct a consent as on the 同意書 (only the organization that obtained it, not once
    withdrawn). What the consent no longer covers stops at once: sharing with an organization
    taken out of the scope ends, and no sharing lasts past the new end of the period. With
    `expected_version` (the version the edit form was made from), a save over someone else's
    newer save or withdrawal is refused, naming what changed."""
    organization = user_organization(user)
    if consent.organization_id != organization.pk:
        raise ValidationError("同意を得た機関だけが同意を変更できます")
    _consent_check({}, organization, method, purpose, scope_organizations, valid_from, valid_until)
    if expected_version is not None:
        refuse_stale(consent, expected_version)
    # unscoped: the consent being saved, read again under its lock
    if Consent.dangerously_unscoped.filter(pk=consent.pk, withdrawn_at__isnull=False).exists():
        raise ValidationError("この同意は撤回されています。撤回された同意は変更できません")
    consent.method = method
    consent.purpose = purpose.strip()
    consent.valid_from = valid_from
    consent.valid_until = valid_until
    consent.version += 1
    consent.full_clean()
    changed_by(consent, user=user, channel=channel)
    consent.save()
    consent.scope_organizations.set(scope_organizations)
    ConsentEvent.objects.create(consent=consent, kind=ConsentEvent.Kind.CHANGED, by=user)
    grants = AccessGrant.objects.filter(consent=consent, ended_at__isnull=True)
    grants_end(
        grants=grants.exclude(organization__in=scope_organizations),
        reason="本人同意の範囲の変更",
    )
    if valid_until is not None:
        grants_shorten(grants=grants, until=valid_until)
    access_log(
        user=user,
        action=AccessLog.Action.UPDATE,
        obj=consent,
        person=consent.person,
        via=AccessLog.Via.OWN,
        channel=channel,
    )
    return consent


@transaction.atomic
def consent_withdraw(*, user: User, consent: Consent, note: str = "") -> Consent:
    if consent.organization_id != user_organization(user).pk:
        raise ValidationError("同意を得た機関だけが撤回を記録できます")
    if consent.withdrawn_at is not None:
        raise ValidationError("この同意は既に撤回されています")
    # a withdrawal is a change too: an edit form opened before it is told (the row locked)
    # unscoped: the consent being withdrawn, by the organization that obtained it
    current = Consent.dangerously_unscoped.select_for_update().get(pk=consent.pk)
    if current.withdrawn_at is not None:
        raise ValidationError("この同意は既に撤回されています")
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = user
    consent.withdrawal_note = note.strip()
    consent.version = current.version + 1
    changed_by(consent, user=user, channel=AccessLog.Channel.WEB)
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note", "version"])
    ConsentEvent.objects.create(
        consent=consent, kind=ConsentEvent.Kind.WITHDRAWN, by=user, note=note.strip()
    )
    grants_end(grants=AccessGrant.objects.filter(consent=consent), reason="本人同意の撤回")
    access_log(
        user=user,
        action=AccessLog.Action.UPDATE,
        obj=consent,
        person=consent.person,
        via=AccessLog.Via.OWN,
    )
    return consent


def consent_covers(*, consent: Consent, organization: Organization, on: dt.date) -> bool:
    """Whether a consent allows sharing with `organization` on a day."""
    if consent.withdrawn_at is not None:
        return False
    if consent.valid_from > on or (consent.valid_until is not None and consent.valid_until < on):
        return False
    return consent.scope_organizations.filter(pk=organization.pk).exists()


MAX_SCAN_BYTES = 10 * 1024 * 1024  # 10 MB: a few scanned pages
_SIGNATURES = (
    (b"%PDF-", ConsentAttachment.Kind.PDF),
    (b"\xff\xd8\xff", ConsentAttachment.Kind.JPEG),
    (b"\x89PNG\r\n\x1a\n", ConsentAttachment.Kind.PNG),
)


def scan_kind(head: bytes) -> str | None:
    """The kind of a file from its first bytes (never from its name or the browser's word)."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


@transaction.atomic
def consent_attach(
    *,
    user: User,
    consent: Consent,
    upload: UploadedFile[bytes],
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> ConsentAttachment:
    """Keep the scanned, signed consent form with the consent: PDF, JPEG or PNG by its content,
    at most `MAX_SCAN_BYTES`. Only the organization that obtained the consent attaches it."""
    if consent.organization_id != user_organization(user).pk:
        raise ValidationError({"file": ["同意を得た機関だけが同意書の写しを登録できます"]})
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": ["ファイルが空です"]})
    if size > MAX_SCAN_BYTES:
        limit = MAX_SCAN_BYTES // (1024 * 1024)
        raise ValidationError({"file": [f"ファイルが大きすぎます（{limit}MBまで）"]})
    upload.seek(0)
    content = upload.read(MAX_SCAN_BYTES + 1)
    if len(content) > MAX_SCAN_BYTES:
        limit = MAX_SCAN_BYTES // (1024 * 1024)
        raise ValidationError({"file": [f"ファイルが大きすぎます（{limit}MBまで）"]})
    kind = scan_kind(content[:16])
    if kind is None:
        raise ValidationError(
            {"file": ["PDF・JPEG・PNGのファイルを選んでください（中身がそのどれでもありません）"]}
        )
    attachment = ConsentAttachment.objects.create(
        consent=consent,
        content_type=kind,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        original_name=(upload.name or "")[-200:],
        uploaded_by=user,
    )
    ConsentEvent.objects.create(
        consent=consent, kind=ConsentEvent.Kind.RECORDED, by=user, note="同意書の写しを登録"
    )
    access_log(
        user=user,
        action=AccessLog.Action.CREATE,
        obj=attachment,
        person=consent.person,
        via=AccessLog.Via.OWN,
        channel=channel,
    )
    return attachment
