"""多機関協働: the household case, its team, the assessment, the support plan and its evaluation.

A `Case` is held by the coordinating organization (the one carrying 第5号 多機関協働事業 in the
city's plan). Its members are person records of several organizations; its team is the
organizations (and named staff) that share the work. An organization on the team sees the case
while it has a live basis there: a case-team `AccessGrant` (本人同意 covering it, created when it
joined, ended when it leaves or the consent is withdrawn), or a member's record it holds itself.
A team member sees a member's own person record only through such a grant, so the person and
consultation pages keep deciding through `live_grants`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager, live_grants
from tsunagu.consultations.models import Topic
from tsunagu.core.history import history
from tsunagu.organizations.models import Area, Municipality, Organization, SupportField
from tsunagu.people.models import Person, Relationship
from tsunagu.referrals.models import Referral


def case_visibility(organization: Organization) -> Q:
    """The cases `organization` may see: those it coordinates, and those whose team it is on
    with a live basis (a case-team grant, or a member's record it holds)."""
    granted = (
        live_grants(organization=organization)
        .filter(case_team_member__isnull=False, case_team_member__left_on__isnull=True)
        .values("case_team_member__case_id")
    )
    on_team = CaseTeamMember.dangerously_unscoped.filter(  # unscoped: a subquery of ids
        organization=organization, left_on__isnull=True
    ).values("case_id")
    holding = CaseMember.dangerously_unscoped.filter(  # unscoped: a subquery of ids
        person__organization=organization, removed_at__isnull=True, case_id__in=on_team
    ).values("case_id")
    return Q(organization=organization) | Q(pk__in=granted) | Q(pk__in=holding)


def _of_visible_cases(organization: Organization, path: str = "case") -> Q:
    visible = Case.dangerously_unscoped.filter(  # unscoped: a subquery of the visible ids
        case_visibility(organization)
    ).values("pk")
    return Q(**{f"{path}_id__in": visible})


class CaseQuerySet(ScopedQuerySet["Case"]):
    def visibility(self, organization: Organization) -> Q:
        return case_visibility(organization)


class CasePartQuerySet[M: models.Model](ScopedQuerySet[M]):
    """A part of a case (member, team, event, assessment…): seen with the case, held by the
    coordinating organization."""

    path = "case"

    def visibility(self, organization: Organization) -> Q:
        return _of_visible_cases(organization, self.path)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(**{f"{self.path}__organization": organization})


class PlanPartQuerySet[M: models.Model](CasePartQuerySet[M]):
    path = "plan__case"


class MonitoringResultQuerySet(CasePartQuerySet["MonitoringResult"]):
    path = "monitoring__plan__case"


class CaseRequestQuerySet(ScopedQuerySet["CaseRequest"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(referral__from_organization=organization) | Q(
            referral__to_organization=organization
        )

    def holder_filter(self, organization: Organization) -> Q:
        return Q(referral__to_organization=organization)


class ResourceGapQuerySet(ScopedQuerySet["ResourceGap"]):
    def visibility(self, organization: Organization) -> Q:
        # the register names no person: every staff member of the city reads it
        return Q(municipality_id=organization.municipality_id)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(municipality_id=organization.municipality_id)


class ResourceGapCaseQuerySet(ScopedQuerySet["ResourceGapCase"]):
    def visibility(self, organization: Organization) -> Q:
        return _of_visible_cases(organization)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(case__organization=organization)


class CaseStatus(models.TextChoices):
    RECEIVED = "received", "受付"
    ASSESSMENT = "assessment", "アセスメント"
    PLANNING = "planning", "プラン作成"
    SUPPORTING = "supporting", "支援中"
    MONITORING = "monitoring", "モニタリング"
    CLOSED = "closed", "終結"
    ONGOING_CONNECTION = "ongoing_connection", "つながり続ける支援"


class CaseOrigin(models.TextChoices):
    CONSULTATION = "consultation", "相談（多機関協働へ）"
    REFERRAL = "referral", "つなぎ"
    OUTREACH = "outreach", "アウトリーチ"
    SUPPORT_MEETING = "support_meeting", "支援会議"
    OTHER = "other", "その他"


class CaseSubject(models.TextChoices):
    HOUSEHOLD = "household", "世帯"
    PERSON = "person", "本人"


class TeamRole(models.TextChoices):
    COORDINATOR = "coordinator", "主担当（多機関協働）"
    SUPPORT = "support", "支援機関"
    OUTREACH = "outreach", "アウトリーチ"
    PARTICIPATION = "participation", "参加支援"
    ADVISER = "adviser", "助言・協力"


class Case(models.Model):
    """多機関協働の事例: a household or a person the coordinating organization works on."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name="多機関協働の担当機関",
    )
    title = models.CharField("事例の呼び名", max_length=100, help_text="例: 山田さん世帯")
    subject = models.CharField("対象", max_length=10, choices=CaseSubject.choices)
    origin = models.CharField("きっかけ", max_length=16, choices=CaseOrigin.choices)
    origin_consultation = models.ForeignKey(
        "consultations.Consultation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="きっかけの相談",
    )
    origin_referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="きっかけのつなぎ",
    )
    lead_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="主担当のコーディネーター",
    )
    status = models.CharField(
        "状態", max_length=20, choices=CaseStatus.choices, default=CaseStatus.RECEIVED
    )
    issues = models.JSONField("複合的な課題", default=list, blank=True)
    opened_on = models.DateField("受付日")
    closed_on = models.DateField("終結日", null=True, blank=True)
    review_on = models.DateField("次の見直し日", null=True, blank=True)
    last_contact_on = models.DateField("最後の接触日", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # edits are counted: a save from an older version is refused (`core.history.refuse_stale`)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()
    objects = ScopedManager["Case"](CaseQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "多機関協働の事例"
        verbose_name_plural = "多機関協働の事例"
        ordering = ["-opened_on", "-pk"]
        indexes = [models.Index(fields=["organization", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=CaseOrigin.values), name="case_origin_valid"
            ),
            models.CheckConstraint(
                condition=Q(subject__in=CaseSubject.values), name="case_subject_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_on__isnull=False),
                name="case_closed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="ongoing_connection") | Q(review_on__isnull=False),
                name="case_ongoing_connection_has_review_date",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="case_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["origin_referral"],
                condition=Q(origin_referral__isnull=False),
                name="case_one_per_referral",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    @property
    def issue_labels(self) -> list[str]:
        labels = dict(Topic.choices)
        return [labels.get(code, code) for code in self.issues]


class CaseRequest(models.Model):
    """A consultation marked 「多機関協働へ」, sent to the coordinating organization's inbox.

    It travels as a つなぎ (`referral`), so its basis, its grant and its answer deadline are the
    referral's; accepting it opens the case."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "依頼中"
        ACCEPTED = "accepted", "受理（事例を開始）"
        DECLINED = "declined", "回答済（事例にしない）"

    referral = models.OneToOneField(
        Referral, on_delete=models.PROTECT, related_name="case_request", verbose_name="依頼のつなぎ"
    )
    status = models.CharField(
        "状態", max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    note = models.TextField("依頼の内容")
    answer = models.TextField("回答", blank=True)
    answered_at = models.DateTimeField("回答日時", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="回答した職員",
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    # the つなぎ a non-coordinating window received and passed on to 多機関協働 (its own
    # consultation, `referral.consultation`, was recorded from it in the same step)
    source_referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="受けたつなぎ",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["CaseRequest"](CaseRequestQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "多機関協働の依頼"
        verbose_name_plural = "多機関協働の依頼"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["requested", "accepted", "declined"]),
                name="case_request_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(case__isnull=False),
                name="case_request_accepted_has_case",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(answer=""),
                name="case_request_declined_has_answer",
            ),
            models.UniqueConstraint(
                fields=["source_referral"],
                condition=Q(status="requested"),
                name="case_request_one_live_per_source_referral",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referral} ({self.get_status_display()})"


class CaseMember(models.Model):
    """A member of the case's household: one organization's record of the person, with 続柄."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="members")
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="case_memberships",
        verbose_name="世帯員の記録",
    )
    relationship = models.CharField("続柄", max_length=16, choices=Relationship.choices)
    is_principal = models.BooleanField("本人（主な支援対象）", default=False)
    added_at = models.DateTimeField(auto_now_add=True, verbose_name="加えた日時")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="加えた職員",
    )
    removed_at = models.DateTimeField("外した日時", null=True, blank=True)

    objects = ScopedManager["CaseMember"](CasePartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "事例の世帯員"
        verbose_name_plural = "事例の世帯員"
        ordering = ["case", "-is_principal", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person"],
                condition=Q(removed_at__isnull=True),
                name="case_member_once",
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=Relationship.values),
                name="case_member_relationship_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_relationship_display()}"


class CaseTeamMember(models.Model):
    """支援チーム・役割分担: an organization (and, where named, its staff member) on the case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="team")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="機関"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="担当者",
    )
    role = models.CharField("役割", max_length=16, choices=TeamRole.choices)
    role_note = models.CharField("役割の内容", max_length=200, blank=True)
    joined_on = models.DateField("参加日")
    left_on = models.DateField("離脱日", null=True, blank=True)
    left_reason = models.CharField("離脱の理由", max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="加えた職員",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = history()
    objects = ScopedManager["CaseTeamMember"](CasePartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "支援チームの構成員"
        verbose_name_plural = "支援チームの構成員"
        ordering = ["case", "joined_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="case_team_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(role__in=TeamRole.values), name="case_team_role_valid"
            ),
            models.UniqueConstraint(
                fields=["case", "organization"],
                condition=Q(left_on__isnull=True, staff__isnull=True),
                name="case_team_organization_once",
            ),
            models.UniqueConstraint(
                fields=["case", "organization", "staff"],
                condition=Q(left_on__isnull=True),
                name="case_team_staff_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.organization} ({self.get_role_display()})"


class CaseEvent(models.Model):
    """支援経過記録: one contact, decision, change, document or meeting. Append-only."""

    class Kind(models.TextChoices):
        CONTACT = "contact", "連絡・面談・訪問"
        DECISION = "decision", "決定"
        CHANGE = "change", "変更"
        DOCUMENT = "document", "書類"
        MEETING = "meeting", "会議"
        TEAM = "team", "支援チーム"
        CONSENT = "consent", "本人同意"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("種類", max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField("日時")
    summary = models.TextField("内容")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="記録した機関"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="記録者"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["CaseEvent"](CasePartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "支援経過記録"
        verbose_name_plural = "支援経過記録"
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "contact",
                        "decision",
                        "change",
                        "document",
                        "meeting",
                        "team",
                        "consent",
                    ]
                ),
                name="case_event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.get_kind_display()}"


class Urgency(models.TextChoices):
    HIGH = "high", "高（すぐに対応が必要）"
    MEDIUM = "medium", "中"
    LOW = "low", "低"


class Assessment(models.Model):
    """インテーク・アセスメントシート: one version; a new one is written, never edited."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    version = models.PositiveIntegerField("版")
    # {item code: {"checks": [option codes], "note": "..."}}, items in `assessment.ITEMS`
    answers = models.JSONField("項目", default=dict)
    urgency = models.CharField("緊急度", max_length=8, choices=Urgency.choices)
    assessed_on = models.DateField("アセスメント日")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="記録した機関"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["Assessment"](CasePartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "インテーク・アセスメントシート"
        verbose_name_plural = "インテーク・アセスメントシート"
        ordering = ["case", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="assessment_version_unique"),
            models.CheckConstraint(
                condition=Q(urgency__in=Urgency.values), name="assessment_urgency_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} アセスメント 第{self.version}版"


class PlanKind(models.TextChoices):
    MULTI_AGENCY = "multi_agency", "多機関協働事業"
    OUTREACH = "outreach", "アウトリーチ等支援"
    PARTICIPATION = "participation", "参加支援"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "下書き"
    CONFERRED = "conferred", "重層的支援会議で協議済"
    IN_FORCE = "in_force", "実施中"
    SUPERSEDED = "superseded", "改定により終了"
    EVALUATED = "evaluated", "評価済・終結"


class SupportPlan(models.Model):
    """支援プラン（プラン兼利用申込書）: one version of a case's plan of one kind."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plans")
    kind = models.CharField("種類", max_length=16, choices=PlanKind.choices)
    version = models.PositiveIntegerField("版")
    status = models.CharField(
        "状態", max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    wishes = models.TextField("本人の思い・希望（本人の言葉で）")
    goals = models.TextField("目標")
    issues = models.TextField("取り組む課題")
    referral_checks = models.JSONField(
        "参加支援・アウトリーチへのつなぎの確認", default=list, blank=True
    )
    monitoring_on = models.DateField("次のモニタリング予定日")
    review_on = models.DateField("プランの見直し予定日")
    conferred_on = models.DateField("重層的支援会議での協議日", null=True, blank=True)
    started_on = models.DateField("実施開始日", null=True, blank=True)
    # edits are counted here (`version` is the 版 staff see): a save from an older revision is
    # refused by `core.history.refuse_stale` (two coordinators at once)
    revision = models.PositiveIntegerField("更新番号", default=1)
    edit_version_field = "revision"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = history()
    objects = ScopedManager["SupportPlan"](CasePartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "支援プラン"
        verbose_name_plural = "支援プラン"
        ordering = ["case", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "version"], name="support_plan_version_unique"
            ),
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(status="in_force"),
                name="support_plan_one_in_force",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=PlanKind.values), name="support_plan_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="support_plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(review_on__gte=F("monitoring_on")),
                name="support_plan_review_after_monitoring",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(conferred_on__isnull=False),
                name="support_plan_conferred_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()} 第{self.version}版"

    @property
    def editable(self) -> bool:
        return self.status == PlanStatus.DRAFT


class PlanAction(models.Model):
    """役割分担: one action of a plan, with the team organization responsible and its due date."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField("取り組み", max_length=300)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="担当機関"
    )
    due_on = models.DateField("期限")
    sort_order = models.PositiveIntegerField(default=0)

    objects = ScopedManager["PlanAction"](PlanPartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "プランの取り組み"
        verbose_name_plural = "プランの取り組み"
        ordering = ["plan", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.description


class Monitoring(models.Model):
    """モニタリング: how the plan's actions went, on one day."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="monitorings")
    monitored_on = models.DateField("実施日")
    summary = models.TextField("全体の変化", blank=True)
    next_monitoring_on = models.DateField("次のモニタリング予定日", null=True, blank=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="記録した機関"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["Monitoring"](PlanPartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "モニタリング"
        verbose_name_plural = "モニタリング"
        ordering = ["plan", "monitored_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_monitoring_on__isnull=True)
                | Q(next_monitoring_on__gt=F("monitored_on")),
                name="monitoring_next_after",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.monitored_on}"


class ActionResult(models.TextChoices):
    DONE = "done", "できた"
    PARTLY = "partly", "一部できた"
    NOT_DONE = "not_done", "できなかった"


class MonitoringResult(models.Model):
    monitoring = models.ForeignKey(Monitoring, on_delete=models.CASCADE, related_name="results")
    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, related_name="results")
    result = models.CharField("結果", max_length=8, choices=ActionResult.choices)
    note = models.CharField("変化したこと", max_length=500, blank=True)

    objects = ScopedManager["MonitoringResult"](MonitoringResultQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "取り組みの結果"
        verbose_name_plural = "取り組みの結果"
        ordering = ["monitoring", "action__sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["monitoring", "action"], name="monitoring_result_once"),
            models.CheckConstraint(
                condition=Q(result__in=ActionResult.values), name="monitoring_result_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_result_display()


class GoalsMet(models.TextChoices):
    MET = "met", "達成"
    PARTLY = "partly", "一部達成"
    NOT_MET = "not_met", "未達成"


class CaseClosure(models.Model):
    """評価シート: the evaluation written when the case closes (or moves to つながり続ける支援)."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="closure")
    closed_on = models.DateField("評価日")
    outcome = models.CharField(
        "その後",
        max_length=20,
        choices=[
            (CaseStatus.CLOSED, CaseStatus.CLOSED.label),
            (CaseStatus.ONGOING_CONNECTION, CaseStatus.ONGOING_CONNECTION.label),
        ],
    )
    goals_met = models.CharField("目標の達成", max_length=8, choices=GoalsMet.choices)
    person_changes = models.TextField("本人・世帯に起きた変化")
    existing_services_sufficient = models.BooleanField("既存事業で対応可能だったか")
    why_not = models.TextField("対応できなかった理由", blank=True)
    support_flow_lessons = models.TextField("支援フローから分かったこと", blank=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="記録した機関"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["CaseClosure"](CasePartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "評価シート"
        verbose_name_plural = "評価シート"
        constraints = [
            models.CheckConstraint(
                condition=Q(existing_services_sufficient=True) | ~Q(why_not=""),
                name="case_closure_why_not_explained",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["closed", "ongoing_connection"]),
                name="case_closure_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(goals_met__in=GoalsMet.values), name="case_closure_goals_met_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} 評価"


class ResourceGap(models.Model):
    """社会資源の不足・開発: a missing resource, with the cases behind it (as counts)."""

    class Status(models.TextChoices):
        CONSIDERING = "considering", "検討中"
        DEVELOPING = "developing", "開発中"
        RESOLVED = "resolved", "解消"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="resource_gaps"
    )
    field = models.CharField("分野", max_length=12, choices=SupportField.choices)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="地域"
    )
    description = models.TextField("望まれる社会資源")
    status = models.CharField(
        "状態", max_length=12, choices=Status.choices, default=Status.CONSIDERING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = history()
    objects = ScopedManager["ResourceGap"](ResourceGapQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "社会資源の不足"
        verbose_name_plural = "社会資源の不足"
        ordering = ["municipality", "status", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["considering", "developing", "resolved"]),
                name="resource_gap_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(field__in=SupportField.values), name="resource_gap_field_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.description[:40]


class ResourceGapCase(models.Model):
    """A case behind a resource gap (the register shows only how many)."""

    class FoundAt(models.TextChoices):
        CLOSURE = "closure", "終結の評価"
        MEETING = "meeting", "会議"

    gap = models.ForeignKey(ResourceGap, on_delete=models.PROTECT, related_name="cases")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="resource_gaps")
    # where and when the gap was found for this case (the register report counts by fiscal year)
    found_at = models.CharField(
        "把握した場", max_length=8, choices=FoundAt.choices, default=FoundAt.CLOSURE
    )
    found_on = models.DateField("把握日", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["ResourceGapCase"](ResourceGapCaseQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "社会資源の不足の事例"
        verbose_name_plural = "社会資源の不足の事例"
        constraints = [
            models.UniqueConstraint(fields=["gap", "case"], name="resource_gap_case_once"),
            models.CheckConstraint(
                condition=Q(found_at__in=["closure", "meeting"]),
                name="resource_gap_case_found_at_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gap} / {self.case}"
