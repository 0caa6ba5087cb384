"""本人同意: a person's consent to share their information, with scope, purpose and period."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager, live_grants
from tsunagu.core.history import history
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person


class ConsentQuerySet(ScopedQuerySet["Consent"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(organization=organization)  # the organization that obtained it


class ConsentEventQuerySet(ScopedQuerySet["ConsentEvent"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(consent__organization=organization)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(consent__organization=organization)


class Consent(models.Model):
    class Method(models.TextChoices):
        WRITTEN = "written", "書面"
        VERBAL = "verbal", "口頭"
        ELECTRONIC = "electronic", "電子"

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="consents", verbose_name="本人"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="consents_obtained",
        verbose_name="同意を得た機関",
    )
    method = models.CharField("方法", max_length=12, choices=Method.choices)
    purpose = models.TextField("利用目的")
    scope_organizations = models.ManyToManyField(
        Organization, related_name="consents_received", verbose_name="提供先の機関"
    )
    valid_from = models.DateField("有効期間（開始）")
    valid_until = models.DateField("有効期間（終了）", null=True, blank=True)
    obtained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="同意を得た職員",
    )
    obtained_at = models.DateTimeField("記録日時", auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤回日時", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="撤回を記録した職員",
    )
    withdrawal_note = models.CharField("撤回の記録", max_length=300, blank=True)
    # no silent overwrite: a save from an older version is refused (core/history.py refuse_stale)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()
    objects = ScopedManager["Consent"](ConsentQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "本人同意"
        verbose_name_plural = "本人同意"
        ordering = ["-obtained_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="consent_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(method__in=["written", "verbal", "electronic"]),
                name="consent_method_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.purpose[:20]}"


class ConsentEvent(models.Model):
    """Append-only history of a consent."""

    class Kind(models.TextChoices):
        RECORDED = "recorded", "記録"
        WITHDRAWN = "withdrawn", "撤回"
        CHANGED = "changed", "変更"

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices, verbose_name="種類")
    at = models.DateTimeField(auto_now_add=True, verbose_name="日時")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="記録した職員",
    )
    note = models.CharField(max_length=300, blank=True, verbose_name="メモ")

    objects = ScopedManager["ConsentEvent"](ConsentEventQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "本人同意の経過"
        verbose_name_plural = "本人同意の経過"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.consent} {self.get_kind_display()}"


class ConsentAttachmentQuerySet(ScopedQuerySet["ConsentAttachment"]):
    def visibility(self, organization: Organization) -> Q:
        # the organization that obtained the consent, and one the consent covers while it is
        # not withdrawn and that organization has a live basis to see the person (住所秘匿 is
        # checked where the scan is served: a protected person's form goes to the holder only)
        shared = live_grants(organization=organization).values("person_id")
        covering = Consent.dangerously_unscoped.filter(  # unscoped: a subquery of ids
            scope_organizations=organization, withdrawn_at__isnull=True, person_id__in=shared
        ).values("pk")
        return Q(consent__organization=organization) | Q(consent_id__in=covering)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(consent__organization=organization)


class ConsentAttachment(models.Model):
    """The scanned, signed consent form (同意書の写し): a PDF or an image, kept in the database
    (outside the web root and the static files) and served only through an access-checked,
    logged view. Retention empties `content` and keeps the row for the counts."""

    class Kind(models.TextChoices):
        PDF = "application/pdf", "PDF"
        JPEG = "image/jpeg", "JPEG画像"
        PNG = "image/png", "PNG画像"

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="attachments")
    content_type = models.CharField("種類", max_length=20, choices=Kind.choices)
    content = models.BinaryField("内容", editable=False)
    size = models.PositiveIntegerField("大きさ（バイト）")
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField("元のファイル名", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="登録した職員",
    )
    uploaded_at = models.DateTimeField("登録日時", auto_now_add=True)
    erased_at = models.DateTimeField("消去日時", null=True, blank=True)

    objects = ScopedManager["ConsentAttachment"](ConsentAttachmentQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "同意書の写し"
        verbose_name_plural = "同意書の写し"
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
                name="consent_attachment_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consent_id} {self.get_content_type_display()}"

    @property
    def extension(self) -> str:
        return {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[
            self.content_type
        ]
