"""The city and the organizations that carry its 重層的支援体制.

One database may hold several municipalities (the five seed cities load side by side); every
organization, area, program and meeting body belongs to exactly one of them, and a code is unique
within its municipality.
"""

from django.db import models
from django.db.models import Q

from tsunagu.core.history import history


class Municipality(models.Model):
    """自治体: a city, with the implementation plan (実施計画) it runs under."""

    code = models.CharField("全国地方公共団体コード", max_length=6, unique=True)
    slug = models.SlugField("識別名", unique=True, help_text="ise, imizu … (load-plan の引数)")
    name = models.CharField("自治体名", max_length=50)
    prefecture = models.CharField("都道府県", max_length=10)
    fiscal_year_start_month = models.PositiveSmallIntegerField("年度開始月", default=4)
    plan_name = models.CharField("実施計画の名称", max_length=200)
    plan_nickname = models.CharField("計画の愛称", max_length=200, blank=True)
    plan_start_fiscal_year = models.PositiveSmallIntegerField("計画期間（開始年度）")
    plan_end_fiscal_year = models.PositiveSmallIntegerField("計画期間（終了年度）")
    plan_published = models.CharField("策定時期", max_length=20, blank=True)
    plan_department = models.CharField("計画の所管", max_length=100, blank=True)

    class Meta:
        verbose_name = "自治体"
        verbose_name_plural = "自治体"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(plan_end_fiscal_year__gte=models.F("plan_start_fiscal_year")),
                name="municipality_plan_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="municipality_fiscal_year_start_month_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def plan_fiscal_years(self) -> range:
        return range(self.plan_start_fiscal_year, self.plan_end_fiscal_year + 1)


class Area(models.Model):
    """圏域・担当地区: a part of the city that an organization covers."""

    class Kind(models.TextChoices):
        CITY = "city", "市全域"
        ZONE = "zone", "圏域"
        DISTRICT = "district", "地区"

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="areas")
    code = models.SlugField("コード", max_length=80)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("種別", max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上位の圏域",
    )
    # 町名・地区名 that make up the area, as the plan lists them; routing by address matches these.
    localities = models.JSONField("町名・地区名", default=list, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "圏域・担当地区"
        verbose_name_plural = "圏域・担当地区"
        ordering = ["municipality", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="area_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SupportField(models.TextChoices):
    """分野: what an organization is for."""

    ELDERLY = "elderly", "高齢"
    DISABILITY = "disability", "障がい"
    CHILDREN = "children", "子ども"
    POVERTY = "poverty", "困窮"
    GENERAL = "general", "総合"
    HEALTH = "health", "保健"
    EDUCATION = "education", "教育"
    HOUSING = "housing", "住まい"
    EMPLOYMENT = "employment", "就労"
    OTHER = "other", "その他"


class Organization(models.Model):
    """支援関係機関・庁内課: any body that takes part in the city's support system."""

    class Kind(models.TextChoices):
        AGENCY = "agency", "支援関係機関"
        DEPARTMENT = "department", "庁内課"
        COMMUNITY = "community", "地域団体・関係団体"

    class Operation(models.TextChoices):
        DIRECT = "direct", "直営"
        COMMISSIONED = "commissioned", "委託"
        DESIGNATED_MANAGER = "designated_manager", "指定管理"
        SUBSIDIZED = "subsidized", "補助"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="organizations"
    )
    code = models.SlugField("コード", max_length=80)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("種別", max_length=12, choices=Kind.choices)
    operation = models.CharField("運営形態", max_length=20, choices=Operation.choices, blank=True)
    operator = models.CharField("受託法人・運営法人", max_length=200, blank=True)
    # 所管課: usually one, sometimes several (伊勢市 こども家庭センター: 健康課 and
    # 福祉総合支援センター)
    departments = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="supervised",
        verbose_name="所管課",
        limit_choices_to={"kind": "department"},
    )
    target_group = models.CharField("対象者", max_length=300, blank=True)
    description = models.TextField("業務内容", blank=True)
    postal_code = models.CharField("郵便番号", max_length=8, blank=True)
    address = models.CharField("所在地", max_length=300, blank=True)
    phone = models.CharField("電話番号", max_length=40, blank=True)
    email = models.EmailField("メール", blank=True)
    site_count = models.PositiveSmallIntegerField(
        "設置数", null=True, blank=True, help_text="空欄: 計画に記載なし"
    )
    staffing = models.TextField("人員配置", blank=True)
    areas = models.ManyToManyField(
        Area, blank=True, related_name="organizations", verbose_name="担当地区"
    )
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField("有効", default=True)

    history = history()

    class Meta:
        verbose_name = "支援関係機関・庁内課"
        verbose_name_plural = "支援関係機関・庁内課"
        ordering = ["municipality", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="organization_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(site_count__gte=1), name="organization_site_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def field_labels(self) -> list[str]:
        return [SupportField(f.field).label for f in self.support_fields.all()]


class OrganizationField(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="support_fields"
    )
    field = models.CharField("分野", max_length=12, choices=SupportField.choices)

    class Meta:
        verbose_name = "分野"
        verbose_name_plural = "分野"
        ordering = ["organization", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "field"], name="organization_field_unique"
            ),
        ]

    def __str__(self) -> str:
        return SupportField(self.field).label
