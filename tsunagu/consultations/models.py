"""相談受付: every consultation any window takes, with or without a known person."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet

from tsunagu.access.models import AccessGrant
from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager, live_grants
from tsunagu.core.history import history
from tsunagu.core.tokyo import tokyo_text
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person


class ConsultationQuerySet(ScopedQuerySet["Consultation"]):
    def visibility(self, organization: Organization) -> Q:
        """Own consultations, and those a live grant shares *with their content*."""
        return Q(organization=organization) | Q(pk__in=_shared_content(organization))

    def visibility_parts(self, organization: Organization) -> list[Q]:
        """Own (the (organization, received_at) index), and shared but not own (the grants)."""
        return [
            Q(organization=organization),
            Q(pk__in=_shared_content(organization)) & ~Q(organization=organization),
        ]


def _shared_content(organization: Organization) -> QuerySet[AccessGrant, Any]:
    """The ids of the consultations live grants share with `organization`, content included."""
    return (
        live_grants(organization=organization)
        .filter(includes_content=True)
        .values("consultation_id")
    )


class ConsultationTopicQuerySet(ScopedQuerySet["ConsultationTopic"]):
    def visibility(self, organization: Organization) -> Q:
        granted = (
            live_grants(organization=organization)
            .filter(includes_content=True)
            .values("consultation_id")
        )
        return Q(consultation__organization=organization) | Q(consultation_id__in=granted)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(consultation__organization=organization)


class Channel(models.TextChoices):
    WINDOW = "window", "窓口"
    PHONE = "phone", "電話"
    EMAIL = "email", "メール"
    LINE = "line", "LINE"
    VISIT = "visit", "訪問"
    OUTREACH_SESSION = "outreach_session", "出張相談"
    OTHER = "other", "その他"


class Requester(models.TextChoices):
    """Who came with the consultation (相談者)."""

    SELF = "self", "本人"
    FAMILY = "family", "家族"
    MINSEI_IIN = "minsei_iin", "民生委員"
    AGENCY = "agency", "関係機関"
    RESIDENT = "resident", "地域住民"
    CITY_OFFICE = "city_office", "庁内"


class Topic(models.TextChoices):
    """The 相談受付票 topics, then the compound situations the plans name."""

    HEALTH = "health", "病気や健康・障害"
    HOUSING = "housing", "住まい"
    INCOME = "income", "収入・生活費"
    RENT_LOAN = "rent_loan", "家賃やローン"
    TAX_UTILITIES = "tax_utilities", "税金・公共料金"
    DEBT = "debt", "債務"
    JOB_SEARCH = "job_search", "仕事探し"
    WORK_WORRIES = "work_worries", "仕事上の不安"
    COMMUNITY = "community", "地域との関係"
    FAMILY = "family", "家族との関係"
    CHILDCARE = "childcare", "子育て"
    CARE = "care", "介護"
    HIKIKOMORI = "hikikomori", "ひきこもり・不登校"
    DV_ABUSE = "dv_abuse", "DV・虐待"
    NO_FOOD = "no_food", "食べるものがない"
    OTHER = "other", "その他"
    PROBLEM_8050 = "8050", "8050"
    DOUBLE_CARE = "double_care", "ダブルケア"
    YOUNG_CARER = "young_carer", "ヤングケアラー"
    SELF_NEGLECT = "self_neglect", "セルフネグレクト"
    HOARDING = "hoarding", "ごみ屋敷"
    ISOLATION = "isolation", "孤独・孤立"
    SUICIDE_RISK = "suicide_risk", "自殺リスク"


class Response(models.TextChoices):
    """対応: what the window did with the consultation."""

    INFORMATION = "information", "情報提供・助言"
    REFERRAL = "referral", "つなぎ"
    ONGOING = "ongoing", "継続支援"
    MULTI_AGENCY = "multi_agency", "多機関協働へ"
    CLOSED = "closed", "終了"


class Consultation(models.Model):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name="受付機関",
    )
    # The site of the organization where it was taken (豊川市's 出張所, 印西市's second window);
    # it shares the organization's scope. Empty: the organization's only or main window.
    site = models.ForeignKey(
        "organizations.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name="受付拠点",
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name="本人",
    )
    anonymous_label = models.CharField(
        "匿名・未特定の呼び名",
        max_length=100,
        blank=True,
        help_text="本人が特定できないときの仮の呼び名",
    )
    follows = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name="継続元の相談",
    )
    received_at = models.DateTimeField("受付日時")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="受付者"
    )
    channel = models.CharField("相談方法", max_length=20, choices=Channel.choices)
    requester = models.CharField("相談者", max_length=12, choices=Requester.choices)
    requester_detail = models.CharField(
        "相談者の詳細",
        max_length=200,
        blank=True,
        help_text="例: 水道検針、納税相談、消費生活センター",
    )
    main_topic = models.CharField("主訴", max_length=16, choices=Topic.choices)
    content = models.TextField("相談内容")
    response = models.CharField("対応", max_length=16, choices=Response.choices)
    is_new = models.BooleanField("新規", default=True, help_text="新規の相談か、継続の相談か")
    external_id = models.CharField("機関システムのID", max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # no silent overwrite: a save from an older version is refused (core/history.py refuse_stale)
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()
    objects = ScopedManager["Consultation"](ConsultationQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "相談"
        verbose_name_plural = "相談"
        ordering = ["-received_at", "-pk"]
        indexes = [
            # the lists (an organization's, newest first) and the fiscal-year counts (a range of
            # instants per organization); on PostgreSQL it carries what the counts group and
            # count by, so they are read from the index alone
            models.Index(
                fields=["organization", "received_at"],
                include=["site", "is_new", "person"],
                name="consultation_org_received",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | ~Q(anonymous_label=""),
                name="consultation_person_or_label",
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="consultation_external_id_unique_per_organization",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="consultation_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(requester__in=Requester.values), name="consultation_requester_valid"
            ),
            models.CheckConstraint(
                condition=Q(main_topic__in=Topic.values), name="consultation_topic_valid"
            ),
            models.CheckConstraint(
                condition=Q(response__in=Response.values), name="consultation_response_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{tokyo_text(self.received_at, '%Y-%m-%d')} {self.subject_name}"

    @property
    def subject_name(self) -> str:
        return self.person.full_name if self.person else f"（未特定）{self.anonymous_label}"


class ConsultationTopic(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="topics")
    topic = models.CharField("相談の内容", max_length=16, choices=Topic.choices)

    objects = ScopedManager["ConsultationTopic"](ConsultationTopicQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "相談の内容"
        verbose_name_plural = "相談の内容"
        ordering = ["consultation", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "topic"], name="consultation_topic_unique"
            ),
            models.CheckConstraint(
                condition=Q(topic__in=Topic.values), name="consultation_topic_row_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.get_topic_display()
