"""参加支援 (第2号): a person cut off from society matched to a place in the community (居場所,
就労体験, サロン, 農福連携, B型事業所…), the host (受け入れ先) supported, and a follow-up until it
holds.

Hosts are resources of the directory (`resources.CommunityResource` with `is_host`); what each
offers to participants (`HostOffer`) and the support given to them (`HostSupport`) are kept here,
with the directory untouched. The person's side (needs profile, placements, attendance,
follow-ups) is personal data: the organization that records it sees it; the host's organization
sees a placement only while the person's consent covers it, and then only what the person agreed
to share (`share_profile`, `share_contact`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager
from tsunagu.consent.models import Consent
from tsunagu.core.history import history
from tsunagu.organizations.models import Municipality, Organization

WEEKDAYS = [
    ("MO", "月"),
    ("TU", "火"),
    ("WE", "水"),
    ("TH", "木"),
    ("FR", "金"),
    ("SA", "土"),
    ("SU", "日"),
]


class OfferKind(models.TextChoices):
    PLACE = "place", "居場所"
    SALON = "salon", "サロン・通いの場"
    WORK_EXPERIENCE = "work_experience", "就労体験"
    AGRI_WELFARE = "agri_welfare", "農福連携"
    TYPE_B = "type_b", "就労継続支援B型"
    VOLUNTEER = "volunteer", "ボランティア・役割"
    LEARNING = "learning", "学び・趣味"
    OTHER = "other", "その他"


class ParticipationSettings(models.Model):
    """A city's settings of 参加支援: how long after a placement ends its follow-up is due
    (伊勢市: 「プラン終了後の概ね3か月」)."""

    municipality = models.OneToOneField(
        Municipality, on_delete=models.CASCADE, related_name="participation_settings"
    )
    follow_up_months = models.PositiveSmallIntegerField(
        "フォローアップまでの月数", default=3, help_text="利用終了からフォローアップまで"
    )

    class Meta:
        verbose_name = "参加支援の設定"
        verbose_name_plural = "参加支援の設定"
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up_months__gte=1) & Q(follow_up_months__lte=24),
                name="participation_follow_up_months_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} 参加支援の設定"


class HostOffer(models.Model):
    """What a host offers to participants: what, when, access, capacity and whom it welcomes.
    Structure data (no resident): every staff member of the city reads it."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="host_offers"
    )
    resource = models.ForeignKey(
        "resources.CommunityResource",
        on_delete=models.PROTECT,
        related_name="host_offers",
        verbose_name="受け入れ先",
    )
    kind = models.CharField("種類", max_length=16, choices=OfferKind.choices)
    title = models.CharField("受け入れの内容", max_length=200, help_text="例: 畑作業の体験")
    weekdays = models.JSONField("曜日", default=list, blank=True)
    time_note = models.CharField("時間帯", max_length=100, blank=True, help_text="例: 10時〜12時")
    barrier_free = models.BooleanField("段差なし・車いす可", default=False)
    accessibility = models.CharField("配慮できること", max_length=300, blank=True)
    capacity = models.PositiveSmallIntegerField("受け入れ人数")
    audiences = models.JSONField("歓迎する人", default=list, blank=True)
    welcome_note = models.CharField("受け入れの条件", max_length=300, blank=True)
    is_active = models.BooleanField("受け入れ中", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = history()

    class Meta:
        verbose_name = "受け入れの内容"
        verbose_name_plural = "受け入れの内容"
        ordering = ["resource__name", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OfferKind.values), name="host_offer_kind_valid"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="host_offer_capacity_min"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} — {self.title}"

    def weekday_labels(self) -> str:
        names = dict(WEEKDAYS)
        return "・".join(names[d] for d in self.weekdays if d in names)


class HostSupport(models.Model):
    """Support given to a host (相談対応, 研修, 調整, 訪問): structure data about the host."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "相談対応"
        TRAINING = "training", "研修・説明"
        COORDINATION = "coordination", "調整"
        VISIT = "visit", "訪問"
        OTHER = "other", "その他"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="host_supports"
    )
    resource = models.ForeignKey(
        "resources.CommunityResource",
        on_delete=models.PROTECT,
        related_name="host_supports",
        verbose_name="受け入れ先",
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="支援した機関"
    )
    supported_on = models.DateField("日付")
    kind = models.CharField("種類", max_length=16, choices=Kind.choices)
    note = models.CharField("内容", max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "受け入れ先への支援"
        verbose_name_plural = "受け入れ先への支援"
        ordering = ["-supported_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["consultation", "training", "coordination", "visit", "other"]
                ),
                name="host_support_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.supported_on} {self.resource}"


# --- the person's side: personal data ---------------------------------------------------------


def _consents_covering(organization: Organization) -> models.QuerySet[Consent, Any]:
    """Live consents (not withdrawn, in their period) naming `organization` as a recipient: a
    subquery, so a placement is one row whatever the consent's number of recipients."""
    today = timezone.localdate()
    # unscoped: which consents cover this organization (ids only, inside a visibility rule)
    return (
        Consent.dangerously_unscoped.filter(
            scope_organizations=organization, withdrawn_at__isnull=True, valid_from__lte=today
        )
        .exclude(valid_until__lt=today)
        .values("pk")
    )


class NeedsProfileQuerySet(ScopedQuerySet["NeedsProfile"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(organization=organization)


def _placement_visibility(organization: Organization, prefix: str = "") -> Q:
    host = Q(
        **{
            f"{prefix}offer__resource__provider__organization": organization,
            f"{prefix}consent_id__in": _consents_covering(organization),
        }
    )
    return Q(**{f"{prefix}organization": organization}) | host


class PlacementQuerySet(ScopedQuerySet["Placement"]):
    def visibility(self, organization: Organization) -> Q:
        return _placement_visibility(organization)


class PlacementPartQuerySet[M: models.Model](ScopedQuerySet[M]):
    def visibility(self, organization: Organization) -> Q:
        return _placement_visibility(organization, "placement__")

    def holder_filter(self, organization: Organization) -> Q:
        return Q(placement__organization=organization)


class NeedsProfile(models.Model):
    """What a person looks for in a place: interests, days, limits, goals, support needed."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="担当機関"
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="needs_profiles",
        verbose_name="本人",
    )
    interests = models.TextField("興味・好きなこと", blank=True)
    kinds = models.JSONField("希望する種類", default=list, blank=True)
    weekdays = models.JSONField("参加できる曜日", default=list, blank=True)
    times = models.CharField("参加できる時間帯", max_length=100, blank=True)
    needs_barrier_free = models.BooleanField("段差なし・車いすが必要", default=False)
    audience = models.CharField("本人の属性", max_length=16, blank=True)
    limits = models.TextField("配慮・制約", blank=True)
    goals = models.TextField("目標", blank=True)
    support_needed = models.TextField("必要な支援", blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    history = history()
    objects = ScopedManager["NeedsProfile"](NeedsProfileQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "参加の希望"
        verbose_name_plural = "参加の希望"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person"], name="needs_profile_one_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} 参加の希望"


class PlacementStage(models.TextChoices):
    PROPOSED = "proposed", "提案"
    TRIAL = "trial", "見学・体験"
    ACTIVE = "active", "利用開始"
    ENDED = "ended", "終了"
    DECLINED = "declined", "辞退"


# stages that take a place of the host's capacity
OCCUPYING = [PlacementStage.TRIAL.value, PlacementStage.ACTIVE.value]


class Placement(models.Model):
    """A person matched to a host's offer: 提案 → 見学・体験 → 利用開始 → 終了, or 辞退."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="担当機関"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="本人"
    )
    offer = models.ForeignKey(
        HostOffer, on_delete=models.PROTECT, related_name="placements", verbose_name="受け入れ先"
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="事例",
    )
    consent = models.ForeignKey(
        "consent.Consent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="受け入れ先への提供の同意",
    )
    share_profile = models.BooleanField("希望・配慮を受け入れ先に伝える", default=False)
    share_contact = models.BooleanField("連絡先を受け入れ先に伝える", default=False)
    stage = models.CharField(
        "段階", max_length=10, choices=PlacementStage.choices, default=PlacementStage.PROPOSED
    )
    is_new = models.BooleanField("新規", default=True, help_text="本人の初めてのマッチング")
    proposed_on = models.DateField("提案日")
    trial_on = models.DateField("見学・体験日", null=True, blank=True)
    started_on = models.DateField("利用開始日", null=True, blank=True)
    ended_on = models.DateField("終了日", null=True, blank=True)
    end_reason = models.CharField("終了の理由", max_length=200, blank=True)
    declined_on = models.DateField("辞退日", null=True, blank=True)
    decline_reason = models.CharField("辞退の理由", max_length=200, blank=True)
    note = models.TextField("記録", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = history()
    objects = ScopedManager["Placement"](PlacementQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "参加支援のマッチング"
        verbose_name_plural = "参加支援のマッチング"
        ordering = ["-proposed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=PlacementStage.values), name="placement_stage_valid"
            ),
            models.CheckConstraint(
                condition=~Q(stage="declined")
                | (Q(declined_on__isnull=False) & ~Q(decline_reason="")),
                name="placement_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(trial_on__isnull=True) | Q(trial_on__gte=F("proposed_on")),
                name="placement_trial_after_proposal",
            ),
            models.CheckConstraint(
                condition=Q(started_on__isnull=True) | Q(started_on__gte=F("proposed_on")),
                name="placement_start_after_proposal",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | (Q(started_on__isnull=False) & Q(ended_on__gte=F("started_on"))),
                name="placement_end_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=["active", "ended"]) | Q(started_on__isnull=False),
                name="placement_active_has_start",
            ),
            models.CheckConstraint(
                condition=~Q(stage="ended") | Q(ended_on__isnull=False),
                name="placement_ended_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer} {self.get_stage_display()}"


class Attendance(models.Model):
    """One visit (or missed visit) of a placement."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="attendances")
    attended_on = models.DateField("日付")
    attended = models.BooleanField("参加した", default=True)
    note = models.CharField("様子", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedManager["Attendance"](PlacementPartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "参加の記録"
        verbose_name_plural = "参加の記録"
        ordering = ["-attended_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "attended_on"], name="attendance_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attended_on} {'参加' if self.attended else '欠席'}"


class FollowUp(models.Model):
    """定着支援・フォローアップ: due a city-set number of months after a placement ends."""

    class Result(models.TextChoices):
        HOLDING = "holding", "定着している"
        NEEDS_SUPPORT = "needs_support", "支援が必要"
        STOPPED = "stopped", "途切れている"

    placement = models.OneToOneField(Placement, on_delete=models.CASCADE, related_name="follow_up")
    due_on = models.DateField("予定日")
    done_on = models.DateField("実施日", null=True, blank=True)
    result = models.CharField("結果", max_length=16, choices=Result.choices, blank=True)
    note = models.TextField("記録", blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="実施した職員",
    )

    objects = ScopedManager["FollowUp"](PlacementPartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "フォローアップ"
        verbose_name_plural = "フォローアップ"
        ordering = ["due_on"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(done_on__isnull=True) & Q(result=""))
                | (Q(done_on__isnull=False) & ~Q(result="")),
                name="follow_up_done_has_result",
            )
        ]

    def __str__(self) -> str:
        return f"{self.placement} フォローアップ {self.due_on}"
