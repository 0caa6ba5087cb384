"""Who may see a person's records, and who did.

An organization sees a record because it recorded it, or because a live `AccessGrant` exists:
created by a referral under consent (and, later, case teams, 支援会議 agendas, statutes), with
its basis, scope and validity. Withdrawing a consent ends the grants it created. Every read and
write of personal data writes an `AccessLog` row naming the grant it used.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from tsunagu.consent.models import Consent
from tsunagu.consultations.models import Consultation
from tsunagu.core.tokyo import tokyo_text
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person
from tsunagu.referrals.models import Basis, Referral


class AccessGrant(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="grants")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="grants", verbose_name="提供先"
    )
    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants",
        verbose_name="共有する相談",
    )
    includes_content = models.BooleanField("相談内容", default=False)
    includes_contact = models.BooleanField("連絡先", default=False)
    includes_address = models.BooleanField("住所", default=False)
    basis = models.CharField("根拠", max_length=16, choices=Basis.choices)
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="grants"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="grants"
    )
    meeting_body = models.ForeignKey(
        MeetingBody, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    statute = models.CharField("根拠法令", max_length=200, blank=True)
    valid_from = models.DateTimeField("開始")
    valid_until = models.DateField("終了予定", null=True, blank=True)
    ended_at = models.DateTimeField("終了日時", null=True, blank=True)
    end_reason = models.CharField("終了の理由", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "閲覧の許可"
        verbose_name_plural = "閲覧の許可"
        indexes = [models.Index(fields=["organization", "person"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(basis="consent", consent__isnull=False)
                    | Q(basis="support_meeting", meeting_body__isnull=False)
                    | (Q(basis="statute") & ~Q(statute=""))
                ),
                name="grant_basis_documented",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} ← {self.person} ({self.get_basis_display()})"


class AccessLog(models.Model):
    """One read or write of personal data. Append-only."""

    class Action(models.TextChoices):
        VIEW = "view", "閲覧"
        LIST = "list", "一覧表示"
        SEARCH = "search", "検索結果"
        CREATE = "create", "登録"
        UPDATE = "update", "更新"
        EXPORT = "export", "出力"
        SHARE = "share", "提供"
        LINK = "link", "名寄せ"
        IMPORT = "import", "取込"

    class Via(models.TextChoices):
        OWN = "own", "自機関の記録"
        GRANT = "grant", "閲覧の許可"
        ROLE = "role", "職務上の権限"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # a staff member acting in an organization; only an administrator's command run without a
    # staff account (tsunagu find-duplicates) has none, and names its operating-system login
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    operator = models.CharField("操作者（コマンド）", max_length=150, blank=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="access_logs"
    )
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    via = models.CharField("根拠", max_length=8, choices=Via.choices)
    grant = models.ForeignKey(
        AccessGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField("経路", max_length=8, default="web")  # web | api | cli

    class Meta:
        verbose_name = "アクセス記録"
        verbose_name_plural = "アクセス記録"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["person", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, organization__isnull=False)
                | (Q(user__isnull=True, channel="cli") & ~Q(operator="")),
                name="access_log_names_who",
            )
        ]

    def __str__(self) -> str:
        return f"{tokyo_text(self.at)} {self.actor} {self.get_action_display()} {self.object_type}"

    @property
    def actor(self) -> str:
        """Who did it: the staff member, or the login that ran a command."""
        if self.user is not None:
            return self.user.get_full_name() or self.user.username
        return f"{self.operator}（コマンド）"
