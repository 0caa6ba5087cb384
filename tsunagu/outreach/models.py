"""アウトリーチ等を通じた継続的支援 (第4号): people no window hears from, found, contacted again and
again, and stayed with (つながり続ける支援); and the outreach activities (出張相談会,
マッピング調査, 実情アンケート) with their counts.

An outreach target may not be identified yet (「〇〇町の一人暮らしの高齢男性」): it then holds only
what is needed to find them — a label and where to look — and no name, birth date or phone. Once
identified it points at a person record (which holds who they are) and, later, a case.

Targets and their contacts are personal data: the organization that records them sees them, and
an organization holding a live grant that shares the person's content (as consultations do).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager, live_grants
from tsunagu.core.history import history
from tsunagu.organizations.models import Municipality, Organization


def _shared_persons(organization: Organization) -> models.QuerySet:  # type: ignore[type-arg]
    """Persons whose content a live grant shares with `organization` (as for consultations)."""
    return live_grants(organization=organization).filter(includes_content=True).values("person_id")


class TargetQuerySet(ScopedQuerySet["OutreachTarget"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(organization=organization) | Q(
            person__isnull=False, person_id__in=_shared_persons(organization)
        )


class ContactAttemptQuerySet(ScopedQuerySet["ContactAttempt"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(target__organization=organization) | Q(
            target__person__isnull=False, target__person_id__in=_shared_persons(organization)
        )

    def holder_filter(self, organization: Organization) -> Q:
        return Q(target__organization=organization)


class SessionConsultationQuerySet(ScopedQuerySet["SessionConsultation"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(consultation__organization=organization)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(consultation__organization=organization)


class NoticeSource(models.TextChoices):
    """How a target came to notice."""

    MINSEI = "minsei", "民生委員"
    RESIDENT = "resident", "地域住民"
    METER = "meter", "水道検針・ライフライン事業者"
    CONSUMER = "consumer", "消費生活センター"
    SUPPORT_MEETING = "support_meeting", "支援会議"
    MAPPING = "mapping", "マッピング調査"
    SURVEY = "survey", "実情アンケート"
    SESSION = "session", "出張相談会"
    ORGANIZATION = "organization", "関係機関"
    FAMILY = "family", "家族・親族"
    OTHER = "other", "その他"


class Stage(models.TextChoices):
    NOTICED = "noticed", "把握"
    CONTACTED = "contacted", "接触"
    BUILDING = "building", "関係構築"
    CONNECTED = "connected", "支援につながった"
    ONGOING = "ongoing", "つながり続ける支援"
    ENDED = "ended", "終了"


STAGE_ORDER = [s.value for s in Stage]


class ContactMethod(models.TextChoices):
    VISIT = "visit", "訪問"
    PHONE = "phone", "電話"
    LETTER = "letter", "手紙"
    ACCOMPANY = "accompany", "同行支援"
    OTHER = "other", "その他"


class ContactOutcome(models.TextChoices):
    ABSENT = "absent", "不在"
    NO_ANSWER = "no_answer", "応答なし"
    REFUSED = "refused", "拒否"
    MET = "met", "会えた"
    TALKED = "talked", "話せた"


# outcomes that count as a real engagement with the person
ENGAGED_OUTCOMES = {ContactOutcome.MET.value, ContactOutcome.TALKED.value}


class ActivityKind(models.TextChoices):
    SESSION = "session", "出張相談会"
    MAPPING = "mapping", "マッピング調査"
    SURVEY = "survey", "実情アンケート"


class OutreachActivity(models.Model):
    """One 出張相談会 session, マッピング調査 or 実情アンケート, run by an organization.
    Holds counts and places, no resident's data: every staff member of the city reads it."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="outreach_activities"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="outreach_activities",
        verbose_name="実施した機関",
    )
    kind = models.CharField("種別", max_length=10, choices=ActivityKind.choices)
    title = models.CharField(
        "名称", max_length=200, help_text="例: ふくしなんでも相談所（○○公民館）"
    )
    place = models.CharField("場所・地区", max_length=200, blank=True)
    held_on = models.DateField("実施日")
    asked_count = models.PositiveIntegerField(
        "依頼した数", null=True, blank=True, help_text="実情アンケート: 依頼した人数・事業所数"
    )
    answered_count = models.PositiveIntegerField("回答数", null=True, blank=True)
    resources_found = models.PositiveIntegerField(
        "把握した社会資源", null=True, blank=True, help_text="マッピング調査"
    )
    people_of_concern = models.PositiveIntegerField("気になる人・世帯の数", null=True, blank=True)
    note = models.TextField("内容・所見", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "アウトリーチ活動"
        verbose_name_plural = "アウトリーチ活動"
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["session", "mapping", "survey"]),
                name="outreach_activity_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(answered_count__isnull=True)
                | Q(asked_count__isnull=True)
                | Q(answered_count__lte=F("asked_count")),
                name="outreach_activity_answers_within_asked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class OutreachTarget(models.Model):
    """Someone outreach tries to reach. Unidentified: a label and where to find them only."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="outreach_targets",
        verbose_name="担当機関",
    )
    label = models.CharField(
        "呼び名",
        max_length=100,
        help_text="例: 本町三丁目の一人暮らしの高齢男性（氏名は本人の記録に）",
    )
    whereabouts = models.CharField(
        "所在の手がかり", max_length=200, blank=True, help_text="町名・目印など、訪ねるのに要ること"
    )
    concern = models.TextField("気になる様子", blank=True)
    noticed_on = models.DateField("把握日")
    source = models.CharField("把握のきっかけ", max_length=16, choices=NoticeSource.choices)
    source_detail = models.CharField(
        "知らせた人・機関", max_length=200, blank=True, help_text="例: 本町地区の民生委員"
    )
    activity = models.ForeignKey(
        OutreachActivity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name="把握した活動",
    )
    stage = models.CharField("段階", max_length=10, choices=Stage.choices, default=Stage.NOTICED)
    engaged_on = models.DateField("初めて本人と話せた日", null=True, blank=True)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_targets",
        verbose_name="本人の記録",
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_targets",
        verbose_name="事例",
    )
    check_in_every_days = models.PositiveSmallIntegerField(
        "見守りの間隔（日）", null=True, blank=True
    )
    next_check_in_on = models.DateField("次の見守り", null=True, blank=True)
    last_contact_on = models.DateField("最後の接触日", null=True, blank=True)
    ended_on = models.DateField("終了日", null=True, blank=True)
    end_reason = models.CharField("終了の理由", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = history()
    objects = ScopedManager["OutreachTarget"](TargetQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "アウトリーチの対象"
        verbose_name_plural = "アウトリーチの対象"
        ordering = ["-noticed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=STAGE_ORDER), name="outreach_target_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=NoticeSource.values), name="outreach_target_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(engaged_on__isnull=True) | Q(engaged_on__gte=F("noticed_on")),
                name="outreach_target_engaged_after_notice",
            ),
            models.CheckConstraint(
                condition=(Q(stage="ended") & Q(ended_on__isnull=False))
                | (~Q(stage="ended") & Q(ended_on__isnull=True)),
                name="outreach_target_ended_has_date",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("noticed_on")),
                name="outreach_target_ended_after_notice",
            ),
            models.CheckConstraint(
                condition=Q(case__isnull=True) | Q(person__isnull=False),
                name="outreach_target_case_needs_person",
            ),
            models.CheckConstraint(
                condition=Q(check_in_every_days__isnull=True) | Q(check_in_every_days__gte=1),
                name="outreach_target_check_in_interval_positive",
            ),
        ]
        indexes = [models.Index(fields=["organization", "next_check_in_on"])]

    def __str__(self) -> str:
        return self.label

    @property
    def is_identified(self) -> bool:
        return self.person_id is not None


class ContactAttempt(models.Model):
    """One attempt to reach a target: a visit, a call, a letter, an accompanied errand."""

    target = models.ForeignKey(OutreachTarget, on_delete=models.CASCADE, related_name="contacts")
    contacted_on = models.DateField("日付")
    method = models.CharField("方法", max_length=10, choices=ContactMethod.choices)
    place = models.CharField("場所", max_length=200, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="訪問者"
    )
    companions = models.CharField("同行者", max_length=200, blank=True)
    outcome = models.CharField("結果", max_length=10, choices=ContactOutcome.choices)
    note = models.TextField("記録", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["ContactAttempt"](ContactAttemptQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "接触の記録"
        verbose_name_plural = "接触の記録"
        ordering = ["-contacted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=ContactMethod.values), name="contact_attempt_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=ContactOutcome.values),
                name="contact_attempt_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contacted_on} {self.get_method_display()} {self.get_outcome_display()}"


class SessionConsultation(models.Model):
    """A consultation taken at a 出張相談会: a consultation of the window that ran the session."""

    activity = models.ForeignKey(
        OutreachActivity,
        on_delete=models.PROTECT,
        related_name="session_consultations",
        verbose_name="出張相談会",
    )
    consultation = models.OneToOneField(
        "consultations.Consultation",
        on_delete=models.CASCADE,
        related_name="outreach_session",
        verbose_name="相談",
    )

    objects = ScopedManager["SessionConsultation"](SessionConsultationQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "出張相談会での相談"
        verbose_name_plural = "出張相談会での相談"

    def __str__(self) -> str:
        return f"{self.activity} {self.consultation_id}"
