"""社会資源 (community resources) and 地域づくり activities, shaped on Open Referral HSDS 3.0.

HSDS → here: organization → `Provider`, service → `CommunityResource`, location → `Location`,
service_at_location → `ResourceLocation`, schedule → `Schedule`, taxonomy_term → `Category`,
contact → `Contact`. Each HSDS object keeps a stable UUID (`hsds_id`), which is also the only
id the public pages use, so public URLs cannot be walked by counting.

This is structure data about the community, not about residents: every staff member of the
city reads it. The exceptions: a contact who is a private individual (a `Contact` is shown
on the public pages only when `is_public` is set), and the roster of 担い手
(`CommunityWorker`), personal data behind the one door (`access.scoping`).

A resource becomes a 受け入れ先 (host) of 参加支援 by `is_host` (with `host_note` saying what it
can take on); the participation app links to `CommunityResource` rows where `is_host` is true.
"""

from __future__ import annotations

import uuid
from typing import Self

from django.db import models
from django.db.models import Q

from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager
from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.models import Role, User
from tsunagu.core.history import history
from tsunagu.organizations.models import Area, Municipality, Organization

# Japan's extent, with a margin: 沖ノ鳥島 20.4°N, 択捉島 45.6°N, 与那国島 122.9°E, 南鳥島 154.0°E.
LATITUDE_RANGE = (20.0, 46.0)
LONGITUDE_RANGE = (122.0, 154.1)


class Category(models.Model):
    """分類 (HSDS taxonomy_term): one shared vocabulary of the kinds of community resource."""

    code = models.SlugField("コード", max_length=60, unique=True)
    name = models.CharField("名称", max_length=100)
    description = models.CharField("説明", max_length=300)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    sort_order = models.PositiveIntegerField(default=0)
    hsds_id = models.UUIDField("HSDS ID", unique=True, default=uuid.uuid4)

    class Meta:
        verbose_name = "社会資源の分類"
        verbose_name_plural = "社会資源の分類"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    """どなたでも / 高齢の方 …: whom a resource welcomes."""

    EVERYONE = "everyone", "どなたでも"
    ELDERLY = "elderly", "高齢の方"
    CHILDREN = "children", "子ども"
    PARENTS = "parents", "子育て中の方"
    YOUTH = "youth", "若者"
    DISABILITY = "disability", "障がいのある方"
    CARERS = "carers", "介護・看病をしている方"
    WORKING_AGE = "working_age", "働く世代"
    FOREIGN = "foreign", "外国にルーツのある方"


class Provider(models.Model):
    """運営団体 (HSDS organization): whoever runs a resource — a 社会福祉法人, an NPO, a
    自治会, a company, or one of the city's own organizations (`organization`), whose staff
    may then edit its resources."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="resource_providers"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resource_providers",
        verbose_name="市の機関",
        help_text="市の支援関係機関が運営するとき。その機関の職員がこの団体の社会資源を編集できます",
    )
    name = models.CharField("団体名", max_length=200)
    name_kana = models.CharField("団体名（よみ）", max_length=200, blank=True)
    description = models.TextField("団体の紹介", blank=True)
    url = models.URLField("ホームページ", blank=True)
    email = models.EmailField("メール", blank=True)
    phone = models.CharField("電話番号", max_length=40, blank=True)
    hsds_id = models.UUIDField("HSDS ID", unique=True, default=uuid.uuid4, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # edits are counted: a save from an older version is refused (`core.history.refuse_stale`)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()

    class Meta:
        verbose_name = "運営団体"
        verbose_name_plural = "運営団体"
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="resource_provider_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """場所 (HSDS location): a place where resources are offered, or an online one.

    A resource offered at no fixed place (「場所を定めない」: a visiting service, a group that
    meets in members' homes) simply has no location. Coordinates are given only when the
    address is precise enough to place it; never invented."""

    class Kind(models.TextChoices):
        PHYSICAL = "physical", "所在地"
        VIRTUAL = "virtual", "オンライン"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="resource_locations"
    )
    kind = models.CharField("種別", max_length=10, choices=Kind.choices, default=Kind.PHYSICAL)
    name = models.CharField("名称", max_length=200)
    postal_code = models.CharField("郵便番号", max_length=8, blank=True)
    address = models.CharField("住所", max_length=300, blank=True)
    url = models.URLField("URL（オンラインのとき）", blank=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resource_locations",
        verbose_name="地区",
    )
    latitude = models.DecimalField("緯度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("経度", max_digits=9, decimal_places=6, null=True, blank=True)
    transportation = models.CharField("交通", max_length=300, blank=True)
    accessibility = models.TextField(
        "バリアフリー", blank=True, help_text="段差、車いす用トイレ、駐車場、筆談 など"
    )
    hsds_id = models.UUIDField("HSDS ID", unique=True, default=uuid.uuid4, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # edits are counted: a save from an older version is refused (`core.history.refuse_stale`)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()

    class Meta:
        verbose_name = "場所"
        verbose_name_plural = "場所"
        ordering = ["municipality", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["physical", "virtual"]), name="resource_location_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="resource_location_coordinates_paired",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True)
                | Q(
                    latitude__gte=LATITUDE_RANGE[0],
                    latitude__lte=LATITUDE_RANGE[1],
                    longitude__gte=LONGITUDE_RANGE[0],
                    longitude__lte=LONGITUDE_RANGE[1],
                ),
                name="resource_location_in_japan",
            ),
            models.CheckConstraint(
                condition=Q(kind="physical") | Q(latitude__isnull=True, address=""),
                name="resource_location_virtual_has_no_address",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def position(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return float(self.latitude), float(self.longitude)


class CommunityResource(models.Model):
    """社会資源 (HSDS service): 通いの場, サロン, 子育て支援拠点, こども食堂, 就労体験の場 …"""

    class Status(models.TextChoices):
        ACTIVE = "active", "活動中"
        TEMPORARILY_CLOSED = "temporarily_closed", "休止中"
        INACTIVE = "inactive", "活動していない"
        DEFUNCT = "defunct", "廃止"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="community_resources"
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="resources", verbose_name="運営団体"
    )
    name = models.CharField("名称", max_length=200)
    name_kana = models.CharField("名称（よみ）", max_length=200, blank=True)
    description = models.TextField("内容")
    categories = models.ManyToManyField(
        Category, related_name="resources", verbose_name="分類", blank=False
    )
    status = models.CharField("状況", max_length=20, choices=Status.choices, default=Status.ACTIVE)
    audiences = models.JSONField("対象", default=list, blank=True)
    eligibility_description = models.CharField("参加の条件", max_length=300, blank=True)
    minimum_age = models.PositiveSmallIntegerField("対象年齢（下限）", null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField("対象年齢（上限）", null=True, blank=True)
    fees_description = models.CharField("費用", max_length=200, blank=True)
    application_process = models.CharField("申込み方法", max_length=300, blank=True)
    url = models.URLField("ホームページ", blank=True)
    email = models.EmailField("メール", blank=True)
    phone = models.CharField("電話番号", max_length=40, blank=True)
    locations = models.ManyToManyField(
        Location, through="ResourceLocation", related_name="resources", blank=True
    )
    is_public = models.BooleanField(
        "公開する", default=False, help_text="公開すると、ログインなしの社会資源マップに載ります"
    )
    is_host = models.BooleanField(
        "参加支援の受け入れ先", default=False, help_text="参加支援で本人を受け入れられるとき"
    )
    host_note = models.TextField("受け入れの内容・条件", blank=True)
    last_verified_on = models.DateField("最終確認日", null=True, blank=True)
    # normalised name, reading, provider and description for the search (kana/width/異体字)
    search_text = models.TextField(blank=True, editable=False)
    hsds_id = models.UUIDField("HSDS ID", unique=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # no silent overwrite: a save from an older version is refused (core/history.py refuse_stale)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history(m2m_fields=[categories])

    class Meta:
        verbose_name = "社会資源"
        verbose_name_plural = "社会資源"
        ordering = ["municipality", "name_kana", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "provider", "name"], name="community_resource_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "temporarily_closed", "inactive", "defunct"]),
                name="community_resource_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(minimum_age__isnull=True)
                | Q(maximum_age__isnull=True)
                | Q(maximum_age__gte=models.F("minimum_age")),
                name="community_resource_ages_ordered",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "is_public"])]

    def __str__(self) -> str:
        return self.name

    def audience_labels(self) -> list[str]:
        labels = dict(Audience.choices)
        return [labels[a] for a in self.audiences if a in labels]


class ResourceLocation(models.Model):
    """HSDS service_at_location: a resource offered at a place."""

    resource = models.ForeignKey(
        CommunityResource, on_delete=models.CASCADE, related_name="resource_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="resource_locations"
    )
    description = models.CharField("この場所での内容", max_length=300, blank=True)
    hsds_id = models.UUIDField("HSDS ID", unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = "実施場所"
        verbose_name_plural = "実施場所"
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "location"], name="resource_location_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}@{self.location_id}"


class Schedule(models.Model):
    """開催日時 (HSDS schedule): weekly, the nth weekday of each month, or listed dates."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", "毎週"
        MONTHLY = "monthly", "毎月（第◯◯曜日）"
        DATES = "dates", "日付を指定（不定期）"

    resource = models.ForeignKey(
        CommunityResource, on_delete=models.CASCADE, related_name="schedules"
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name="場所",
    )
    kind = models.CharField("くり返し", max_length=10, choices=Kind.choices)
    # RFC 5545 weekday codes, comma-separated in week order: "MO,TH"
    weekdays = models.CharField("曜日", max_length=20, blank=True)
    week_of_month = models.SmallIntegerField("第◯週", null=True, blank=True)
    dates = models.JSONField("日付", default=list, blank=True)
    opens_at = models.TimeField("開始時刻", null=True, blank=True)
    closes_at = models.TimeField("終了時刻", null=True, blank=True)
    valid_from = models.DateField("有効期間（開始）", null=True, blank=True)
    valid_to = models.DateField("有効期間（終了）", null=True, blank=True)
    note = models.CharField("備考", max_length=200, blank=True)
    hsds_id = models.UUIDField("HSDS ID", unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = "開催日時"
        verbose_name_plural = "開催日時"
        ordering = ["resource", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["weekly", "monthly", "dates"]),
                name="schedule_kind_valid",
            ),
            models.CheckConstraint(
                condition=(Q(kind="weekly") & ~Q(weekdays="") & Q(week_of_month__isnull=True))
                | (Q(kind="monthly") & ~Q(weekdays="") & Q(week_of_month__in=[1, 2, 3, 4, 5, -1]))
                | (Q(kind="dates") & Q(weekdays="") & Q(week_of_month__isnull=True)),
                name="schedule_rule_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="schedule_hours_ordered",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="schedule_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.weekdays}"

    def weekday_codes(self) -> list[str]:
        return [c for c in self.weekdays.split(",") if c]


class Contact(models.Model):
    """連絡先 (HSDS contact). Only contacts marked public appear on the public pages: a private
    individual's name or phone (a サロン's volunteer organiser) stays with the staff."""

    resource = models.ForeignKey(
        CommunityResource, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField("氏名・窓口名", max_length=100)
    title = models.CharField("役職", max_length=100, blank=True)
    department = models.CharField("部署", max_length=100, blank=True)
    phone = models.CharField("電話番号", max_length=40, blank=True)
    email = models.EmailField("メール", blank=True)
    is_public = models.BooleanField(
        "公開する", default=False, help_text="個人の連絡先は、本人の了解なく公開しないでください"
    )
    hsds_id = models.UUIDField("HSDS ID", unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = "連絡先"
        verbose_name_plural = "連絡先"
        ordering = ["resource", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(phone="") | ~Q(email=""), name="contact_has_phone_or_email"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- 地域づくり activities and counts --------------------------------------------------------


class Activity(models.Model):
    """An event, course, training or session of 地域づくり, with its participant count.

    One row per day it was held (a course of 5 sessions is 5 rows with the same title), so
    counts per fiscal year are sums and counts of rows."""

    class Kind(models.TextChoices):
        EVENT = "event", "行事・集い"
        COURSE = "course", "講座・養成講座"
        STAFF_TRAINING = "staff_training", "職員研修"
        CONFERENCE = "conference", "ぷらっとフォーム・カンファレンス"
        COUNCIL = "council", "協議体・懇談会"
        OTHER = "other", "その他"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="community_activities"
    )
    kind = models.CharField("種別", max_length=20, choices=Kind.choices)
    title = models.CharField("名称", max_length=200, help_text="例: 生活支援サポーター養成講座")
    resource = models.ForeignKey(
        CommunityResource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name="社会資源",
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name="分類",
    )
    organizer = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="community_activities",
        verbose_name="主催",
    )
    held_on = models.DateField("開催日")
    starts_at = models.TimeField("開始時刻", null=True, blank=True)
    ends_at = models.TimeField("終了時刻", null=True, blank=True)
    place = models.CharField("会場", max_length=200, blank=True)
    description = models.TextField("内容", blank=True)
    is_public = models.BooleanField("公開する", default=False)
    participants = models.PositiveIntegerField("参加者数", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # edits are counted: a save from an older version is refused (`core.history.refuse_stale`)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()

    class Meta:
        verbose_name = "活動・行事"
        verbose_name_plural = "活動・行事"
        ordering = ["-held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["event", "course", "staff_training", "conference", "council", "other"]
                ),
                name="activity_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="activity_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "held_on"])]

    def __str__(self) -> str:
        return self.title


class Party(models.TextChoices):
    """Who came to a 地域づくり相談 or was matched: a resident, a group or a company."""

    RESIDENT = "resident", "市民"
    GROUP = "group", "団体"
    COMPANY = "company", "企業"


class CommunityConsultation(models.Model):
    """地域づくり相談: a resident, group or company asking about community activity (not a
    welfare case: no person record, no personal data)."""

    class Status(models.TextChoices):
        OPEN = "open", "対応中"
        CLOSED = "closed", "対応済み"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="community_consultations"
    )
    received_on = models.DateField("受付日")
    party = models.CharField("相談者", max_length=10, choices=Party.choices)
    party_name = models.CharField(
        "団体・企業名",
        max_length=200,
        blank=True,
        help_text="市民のときは空欄（個人名は記録しません）",
    )
    summary = models.CharField("内容", max_length=300)
    resource = models.ForeignKey(
        CommunityResource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="community_consultations",
        verbose_name="社会資源",
    )
    status = models.CharField("状況", max_length=10, choices=Status.choices, default=Status.OPEN)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="community_consultations",
        verbose_name="受け付けた機関",
    )
    updated_at = models.DateTimeField(auto_now=True, null=True)

    # edits are counted: a save from an older version is refused (`core.history.refuse_stale`)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()

    class Meta:
        verbose_name = "地域づくり相談"
        verbose_name_plural = "地域づくり相談"
        ordering = ["-received_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(party__in=["resident", "group", "company"]),
                name="community_consultation_party_valid",
            ),
            models.CheckConstraint(
                condition=~Q(party="resident") | Q(party_name=""),
                name="community_consultation_no_resident_name",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "closed"]),
                name="community_consultation_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.received_on} {self.get_party_display()}"


class Matching(models.Model):
    """地域活動マッチング / 企業マッチング: a resident, group or company matched to an activity.
    `is_new` distinguishes 新規 from a repeated matching of the same party (延べ counts all).
    Only a matching that came about (`MATCHED`) counts; one being arranged or that did not come
    about is kept for the follow-up."""

    class Status(models.TextChoices):
        ARRANGING = "arranging", "調整中"
        MATCHED = "matched", "成立"
        NOT_MATCHED = "not_matched", "不成立"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="community_matchings"
    )
    matched_on = models.DateField("マッチング日")
    party = models.CharField("つないだ相手", max_length=10, choices=Party.choices)
    party_name = models.CharField(
        "団体・企業名",
        max_length=200,
        blank=True,
        help_text="市民のときは空欄（個人名は記録しません）",
    )
    resource = models.ForeignKey(
        CommunityResource,
        on_delete=models.PROTECT,
        related_name="matchings",
        verbose_name="つないだ先の社会資源",
    )
    is_new = models.BooleanField("新規", default=True)
    note = models.CharField("内容", max_length=300, blank=True)
    status = models.CharField("状況", max_length=12, choices=Status.choices, default=Status.MATCHED)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="community_matchings",
        verbose_name="つないだ機関",
    )
    updated_at = models.DateTimeField(auto_now=True, null=True)

    # edits are counted: a save from an older version is refused (`core.history.refuse_stale`)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()

    class Meta:
        verbose_name = "マッチング"
        verbose_name_plural = "マッチング"
        ordering = ["-matched_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(party__in=["resident", "group", "company"]),
                name="matching_party_valid",
            ),
            models.CheckConstraint(
                condition=~Q(party="resident") | Q(party_name=""),
                name="matching_no_resident_name",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["arranging", "matched", "not_matched"]),
                name="matching_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matched_on} {self.get_party_display()}"


class AttendanceCount(models.Model):
    """来所者数 of a 居場所 or 拠点 over a period (usually a month): 延べ and 実人数."""

    resource = models.ForeignKey(
        CommunityResource, on_delete=models.CASCADE, related_name="attendance_counts"
    )
    period_start = models.DateField("期間（開始）")
    period_end = models.DateField("期間（終了）")
    visits = models.PositiveIntegerField("延べ人数")
    unique_visitors = models.PositiveIntegerField("実人数", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    # edits are counted: a save from an older version is refused (`core.history.refuse_stale`)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()

    class Meta:
        verbose_name = "来所者数"
        verbose_name_plural = "来所者数"
        ordering = ["resource", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "period_start"], name="attendance_count_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="attendance_count_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(unique_visitors__isnull=True)
                | Q(unique_visitors__lte=models.F("visits")),
                name="attendance_count_unique_within_visits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.period_start}"


# who edits the whole city's community records, and alone reads the roster of 担い手
CITY_EDITOR_ROLES = (Role.LIFE_SUPPORT_COORDINATOR, Role.MANAGER, Role.ADMIN)


class CommunityWorkerQuerySet(ScopedQuerySet["CommunityWorker"]):
    """The roster opens by role, not by organization: the city's editors (生活支援コーディネーター,
    managers, administrators) see their own city's rows; anyone else sees none, and no
    organization as such sees any (no grant opens it)."""

    def visibility(self, organization: Organization) -> Q:
        return Q(pk__in=[])

    def holder_filter(self, organization: Organization) -> Q:
        return Q(pk__in=[])

    def visible_to(self, user: User) -> Self:
        if not user.has_role(*CITY_EDITOR_ROLES):
            return self.none()
        return self.filter(municipality=user_municipality(user))

    def held_by(self, user: User) -> Self:
        """The city's editors change what they read: the same rows."""
        return self.visible_to(user)


class CommunityWorker(models.Model):
    """担い手: a 民生委員協力員 (by 地区), 生活支援サポーター, ボランティア or other person who
    carries the community, with the trainings (`Activity` rows) they attended.

    A roster of people, so it is kept small and apart: name, reading, 地区, the group they act
    with, a phone or e-mail to reach them and the dates they started and stopped; no welfare
    record about them (no link to a person record, no notes on health or circumstances). It
    never appears on the public pages, in HSDS or in the open data, and only the city's
    editors (生活支援コーディネーター, managers, administrators) read or edit it. Personal data
    behind the one door: `objects.visible_to(user)` opens it, and the entry points in
    `resources/access.py` (`worker_get_for`, `workers_shown`) log every read."""

    class Kind(models.TextChoices):
        WELFARE_COMMISSIONER_HELPER = "commissioner_helper", "民生委員協力員"
        LIFE_SUPPORTER = "life_supporter", "生活支援サポーター"
        VOLUNTEER = "volunteer", "ボランティア"
        OTHER = "other", "その他の担い手"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="community_workers"
    )
    kind = models.CharField("種別", max_length=20, choices=Kind.choices)
    name = models.CharField("氏名", max_length=100)
    name_kana = models.CharField("氏名（よみ）", max_length=100, blank=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="community_workers",
        verbose_name="地区",
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workers",
        verbose_name="活動する団体",
    )
    phone = models.CharField("電話番号", max_length=40, blank=True)
    email = models.EmailField("メール", blank=True)
    started_on = models.DateField("活動開始日", null=True, blank=True)
    ended_on = models.DateField("活動終了日", null=True, blank=True)
    trainings = models.ManyToManyField(
        Activity, related_name="workers", blank=True, verbose_name="受講した講座・研修"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # edits are counted: a save from an older version is refused (`core.history.refuse_stale`)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history(m2m_fields=[trainings])

    objects = ScopedManager["CommunityWorker"](CommunityWorkerQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        verbose_name = "担い手"
        verbose_name_plural = "担い手"
        default_manager_name = "dangerously_unscoped"
        ordering = ["municipality", "kind", "name_kana", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["commissioner_helper", "life_supporter", "volunteer", "other"]
                ),
                name="community_worker_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(started_on__isnull=True)
                | Q(ended_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="community_worker_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PublicInterestInitiative(models.Model):
    """公益的な取組 of a 社会福祉法人 (社会福祉法第24条第2項): what a corporation does for the
    community free of charge (a 居場所, a food bank, a training …). 伊勢市 counts the corporations
    taking part each year (公益的取組3法人). No personal data: corporations and counts only."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="public_interest_initiatives"
    )
    corporation = models.CharField("社会福祉法人名", max_length=200)
    title = models.CharField("取組名", max_length=200)
    description = models.CharField("内容", max_length=500, blank=True)
    started_on = models.DateField("開始日")
    ended_on = models.DateField("終了日", null=True, blank=True, help_text="続いているときは空欄")
    participants = models.PositiveIntegerField("参加者・利用者数（延べ）", null=True, blank=True)
    resource = models.ForeignKey(
        CommunityResource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="public_interest_initiatives",
        verbose_name="関係する社会資源",
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="public_interest_initiatives",
        verbose_name="記録した機関",
    )
    updated_at = models.DateTimeField(auto_now=True, null=True)

    # edits are counted: a save from an older version is refused (`core.history.refuse_stale`)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()

    class Meta:
        verbose_name = "社会福祉法人の公益的な取組"
        verbose_name_plural = "社会福祉法人の公益的な取組"
        ordering = ["-started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="public_interest_initiative_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.corporation} {self.title}"
