"""Persons and households, as each organization records them.

A `Person` row is one organization's record of a human. Records of the same human at different
windows stay separate (each organization's record is its own); identity matching links them with
`PersonLink` rows, which can be undone, and never rewrites or deletes a record.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager, live_grants
from tsunagu.core.history import history
from tsunagu.core.tasks import RunProgress
from tsunagu.organizations.models import Organization


class PersonQuerySet(ScopedQuerySet["Person"]):
    def visibility(self, organization: Organization) -> Q:
        granted = live_grants(organization=organization).values("person_id")
        return Q(organization=organization) | Q(pk__in=granted)

    def visibility_parts(self, organization: Organization) -> list[Q]:
        """Own (the (organization, family_name_kana) index), and shared but not own."""
        granted = live_grants(organization=organization).values("person_id")
        return [Q(organization=organization), Q(pk__in=granted) & ~Q(organization=organization)]


class HouseholdQuerySet(ScopedQuerySet["Household"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(organization=organization)  # a household is its holder's alone


class HouseholdMemberQuerySet(ScopedQuerySet["HouseholdMember"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(household__organization=organization)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(household__organization=organization)


class PersonKeyQuerySet(ScopedQuerySet["PersonKey"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(person__organization=organization)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(person__organization=organization)


class PersonLinkQuerySet(ScopedQuerySet["PersonLink"]):
    """Decisions on pairs of an organization's own records."""

    def visibility(self, organization: Organization) -> Q:
        return Q(person_a__organization=organization, person_b__organization=organization)

    def holder_filter(self, organization: Organization) -> Q:
        return self.visibility(organization)


class Sex(models.TextChoices):
    FEMALE = "female", "女性"
    MALE = "male", "男性"
    OTHER = "other", "その他"
    UNKNOWN = "unknown", "不明・未回答"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "電話"
    VISIT = "visit", "訪問"
    MAIL = "mail", "郵送"
    EMAIL = "email", "メール"
    WINDOW = "window", "来所時のみ"
    NONE = "none", "連絡不可"


class Household(models.Model):
    """世帯: the people who live together, as one organization knows them."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name="記録した機関",
    )
    name = models.CharField(
        "世帯の呼び名", max_length=100, blank=True, help_text="例: 山田さん世帯"
    )
    address_protected = models.BooleanField("住所秘匿", default=False)
    address_protection_until = models.DateField("住所秘匿の更新期限", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    # counted on every change (a member joining): `core.history.refuse_stale` for its edits
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()
    objects = ScopedManager["Household"](HouseholdQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        verbose_name = "世帯"
        verbose_name_plural = "世帯"
        default_manager_name = "dangerously_unscoped"
        constraints = [
            models.CheckConstraint(
                condition=Q(address_protected=True) | Q(address_protection_until__isnull=True),
                name="household_protection_date_needs_flag",
            ),
        ]

    def __str__(self) -> str:
        return self.name or "（呼び名のない世帯）"


class Person(models.Model):
    """本人: one organization's record of a person."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="persons", verbose_name="記録した機関"
    )
    external_id = models.CharField(
        "機関システムのID", max_length=64, blank=True, help_text="取り込み元システムでの番号"
    )
    family_name = models.CharField("姓", max_length=50, blank=True)
    given_name = models.CharField("名", max_length=50, blank=True)
    family_name_kana = models.CharField("せい", max_length=100, blank=True)
    given_name_kana = models.CharField("めい", max_length=100, blank=True)
    former_family_names = models.JSONField("旧姓", default=list, blank=True)
    birth_date = models.DateField("生年月日", null=True, blank=True)
    sex = models.CharField("性別", max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    postal_code = models.CharField("郵便番号", max_length=8, blank=True)
    address = models.CharField("住所", max_length=300, blank=True)
    phone = models.CharField("電話番号", max_length=30, blank=True)
    contact_method = models.CharField(
        "希望する連絡方法", max_length=8, choices=ContactMethod.choices, blank=True
    )
    contact_note = models.CharField(
        "連絡の注意",
        max_length=300,
        blank=True,
        help_text="例: 平日午後のみ、家族に知られないように",
    )
    address_protected = models.BooleanField("住所秘匿（DV等支援措置）", default=False)
    address_protection_until = models.DateField("住所秘匿の更新期限", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    # raised on every save: an edit made from an older version is refused (no silent overwrite)
    version = models.PositiveIntegerField("版", default=1)
    # set when the retention period ended and the identifying fields were erased
    anonymised_at = models.DateTimeField("匿名化日時", null=True, blank=True)

    history = history()
    objects = ScopedManager["Person"](PersonQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        verbose_name = "本人"
        verbose_name_plural = "本人"
        default_manager_name = "dangerously_unscoped"
        ordering = ["family_name_kana", "given_name_kana", "pk"]
        indexes = [
            models.Index(fields=["organization", "family_name_kana"]),
            # household candidates: the organization's persons of one family name or address
            models.Index(fields=["organization", "family_name"], name="person_org_family_name"),
            models.Index(fields=["organization", "address"], name="person_org_address"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="person_external_id_unique_per_organization",
            ),
            models.CheckConstraint(
                condition=~Q(
                    family_name="", family_name_kana="", given_name="", given_name_kana=""
                ),
                name="person_has_a_name",
            ),
            models.CheckConstraint(
                condition=Q(address_protected=True) | Q(address_protection_until__isnull=True),
                name="person_protection_date_needs_flag",
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="person_sex_valid"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        name = f"{self.family_name} {self.given_name}".strip()
        return name or self.full_name_kana

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()

    @property
    def address_protection_applies(self) -> bool:
        """住所秘匿 on the person, or on the household they are a member of."""
        if self.address_protected:
            return True
        try:
            membership = self.household_membership
        except HouseholdMember.DoesNotExist:
            return False
        return membership.household.address_protected


class Relationship(models.TextChoices):
    """続柄, relative to the head of the household (世帯主)."""

    HEAD = "head", "世帯主"
    SPOUSE = "spouse", "配偶者"
    CHILD = "child", "子"
    CHILD_IN_LAW = "child_in_law", "子の配偶者"
    PARENT = "parent", "父母"
    PARENT_IN_LAW = "parent_in_law", "配偶者の父母"
    GRANDPARENT = "grandparent", "祖父母"
    GRANDCHILD = "grandchild", "孫"
    SIBLING = "sibling", "兄弟姉妹"
    OTHER_RELATIVE = "other_relative", "その他の親族"
    COHABITANT = "cohabitant", "同居人"


class HouseholdMember(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="household_membership"
    )
    relationship = models.CharField("続柄", max_length=16, choices=Relationship.choices)

    objects = ScopedManager["HouseholdMember"](HouseholdMemberQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        verbose_name = "世帯員"
        verbose_name_plural = "世帯員"
        default_manager_name = "dangerously_unscoped"
        ordering = ["household", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relationship="head"),
                name="household_single_head",
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=Relationship.values),
                name="household_member_relationship_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_relationship_display()} {self.person}"


class PersonKey(models.Model):
    """A blocking key of identity matching (`matching.match_keys`), indexed for candidate lookup."""

    # about 30 keys a person, written by every import: two indexes besides the id, no more
    # (the unique (person, key) serves a person's keys; the lookup index below serves a key's
    # block and a name prefix, so neither column needs an index of its own).
    # No foreign-key constraint in the database: a key is derived from its person and written
    # with it, 30 at a time; the database's check of each key row cost a 10 MB import 15 s. A
    # person is never deleted while its access log stands (PROTECT); retention's erasure
    # deletes the keys of those it anonymises. A lookup takes the persons from the person
    # table, so a key left without its person would never be a candidate.
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="match_keys",
        db_index=False,
        db_constraint=False,
    )
    key = models.CharField(max_length=120)

    objects = ScopedManager["PersonKey"](PersonKeyQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "名寄せの検索キー"
        verbose_name_plural = "名寄せの検索キー"
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="person_key_unique")]
        # a block's members by key, read from the index alone (find-duplicates looks up the
        # keys of 2,000 persons at a time; without the person in it, each member is a heap
        # read); on PostgreSQL in the pattern operator class, so that a name's prefix
        # (`key LIKE 'n:高橋%'`, the surname search) is a range of it too, in any collation
        indexes = [
            models.Index(
                fields=["key", "person"],
                name="person_key_lookup_idx",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            )
        ]

    def __str__(self) -> str:
        return self.key


class PersonLink(models.Model):
    """Staff decided two records are the same human (名寄せ) or not. Undoable, never deleted."""

    class Kind(models.TextChoices):
        SAME_PERSON = "same_person", "同一人物"
        NOT_SAME_PERSON = "not_same_person", "別人"

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("判断", max_length=16, choices=Kind.choices)
    note = models.CharField("メモ", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField("取消日時", null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="取り消した職員",
    )

    objects = ScopedManager["PersonLink"](PersonLinkQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        verbose_name = "名寄せの判断"
        verbose_name_plural = "名寄せの判断"
        default_manager_name = "dangerously_unscoped"
        constraints = [
            models.CheckConstraint(
                condition=Q(person_a__lt=F("person_b")), name="person_link_ordered"
            ),
            models.UniqueConstraint(
                fields=["person_a", "person_b"],
                condition=Q(undone_at__isnull=True),
                name="person_link_one_live_decision",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["same_person", "not_same_person"]),
                name="person_link_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_a} / {self.person_b}: {self.get_kind_display()}"


class DuplicateRunQuerySet(ScopedQuerySet["DuplicateRun"]):
    """A run pairs a whole city: it is the city's (its system administrators; the role is
    checked by `duplicate_runs.duplicate_city`)."""

    def visibility(self, organization: Organization) -> Q:
        return Q(municipality_id=organization.municipality_id)

    def holder_filter(self, organization: Organization) -> Q:
        return self.visibility(organization)


class DuplicateRun(RunProgress, models.Model):
    """One find-duplicates over a whole city asked for on the page by its system administrator:
    a background task pairs the city's records and keeps the pairs as an encrypted ZIP
    (`duplicate_runs.py`), which the city's administrators download (every download logged as
    an export of the persons in it).

    The ZIP is written only when complete. Under a one-time password (no city key configured)
    the password is kept sealed (`core/archive.py` `password_seal`) only until the page has
    shown it once to the administrator who asked, then erased."""

    class Tier(models.TextChoices):
        ALL = "all", "「要確認」も含む"
        LIKELY = "likely", "「同一人物の可能性が高い」組だけ"

    class Status(models.TextChoices):
        QUEUED = "queued", "順番待ち"
        RUNNING = "running", "照合中"
        DONE = "done", "完了"
        FAILED = "failed", "失敗"

    municipality = models.ForeignKey(
        "organizations.Municipality", on_delete=models.CASCADE, related_name="+", verbose_name="市"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="依頼者"
    )
    threshold = models.FloatField("一致の度合いの下限")
    tier = models.CharField("出力する組", max_length=8, choices=Tier.choices, default=Tier.ALL)
    status = models.CharField("状態", max_length=8, choices=Status.choices, default=Status.QUEUED)
    done_steps = models.PositiveIntegerField("照合済みの人数", default=0)
    total_steps = models.PositiveIntegerField("照合する人数", default=0)
    message = models.CharField("失敗の理由", max_length=500, blank=True)
    pair_count = models.PositiveIntegerField("組の数", default=0)
    file_name = models.CharField("ファイル名", max_length=120, blank=True)
    content = models.BinaryField("暗号化 ZIP", blank=True, editable=False)
    size = models.PositiveIntegerField("大きさ（バイト）", default=0)
    # the persons in the ZIP, logged as exported at each download
    person_ids = models.JSONField("出力した記録", default=list, blank=True, editable=False)
    configured_password = models.BooleanField("市で定めたパスワード", default=False)
    sealed_password = models.TextField("今回かぎりのパスワード（封印）", blank=True, editable=False)
    password_shown_at = models.DateTimeField("パスワードを表示した日時", null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("依頼日時", auto_now_add=True)
    finished_at = models.DateTimeField("完了日時", null=True, blank=True)

    objects = ScopedManager["DuplicateRun"](DuplicateRunQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "名寄せの照合（市全体）"
        verbose_name_plural = "名寄せの照合（市全体）"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="duplicate_run_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(tier__in=["all", "likely"]), name="duplicate_run_tier_valid"
            ),
            models.CheckConstraint(
                condition=Q(threshold__gt=0) & Q(threshold__lte=1),
                name="duplicate_run_threshold_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.created_at} {self.status}"
