"""つなぎ: a window hands a consultation on to another organization, and hears back."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from tsunagu.access.models import Basis
from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager
from tsunagu.consent.models import Consent
from tsunagu.consultations.models import Consultation
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person

__all__ = ["Basis", "Referral", "ReferralEvent"]


class ReferralQuerySet(ScopedQuerySet["Referral"]):
    def visibility(self, organization: Organization) -> Q:
        """A referral is its sender's and its receiver's."""
        return Q(from_organization=organization) | Q(to_organization=organization)

    def visibility_parts(self, organization: Organization) -> list[Q]:
        """Sent (the (from, created_at) index), and received but not sent (the (to,
        created_at) index)."""
        return [
            Q(from_organization=organization),
            Q(to_organization=organization) & ~Q(from_organization=organization),
        ]

    def holder_filter(self, organization: Organization) -> Q:
        return Q(from_organization=organization)


class ReferralEventQuerySet(ScopedQuerySet["ReferralEvent"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(referral__from_organization=organization) | Q(
            referral__to_organization=organization
        )

    def holder_filter(self, organization: Organization) -> Q:
        return Q(referral__from_organization=organization)


class Referral(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "依頼中"
        ACCEPTED = "accepted", "受理"
        DECLINED = "declined", "辞退"
        COMPLETED = "completed", "対応完了"
        CANCELLED = "cancelled", "取消"

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="referrals", verbose_name="つなぐ相談"
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="本人",
    )
    from_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="referrals_sent", verbose_name="依頼元"
    )
    to_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="referrals_received",
        verbose_name="依頼先",
    )
    reason = models.TextField("つなぐ理由")
    share_content = models.BooleanField("相談内容を共有", default=True)
    share_contact = models.BooleanField("連絡先を共有", default=True)
    share_address = models.BooleanField("住所を共有", default=False)
    basis = models.CharField("共有の根拠", max_length=16, choices=Basis.choices)
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="本人同意",
    )
    meeting_body = models.ForeignKey(
        MeetingBody,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="支援会議",
    )
    statute = models.CharField("根拠法令", max_length=200, blank=True)
    status = models.CharField(
        "状態", max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    due_date = models.DateField("回答期限")
    decline_reason = models.TextField("辞退の理由", blank=True)
    outcome = models.TextField("対応結果", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="担当者",
        help_text="受理した機関でこのつなぎを受け持つ職員",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager["Referral"](ReferralQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "つなぎ"
        verbose_name_plural = "つなぎ"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["to_organization", "status"]),
            # the inbox and the outbox, newest first (a keyset page walks one of these from
            # its cursor instead of sorting the organization's every referral)
            models.Index(fields=["to_organization", "created_at"], name="referral_to_created"),
            models.Index(fields=["from_organization", "created_at"], name="referral_from_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_organization=F("to_organization")),
                name="referral_to_another_organization",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["requested", "accepted", "declined", "completed", "cancelled"]
                ),
                name="referral_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(basis="consent", consent__isnull=False)
                    | Q(basis="support_meeting", meeting_body__isnull=False)
                    | (Q(basis="statute") & ~Q(statute=""))
                ),
                name="referral_basis_documented",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="referral_decline_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | ~Q(outcome=""),
                name="referral_completion_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_organization} → {self.to_organization} ({self.get_status_display()})"

    @property
    def is_overdue(self) -> bool:
        """Unanswered past its due date (shown on both sides)."""
        return self.status == Referral.Status.REQUESTED and self.due_date < timezone.localdate()


class ReferralEvent(models.Model):
    """Append-only history of a referral."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=Referral.Status.choices, verbose_name="状態")
    at = models.DateTimeField(auto_now_add=True, verbose_name="日時")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="記録した職員",
    )
    note = models.TextField(blank=True, verbose_name="メモ")

    objects = ScopedManager["ReferralEvent"](ReferralEventQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "つなぎの経過"
        verbose_name_plural = "つなぎの経過"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral} {self.get_status_display()}"
