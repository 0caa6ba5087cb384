"""Staff: users belong to one organization and hold roles for a period."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connection, models
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
        # read on every page (the menu): a plain statement, which costs a tenth of the ORM's
        # building of it (performance.md)
        table = connection.ops.quote_name(RoleAssignment._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT role FROM {table} WHERE user_id = %s AND start_date <= %s"  # noqa: S608
                " AND (end_date IS NULL OR end_date >= %s)",
                [self.pk, day, day],
            )
            return {role for (role,) in cursor.fetchall()}

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


def api_token_default_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS)


class ApiToken(models.Model):
    """An API key of a staff member. Only its SHA-256 is stored; the key is shown once.

    A key works until it expires (`TSUNAGU_API_TOKEN_DAYS` after issue by default) or is
    revoked, whichever comes first.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField("用途", max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("発行日時", auto_now_add=True)
    expires_at = models.DateTimeField("有効期限", default=api_token_default_expiry)
    last_used_at = models.DateTimeField("最終利用", null=True, blank=True)
    revoked_at = models.DateTimeField("失効日時", null=True, blank=True)

    class Meta:
        verbose_name = "APIトークン"
        verbose_name_plural = "APIトークン"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} のAPIトークン"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class UserSession(AbstractBaseSession):
    """A signed-in session, with the staff member it belongs to, so that all of a person's
    sessions can be ended at once ("log out everywhere", a manager's reset)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions"
    )

    class Meta:
        verbose_name = "セッション"
        verbose_name_plural = "セッション"


class AccountEventKind(models.TextChoices):
    LOGIN = "login", "ログイン"
    LOGIN_FAILED = "login_failed", "ログイン失敗"
    LOCKED_OUT = "locked_out", "ロック"
    UNLOCKED = "unlocked", "ロック解除"
    TWO_FACTOR_OK = "two_factor_ok", "確認コード成功"
    TWO_FACTOR_FAILED = "two_factor_failed", "確認コード失敗"
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", "認証アプリ登録"
    TWO_FACTOR_RESET = "two_factor_reset", "認証アプリのリセット"
    LOGOUT = "logout", "ログアウト"
    IDLE_TIMEOUT = "idle_timeout", "無操作で自動ログアウト"
    LOGOUT_EVERYWHERE = "logout_everywhere", "すべての端末からログアウト"
    TOKEN_CREATED = "token_created", "APIトークン発行"
    TOKEN_REVOKED = "token_revoked", "APIトークン失効"


ACCOUNT_EVENT_KINDS = AccountEventKind.values


class AccountEvent(models.Model):
    """The sign-in history of staff accounts: successes, failures and security actions."""

    Kind = AccountEventKind

    at = models.DateTimeField("日時", default=timezone.now, db_index=True)
    kind = models.CharField("内容", max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="account_events",
        verbose_name="職員",
    )
    username = models.CharField("入力されたユーザー名", max_length=150, blank=True, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作した職員",
        help_text="本人以外（管理者など）が操作したとき",
    )
    ip_address = models.GenericIPAddressField("IPアドレス", null=True, blank=True)
    detail = models.CharField("詳細", max_length=200, blank=True)

    class Meta:
        verbose_name = "ログイン履歴"
        verbose_name_plural = "ログイン履歴"
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ACCOUNT_EVENT_KINDS), name="account_event_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_kind_display()}"
