"""Who may see a person's records, and who did: the grant vocabulary and the access log.

An organization sees a record because it recorded it, or because a live `AccessGrant` exists:
created by a referral under consent, by a case team under consent (and, later, 支援会議
agendas, statutes), with its basis, scope and validity. Withdrawing a consent ends the grants
it created. Every read and write of personal data writes an `AccessLog` row naming the grant
it used.

`access` sits below the personal-data apps: it names their models by app label only
("people.Person"), so no code here imports them, and each of them builds its scoped entry point
(`Person.objects.visible_to(user)`) on `tsunagu.access.scoping`.
"""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tsunagu.core.tokyo import tokyo_text
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality, Organization


class Basis(models.TextChoices):
    """The legal basis of a disclosure to another organization."""

    CONSENT = "consent", "本人同意"
    SUPPORT_MEETING = "support_meeting", "支援会議（法第106条の6）"
    STATUTE = "statute", "その他の法令（虐待通報等）"


class Statute(models.Model):
    """A city's own legal basis for sharing without consent (a 条例 or 要綱), in addition to the
    national list in `access/statutes.py`. A statute basis names one of these, never free text."""

    municipality = models.ForeignKey(
        "organizations.Municipality",
        on_delete=models.PROTECT,
        related_name="statutes",
        verbose_name="市",
    )
    code = models.SlugField("コード", max_length=40)
    name = models.CharField("法令名", max_length=200)
    article = models.CharField("条項", max_length=100)
    summary = models.CharField("内容", max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField("有効", default=True)

    class Meta:
        verbose_name = "根拠法令"
        verbose_name_plural = "根拠法令"
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="statute_code_unique_per_city"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.name} {self.article}".strip()


class AccessGrant(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="grants")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="grants", verbose_name="提供先"
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
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
        "consent.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="grants"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="grants"
    )
    meeting_body = models.ForeignKey(
        MeetingBody, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # a case team member's share of a case member's record (本人同意 covering its organization)
    case_team_member = models.ForeignKey(
        "cases.CaseTeamMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants",
        verbose_name="支援チーム",
    )
    # a 支援会議 (or another statutory confidential body) shared this person on this agenda item
    meeting_agenda_item = models.ForeignKey(
        "meetingrecords.AgendaItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants",
        verbose_name="会議の議題",
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
            models.CheckConstraint(
                condition=Q(case_team_member__isnull=True)
                | Q(basis="consent", consent__isnull=False),
                name="grant_case_team_under_consent",
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
        # a city-wide search told the user *that* another organization knows this person
        DISCLOSED_AS_KNOWN = "disclosed_as_known", "他機関での把握を表示"
        ANONYMISE = "anonymise", "保存期間経過による匿名化"

    class Channel(models.TextChoices):
        WEB = "web", "画面"
        API = "api", "API"
        CLI = "cli", "コマンド"

    class Via(models.TextChoices):
        OWN = "own", "自機関の記録"
        GRANT = "grant", "閲覧の許可"
        ROLE = "role", "職務上の権限"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # a staff member acting in an organization; only an administrator's command run without a
    # staff account (tsunagu find-duplicates) has none, and names its operating-system login
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    operator = models.CharField("操作者（コマンド）", max_length=150, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_logs",
    )
    object_type = models.CharField("対象の種類", max_length=40)
    # the ids of the objects read, comma-separated: a list page writes one row per person shown,
    # naming every object of that person on the page
    object_id = models.TextField("対象のID", blank=True)
    via = models.CharField("根拠", max_length=8, choices=Via.choices)
    grant = models.ForeignKey(
        AccessGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField("経路", max_length=8, choices=Channel.choices, default=Channel.WEB)
    # the hash chain (access/chain.py): the previous row's hash and this row's. Each
    # municipality has its own chain (its organizations' rows); rows of no organization, and
    # rows written before the chains were split, are in the shared chain (municipality empty).
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "アクセス記録"
        verbose_name_plural = "アクセス記録"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["person", "at"]),
            models.Index(fields=["municipality", "id"], name="access_log_chain_idx"),
        ]
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
    def object_label(self) -> str:
        """What was read or written, in words: 相談 #12, #15 (the model's Japanese name and the
        record numbers), for the log's screen and CSV."""
        try:
            model = apps.get_model(self.object_type)
        except (LookupError, ValueError):
            name = self.object_type
        else:
            name = str(model._meta.verbose_name)
        ids = ", ".join(f"#{i}" for i in self.object_id.split(",") if i)
        return f"{name} {ids}".strip()

    @property
    def actor(self) -> str:
        """Who did it: the staff member, or the login that ran a command."""
        if self.user is not None:
            return self.user.get_full_name() or self.user.username
        return f"{self.operator}（コマンド）"


class HistoryDigest(models.Model):
    """One change-history row (django-simple-history, `core/history.py`) as a link of the change
    history's hash chain (`access/chain.py`): the row's table and id, a digest of every value it
    was written with, and the chain's hashes. Retention's erasure of old history appends an
    `erase` link for each row it removes, so an erased row is accounted for and a removed one is
    not. Holds no personal data (ids and hashes only). Append-only."""

    class Kind(models.TextChoices):
        WRITE = "write", "記録"
        ERASE = "erase", "保存期間経過による消去"

    at = models.DateTimeField(default=timezone.now)
    model = models.CharField("履歴の表", max_length=100)  # app_label.historicalmodel
    history_id = models.BigIntegerField("履歴のID")
    kind = models.CharField("種類", max_length=8, choices=Kind.choices, default=Kind.WRITE)
    digest = models.CharField("内容のハッシュ", max_length=64, blank=True)
    # the columns the digest covers (a `HistoryFieldSet` key): a column added to the table later
    # leaves the digests of the rows written before it intact
    field_set = models.CharField("列の組", max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "変更履歴の連鎖"
        verbose_name_plural = "変更履歴の連鎖"
        indexes = [models.Index(fields=["model", "history_id"])]

    def __str__(self) -> str:
        return f"{self.model} #{self.history_id} {self.get_kind_display()}"


class HistoryFieldSet(models.Model):
    """The columns of a change-history table a digest covers, named by the hash of the table and
    its column names (so a changed list is noticed). Append-only."""

    # the key is the row's identity: no sequence to fall out of step when the reference rows are
    # written back with their keys (a test database reloaded, a restore)
    key = models.CharField(max_length=64, primary_key=True)
    model = models.CharField("履歴の表", max_length=100)
    fields = models.TextField("列")  # comma-separated column names

    class Meta:
        verbose_name = "変更履歴の列の組"
        verbose_name_plural = "変更履歴の列の組"

    def __str__(self) -> str:
        return f"{self.model} {self.key[:12]}…"


class AuditChainHead(models.Model):
    """The end of a hash chain: the newest row's hash and the number of rows. Row 1 is the
    access log's shared chain, row 2 the change history's; a municipality's access-log chain
    is row 1000 + the municipality's id (explicit keys: no id sequence can hand one out twice).
    Locked while rows are appended, so two municipalities never wait for each other."""

    last_hash = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)
    municipality = models.OneToOneField(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "アクセス記録の連鎖"
        verbose_name_plural = "アクセス記録の連鎖"

    def __str__(self) -> str:
        return f"{self.count}件 {self.last_hash[:12]}…"


class RateCount(models.Model):
    """The requests of one kind from one user (or, on the public map, one address) in the
    current fixed window of a rate limit (`access.throttle`): one row per counted key, moved
    on to the next window in place, so the table holds one row per active user or address and
    rows of long-ended windows are purged. The key is kept as its SHA-256, so neither a user
    nor an address can be read from the table."""

    key = models.CharField("鍵（SHA-256）", max_length=64, primary_key=True)
    window_start = models.BigIntegerField("区間の開始（UNIX時刻）", db_index=True)
    count = models.PositiveIntegerField("回数")

    class Meta:
        verbose_name = "回数制限の計数"
        verbose_name_plural = "回数制限の計数"

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.count}回"
