"""Staff: users belong to one organization and hold roles for a period."""

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tsunagu.organizations.models import Organization


class Role(models.TextChoices):
    """Staff roles. Codes are stable; a city's own title for a role goes in RoleAssignment.title."""

    COUNSELOR = "counselor", "相談員"
    COORDINATOR = "coordinator", "多機関協働コーディネーター・CSW"
    OUTREACH_WORKER = "outreach_worker", "アウトリーチ支援員"
    PARTICIPATION_COORDINATOR = "participation_coordinator", "参加支援コーディネーター"
    LIFE_SUPPORT_COORDINATOR = "life_support_coordinator", "生活支援コーディネーター"
    LIAISON = "liaison", "庁内連携担当（相談支援推進員・コネクター等）"
    MANAGER = "manager", "管理者"
    ADMIN = "admin", "システム管理者"


class User(AbstractUser):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name="所属",
    )
    phone = models.CharField("電話・内線", max_length=40, blank=True)

    class Meta:
        verbose_name = "職員"
        verbose_name_plural = "職員"
        constraints = [
            # Everybody but a bootstrap superuser works for an organization.
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(is_superuser=True),
                name="user_has_organization",
            ),
        ]

    def get_full_name(self) -> str:
        """Japanese order: family name first (Django's default puts the given name first)."""
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def full_name(self) -> str:
        return self.get_full_name() or self.username

    def active_roles(self, on: dt.date | None = None) -> set[str]:
        day = on or timezone.localdate()
        return {
            a.role
            for a in self.role_assignments.all()
            if a.start_date <= day and (a.end_date is None or a.end_date >= day)
        }

    def has_role(self, *roles: str) -> bool:
        return bool(self.active_roles() & set(roles))


class RoleAssignment(models.Model):
    """A role a user holds from start_date to end_date (inclusive; open-ended when empty)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField("役割", max_length=32, choices=Role.choices)
    title = models.CharField(
        "職名",
        max_length=100,
        blank=True,
        help_text="市での呼び名（例: 相談支援推進員、コネクター）",
    )
    start_date = models.DateField("開始日")
    end_date = models.DateField("終了日", null=True, blank=True)

    class Meta:
        verbose_name = "役割"
        verbose_name_plural = "役割"
        ordering = ["user", "role", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="role_assignment_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="role_assignment_role_valid"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "start_date"], name="role_assignment_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()}"


class ApiToken(models.Model):
    """An API key of a staff member. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "APIトークン"
        verbose_name_plural = "APIトークン"

    def __str__(self) -> str:
        return f"{self.user} のAPIトークン"
