"""The records of meetings: one meeting of a meeting body (`meetings.MeetingBody`), who attended,
their confidentiality pledges, the agenda, minutes, decisions and action items.

Meeting bodies are the city's structure (app `meetings`, below the personal data); what happens at
a meeting is personal data and lives here, above `cases`. A meeting is held by its secretariat
(`secretariat`: the organization that convened it, which records everything) and seen by the
organizations attending it; a meeting of a statutory confidential body (支援会議 and the like) is
非公開: an attending organization sees it only once its attendee's 守秘義務の誓約 is recorded.
Who was discussed is shared with the pledged attendees through `access.AccessGrant` rows naming
the agenda item (`services.meeting_grants_sync`), valid until `Meeting.share_until`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager
from tsunagu.core.history import history
from tsunagu.meetings.models import (
    LEGAL_BASES,
    STATUTORY_CONFIDENTIAL_KINDS,
    MeetingBody,
    MeetingBodyKind,
)
from tsunagu.organizations.models import Municipality, Organization


def meeting_visibility(organization: Organization) -> Q:
    """The meetings `organization` may see: those it convened (secretariat), and those it attends
    (for a confidential body: with its attendee's pledge recorded)."""
    attending = (
        MeetingAttendee.dangerously_unscoped.filter(  # unscoped: a subquery of ids
            organization=organization
        )
        .filter(Q(pledge__isnull=False) | ~Q(meeting__kind__in=STATUTORY_CONFIDENTIAL_KINDS))
        .values("meeting_id")
    )
    return Q(secretariat=organization) | Q(pk__in=attending)


def _of_visible_meetings(organization: Organization) -> Q:
    visible = Meeting.dangerously_unscoped.filter(  # unscoped: a subquery of the visible ids
        meeting_visibility(organization)
    ).values("pk")
    return Q(meeting_id__in=visible)


class MeetingQuerySet(ScopedQuerySet["Meeting"]):
    def visibility(self, organization: Organization) -> Q:
        return meeting_visibility(organization)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(secretariat=organization)


class MeetingPartQuerySet[M: models.Model](ScopedQuerySet[M]):
    """A part of a meeting (attendee, agenda item, decision, action item): seen with the meeting,
    held by its secretariat."""

    def visibility(self, organization: Organization) -> Q:
        return _of_visible_meetings(organization)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(meeting__secretariat=organization)


class PledgeQuerySet(ScopedQuerySet["ConfidentialityPledge"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(recorded_by_organization=organization) | Q(organization=organization)

    def holder_filter(self, organization: Organization) -> Q:
        return Q(recorded_by_organization=organization)


class Meeting(models.Model):
    """One meeting of a meeting body (開催)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    body = models.ForeignKey(
        MeetingBody, on_delete=models.PROTECT, related_name="meetings", verbose_name="会議体"
    )
    # the role the body meets in: its kind, or its second role (三田市's 多機関協働支援会議 meets
    # as a 支援会議, or as the 重層的支援会議 when the person consents)
    kind = models.CharField("会議の種別", max_length=32, choices=MeetingBodyKind.choices)
    held_on = models.DateField("開催日")
    starts_at = models.TimeField("開始時刻", null=True, blank=True)
    place = models.CharField("場所", max_length=200, blank=True)
    online = models.BooleanField("オンライン", default=False)
    secretariat = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="事務局"
    )
    share_until = models.DateField(
        "共有の期限", help_text="この日まで出席機関が協議した人の記録を見られる（支援会議）"
    )
    next_meeting_on = models.DateField("次回の開催日", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["Meeting"](MeetingQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "会議"
        verbose_name_plural = "会議"
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["secretariat", "held_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MeetingBodyKind.values), name="meeting_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(next_meeting_on__isnull=True) | Q(next_meeting_on__gt=F("held_on")),
                name="meeting_next_after_held",
            ),
            models.CheckConstraint(
                condition=Q(share_until__gte=F("held_on")), name="meeting_share_after_held"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.body.name} {self.held_on:%Y-%m-%d}"

    @property
    def held(self) -> bool:
        """Its day has come (today or before): what was said can be recorded."""
        return self.held_on <= timezone.localdate()

    @property
    def confidential(self) -> bool:
        """非公開: a statutory confidential body (支援会議 and the like); pledges needed."""
        return self.kind in STATUTORY_CONFIDENTIAL_KINDS

    @property
    def discusses_individuals(self) -> bool:
        if self.kind == self.body.kind:
            return self.body.discusses_individuals
        return LEGAL_BASES[self.kind].discusses_individuals

    @property
    def requires_consent(self) -> bool:
        if self.kind == self.body.kind:
            return self.body.requires_consent
        return LEGAL_BASES[self.kind].requires_consent

    @property
    def legal_basis(self) -> str:
        if self.kind == self.body.kind and self.body.legal_basis:
            return self.body.legal_basis
        return LEGAL_BASES[self.kind].basis


class ConfidentialityPledge(models.Model):
    """守秘義務の誓約: signed by one participant for a meeting body, for a period (the city's
    要綱 says whether per meeting or per year)."""

    meeting_body = models.ForeignKey(
        MeetingBody, on_delete=models.PROTECT, related_name="+", verbose_name="会議体"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="所属機関",
    )
    signer_name = models.CharField("署名者", max_length=100)
    affiliation = models.CharField("所属・肩書", max_length=200, blank=True)
    signed_on = models.DateField("誓約日")
    valid_until = models.DateField("有効期限", null=True, blank=True)
    recorded_by_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="記録した機関"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="記録した職員",
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name="記録日時")

    objects = ScopedManager["ConfidentialityPledge"](PledgeQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "守秘義務の誓約"
        verbose_name_plural = "守秘義務の誓約"
        ordering = ["-signed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("signed_on")),
                name="pledge_period_ordered",
            ),
            models.CheckConstraint(condition=~Q(signer_name=""), name="pledge_has_signer"),
        ]

    def __str__(self) -> str:
        return f"{self.signer_name}（{self.meeting_body}）"


class MeetingAttendee(models.Model):
    """An attendee: staff of an organization in the system, or a person outside it (民生委員,
    医師, 弁護士, staff of an NPO) recorded by name and affiliation, without an account."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendees")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="機関",
    )
    name = models.CharField("氏名", max_length=100, blank=True)
    affiliation = models.CharField("所属・肩書", max_length=200, blank=True)
    pledge = models.ForeignKey(
        ConfidentialityPledge,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendances",
        verbose_name="守秘義務の誓約",
    )
    added_at = models.DateTimeField(auto_now_add=True, verbose_name="記録日時")

    objects = ScopedManager["MeetingAttendee"](MeetingPartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "出席者"
        verbose_name_plural = "出席者"
        ordering = ["meeting", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | ~Q(name=""),
                name="meeting_attendee_names_someone",
            ),
            models.UniqueConstraint(
                fields=["meeting", "organization", "name"], name="meeting_attendee_once"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        who = self.organization.name if self.organization is not None else self.affiliation
        return f"{who} {self.name}".strip()


class AgendaKind(models.TextChoices):
    CASE = "case", "事例（多機関協働）"
    PERSON = "person", "本人（事例になる前）"
    TOPIC = "topic", "議題"


class AgendaItem(models.Model):
    """One item of a meeting's agenda: a case, a person not yet a case, or a topic; with its
    minutes."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agenda")
    position = models.PositiveIntegerField("順番")
    kind = models.CharField("種類", max_length=8, choices=AgendaKind.choices)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_items",
        verbose_name="事例",
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_items",
        verbose_name="本人",
    )
    topic = models.CharField("議題", max_length=200, blank=True)
    # 重層的支援会議: the consent the item was put on the agenda under
    consent = models.ForeignKey(
        "consent.Consent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="本人同意",
    )
    minutes = models.TextField("議事録", blank=True)
    minutes_at = models.DateTimeField("議事録の記録日時", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # minutes are edited: each save counted, a save from an older version refused
    # (`core.history.refuse_stale`), every earlier text kept in the change history
    version = models.PositiveIntegerField("版", default=1, editable=False)

    history = history()
    objects = ScopedManager["AgendaItem"](MeetingPartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "議題"
        verbose_name_plural = "議題"
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_unique"),
            models.CheckConstraint(
                condition=(
                    Q(kind="case", case__isnull=False, person__isnull=True)
                    | Q(kind="person", person__isnull=False, case__isnull=True)
                    | (Q(kind="topic", case__isnull=True, person__isnull=True) & ~Q(topic=""))
                ),
                name="agenda_item_names_its_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} 議題{self.position}"


class MeetingDecision(models.Model):
    """A decision of the meeting (on an agenda item or in general); approving a support plan
    names the plan."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name="議題",
    )
    text = models.TextField("決定事項")
    plan = models.ForeignKey(
        "cases.SupportPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="承認した支援プラン",
    )
    # what the decision sent to the resource-gap register (社会資源の不足), or the closure
    # evaluation of a case on the agenda (評価シート) it recorded
    resource_gap = models.ForeignKey(
        "cases.ResourceGap",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="社会資源の不足",
    )
    closure = models.ForeignKey(
        "cases.CaseClosure",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="終結の評価",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="記録した職員",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager["MeetingDecision"](MeetingPartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "決定事項"
        verbose_name_plural = "決定事項"
        ordering = ["meeting", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="meeting_decision_has_text"),
        ]

    def __str__(self) -> str:
        return self.text[:30]


class ActionItem(models.Model):
    """An action an organization took on at the meeting, with its due date."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions")
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name="議題",
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name="担当機関"
    )
    description = models.CharField("内容", max_length=300)
    due_on = models.DateField("期限")
    done_on = models.DateField("完了日", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="完了を記録した職員",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedManager["ActionItem"](MeetingPartQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "宿題（担当と期限）"
        verbose_name_plural = "宿題（担当と期限）"
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(description=""), name="meeting_action_has_description"
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(done_by__isnull=False),
                name="meeting_action_done_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return self.description
