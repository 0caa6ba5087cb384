"""The implementation plan (実施計画): programs under 第106条の4 and their yearly figures."""

from django.db import models
from django.db.models import Q

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


class Program(models.Model):
    """事業: a program of the city's plan, under one clause, carried by organizations."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="programs"
    )
    code = models.SlugField("コード", max_length=80)
    clause = models.CharField("根拠条項", max_length=4, choices=Clause.choices)
    name = models.CharField("事業名", max_length=200)
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

    class Meta:
        verbose_name = "事業"
        verbose_name_plural = "事業"
        ordering = ["municipality", "clause", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="program_code_unique"),
            models.CheckConstraint(
                condition=Q(clause__in=Clause.values), name="program_clause_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def clause_number(self) -> int:
        return Clause.number(self.clause)


class ProgramOrganization(models.Model):
    """An organization carrying a program, with its part in it where the plan says."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="carriers")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
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
    code = models.SlugField("コード", max_length=80)
    name = models.CharField("指標", max_length=200)
    unit = models.CharField("単位", max_length=20)
    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name="事業",
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name="機関",
    )
    note = models.CharField("備考", max_length=300, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "指標"
        verbose_name_plural = "指標"
        ordering = ["municipality", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="indicator_code_unique"),
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
