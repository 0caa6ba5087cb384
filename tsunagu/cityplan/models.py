"""The implementation plan (実施計画): its versions, programs and their yearly figures.

A city revises its plan (伊勢市 and 豊川市 every year). Each loaded plan file is a `PlanVersion`
with its period and adoption; the targets and actuals (`Indicator`, `IndicatorValue`) and the
roadmap (`Milestone`) belong to a version, so loading next year's plan never touches last
year's evaluation. Programs, organizations and meeting bodies are the city's current structure:
one a newer version drops is ended (`is_active=False`), never deleted, because records and
earlier versions point at it.
"""

from django.db import models
from django.db.models import Q

from tsunagu.core.fiscal import wareki_fiscal_year
from tsunagu.organizations.models import Municipality, Organization


class Clause(models.TextChoices):
    """The statutory clause of 社会福祉法 第106条の4第2項 a program is carried out under.

    Codes sort in the order of the statute.
    """

    C1_I = "1-1", "第1号イ"
    C1_RO = "1-2", "第1号ロ"
    C1_HA = "1-3", "第1号ハ"
    C1_NI = "1-4", "第1号ニ"
    C2 = "2", "第2号"
    C3 = "3", "第3号柱書"
    C3_I = "3-1", "第3号イ"
    C3_RO = "3-2", "第3号ロ"
    C3_HA = "3-3", "第3号ハ"
    C3_NI = "3-4", "第3号ニ"
    C4 = "4", "第4号"
    C5 = "5", "第5号"
    C6 = "6", "第6号"

    @classmethod
    def number(cls, code: str) -> int:
        """1 for 第1号イ, 3 for 第3号柱書 …"""
        return int(code.split("-")[0])


# The program each clause number stands for, as 第106条の4 names it.
CLAUSE_PROGRAMS: dict[int, str] = {
    1: "包括的相談支援事業",
    2: "参加支援事業",
    3: "地域づくり事業",
    4: "アウトリーチ等を通じた継続的支援事業",
    5: "多機関協働事業",
    6: "支援プラン作成",
}


class PlanVersion(models.Model):
    """One adopted version of a city's implementation plan (実施計画).

    A version is identified by its period and its adoption (`published`, as the plan words it);
    reloading the same file updates that version in place. `document` keeps the checked plan
    file as loaded, so two versions can be compared item by item.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="plan_versions"
    )
    name = models.CharField("計画の名称", max_length=200)
    nickname = models.CharField("愛称", max_length=200, blank=True)
    # Both empty when the document states no plan period (三田市's progress report).
    start_fiscal_year = models.PositiveSmallIntegerField(
        "計画期間（開始年度）", null=True, blank=True
    )
    end_fiscal_year = models.PositiveSmallIntegerField(
        "計画期間（終了年度）", null=True, blank=True
    )
    published = models.CharField("策定時期", max_length=20, blank=True)
    adopted_on = models.DateField("策定日", null=True, blank=True)
    department = models.CharField("計画の所管", max_length=100, blank=True)
    document = models.JSONField("計画データ", default=dict, editable=False)
    loaded_at = models.DateTimeField("読み込み日時", auto_now=True)

    class Meta:
        verbose_name = "実施計画の版"
        verbose_name_plural = "実施計画の版"
        ordering = ["municipality", "-start_fiscal_year", "-end_fiscal_year", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "start_fiscal_year", "end_fiscal_year", "published"],
                name="plan_version_unique",
            ),
            models.CheckConstraint(
                condition=Q(start_fiscal_year__isnull=True, end_fiscal_year__isnull=True)
                | Q(end_fiscal_year__gte=models.F("start_fiscal_year")),
                name="plan_version_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.period_label}）"

    @property
    def period_label(self) -> str:
        """令和8年度, or 令和6〜7年度 for a period."""
        if self.start_fiscal_year is None or self.end_fiscal_year is None:
            return "計画期間の記載なし"
        start, end = (
            wareki_fiscal_year(self.start_fiscal_year),
            wareki_fiscal_year(self.end_fiscal_year),
        )
        if start == end:
            return start
        era = start[:2]
        return (
            f"{start.removesuffix('年度')}〜{end.removeprefix(era) if end.startswith(era) else end}"
        )

    def fiscal_years(self) -> range:
        if self.start_fiscal_year is None or self.end_fiscal_year is None:
            return range(0)
        return range(self.start_fiscal_year, self.end_fiscal_year + 1)

    def has_ended(self, *, fiscal_year: int) -> bool:
        return self.end_fiscal_year is not None and self.end_fiscal_year < fiscal_year


# Newest version first, on every database (a version without a period sorts last).
VERSION_ORDER = [
    models.F("start_fiscal_year").desc(nulls_last=True),
    models.F("end_fiscal_year").desc(nulls_last=True),
    models.F("pk").desc(),
]


class ProgramCategory(models.TextChoices):
    """Where a program stands: under 第106条の4, or beside it as the plans write."""

    STATUTORY = "statutory", "第106条の4第2項の事業"
    CROSS_FIELD_WINDOW = "cross_field_window", "分野横断の相談窓口"
    RELATED = "related", "関連事業（法定外）"


class ProgramStatus(models.TextChoices):
    NEW = "new", "新規"
    EXISTING = "existing", "既存"


class Program(models.Model):
    """事業: a program of the city's plan, under one clause, carried by organizations."""

    Category = ProgramCategory
    Status = ProgramStatus

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="programs"
    )
    code = models.SlugField("コード", max_length=80)
    category = models.CharField(
        "区分", max_length=20, choices=ProgramCategory.choices, default=ProgramCategory.STATUTORY
    )
    # Empty for a cross-field window or a related program outside 第106条の4.
    clause = models.CharField("根拠条項", max_length=4, choices=Clause.choices, blank=True)
    name = models.CharField("事業名", max_length=200)
    status = models.CharField("新規・既存", max_length=8, choices=ProgramStatus.choices, blank=True)
    existing_scheme = models.CharField("既存制度の対象事業等", max_length=200, blank=True)
    legal_basis = models.CharField("根拠法", max_length=200, blank=True)
    target_group = models.CharField("対象者", max_length=300, blank=True)
    description = models.TextField("事業内容", blank=True)
    area_description = models.CharField("圏域", max_length=200, blank=True)
    start_fiscal_year = models.PositiveSmallIntegerField("実施開始年度", null=True, blank=True)
    departments = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="programs_responsible",
        verbose_name="担当課",
        limit_choices_to={"kind": "department"},
    )
    organizations = models.ManyToManyField(
        Organization,
        through="ProgramOrganization",
        related_name="programs",
        verbose_name="実施機関",
    )
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField("有効", default=True, help_text="計画から外れた事業は終了")

    class Meta:
        verbose_name = "事業"
        verbose_name_plural = "事業"
        ordering = ["municipality", "category", "clause", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="program_code_unique"),
            models.CheckConstraint(
                condition=Q(category=ProgramCategory.STATUTORY, clause__in=Clause.values)
                | (~Q(category=ProgramCategory.STATUTORY) & Q(clause="")),
                name="program_clause_valid",
            ),
            models.CheckConstraint(
                condition=Q(category__in=ProgramCategory.values), name="program_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["", *ProgramStatus.values]), name="program_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def clause_number(self) -> int | None:
        return Clause.number(self.clause) if self.clause else None

    @property
    def operation_labels(self) -> list[str]:
        return [Organization.Operation(o.operation).label for o in self.operations.all()]


class ProgramOperation(models.Model):
    """How a program is run: 直営, 委託, 指定管理, 補助 — several at once where the plan says."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="operations")
    operation = models.CharField("運営形態", max_length=20, choices=Organization.Operation.choices)

    class Meta:
        verbose_name = "運営形態"
        verbose_name_plural = "運営形態"
        ordering = ["program", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "operation"], name="program_operation_unique"
            ),
            models.CheckConstraint(
                condition=Q(operation__in=Organization.Operation.values),
                name="program_operation_valid",
            ),
        ]

    def __str__(self) -> str:
        return Organization.Operation(self.operation).label


class MilestoneStage(models.TextChoices):
    """The words plans use on their roadmaps."""

    CONSIDER = "consider", "検討"
    PREPARE = "prepare", "準備"
    TRIAL = "trial", "試行"
    START = "start", "開始"
    IMPLEMENT = "implement", "実施"
    CONTINUE = "continue", "継続"
    EXPAND = "expand", "拡充"
    REVIEW = "review", "見直し"
    CREATE = "create", "作成"
    PUBLISH = "publish", "公開"
    UPDATE = "update", "加除"


class Milestone(models.Model):
    """A step of a program's roadmap in one fiscal year, as one plan version writes it."""

    Stage = MilestoneStage

    plan_version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="milestones"
    )
    program = models.ForeignKey(Program, on_delete=models.RESTRICT, related_name="milestones")
    subject = models.CharField(
        "項目", max_length=100, blank=True, help_text="例: 社会資源マップ（事業の一部のとき）"
    )
    fiscal_year = models.PositiveSmallIntegerField("年度")
    stage = models.CharField("段階", max_length=12, choices=MilestoneStage.choices)
    note = models.CharField("備考", max_length=200, blank=True)

    class Meta:
        verbose_name = "工程"
        verbose_name_plural = "工程"
        ordering = ["plan_version", "program", "subject", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_version", "program", "subject", "fiscal_year"],
                name="milestone_unique",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=MilestoneStage.values), name="milestone_stage_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.fiscal_year} {self.get_stage_display()}"


class ProgramOrganization(models.Model):
    """An organization carrying a program, with its part in it where the plan says."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="carriers")
    organization = models.ForeignKey(Organization, on_delete=models.RESTRICT, related_name="+")
    role = models.CharField("役割", max_length=300, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "実施機関"
        verbose_name_plural = "実施機関"
        ordering = ["program", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "organization"], name="program_organization_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} / {self.organization}"


class Indicator(models.Model):
    """指標: something the plan counts each year, for a program, an organization, or the whole."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="indicators"
    )
    plan_version = models.ForeignKey(
        PlanVersion,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name="計画の版",
    )
    code = models.SlugField("コード", max_length=80)
    name = models.CharField("指標", max_length=200)
    unit = models.CharField("単位", max_length=20)
    program = models.ForeignKey(
        Program,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name="事業",
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name="機関",
    )
    note = models.CharField("備考", max_length=300, blank=True)
    # The binding of the plan file: a computation over the records (`bindings.py`) and its
    # filters (codes, as the file writes them); empty when the actual is entered by hand.
    computation = models.CharField("計算", max_length=80, blank=True)
    filters = models.JSONField("絞り込み", default=dict, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "指標"
        verbose_name_plural = "指標"
        ordering = ["municipality", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_version", "code"], name="indicator_code_unique_in_version"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IndicatorValue(models.Model):
    """A target (目標数・見込) or an actual (実績) of an indicator for one fiscal year."""

    class Kind(models.TextChoices):
        TARGET = "target", "目標"
        ACTUAL = "actual", "実績"

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("種別", max_length=6, choices=Kind.choices)
    value = models.DecimalField("値", max_digits=14, decimal_places=3)
    note = models.CharField("備考", max_length=100, blank=True, help_text="例: 見込")

    class Meta:
        verbose_name = "目標・実績"
        verbose_name_plural = "目標・実績"
        ordering = ["indicator", "fiscal_year", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year", "kind"], name="indicator_value_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["target", "actual"]), name="indicator_value_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.fiscal_year} {self.kind} {self.value}"
