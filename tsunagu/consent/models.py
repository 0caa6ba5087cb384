"""本人同意: a person's consent to share their information, with scope, purpose and period."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager
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

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="consents_obtained",
        verbose_name="同意を得た機関",
    )
    method = models.CharField("方法", max_length=8, choices=Method.choices)
    purpose = models.TextField("利用目的")
    scope_organizations = models.ManyToManyField(
        Organization, related_name="consents_received", verbose_name="提供先の機関"
    )
    valid_from = models.DateField("有効期間（開始）")
    valid_until = models.DateField("有効期間（終了）", null=True, blank=True)
    obtained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    obtained_at = models.DateTimeField("記録日時", auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤回日時", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
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
                condition=Q(method__in=["written", "verbal"]), name="consent_method_valid"
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
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    objects = ScopedManager["ConsentEvent"](ConsentEventQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.consent} {self.get_kind_display()}"
