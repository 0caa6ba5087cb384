"""会議体: the standing meeting bodies of a city's support system.

The legal kind decides the rules (who may see what, whether consent is needed); the name is the
city's own (伊勢市 calls its 支援会議 「ふくし総合支援会議」).
"""

from django.db import models

from tsunagu.organizations.models import Municipality, Organization


class MeetingBodyKind(models.TextChoices):
    # 社会福祉法 第106条の6: members bound by a statutory confidentiality duty; no consent needed.
    CONFIDENTIAL_SUPPORT_MEETING = "confidential_support_meeting", "支援会議（法第106条の6）"
    # The city's 実施要綱: consent required; plans agreed, monitored and evaluated.
    CASE_CONFERENCE = "case_conference", "重層的支援会議"
    INDIVIDUAL_CASE_MEETING = "individual_case_meeting", "個別ケース会議"
    GOVERNANCE_MEETING = "governance_meeting", "推進会議"
    COORDINATION_MEETING = "coordination_meeting", "庁内連携会議"
    COUNCIL = "council", "協議体"
    PLATFORM = "platform", "プラットフォーム"


class MeetingBody(models.Model):
    Kind = MeetingBodyKind

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="meeting_bodies"
    )
    code = models.SlugField("コード", max_length=80)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("法的な種別", max_length=32, choices=MeetingBodyKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上位の会議体",
    )
    purpose = models.TextField("目的・内容", blank=True)
    members_description = models.TextField("構成員", blank=True)
    frequency = models.CharField("開催頻度", max_length=100, blank=True)
    secretariat = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="事務局",
    )
    members = models.ManyToManyField(
        Organization,
        through="MeetingBodyMember",
        related_name="meeting_bodies",
        verbose_name="構成機関",
    )
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "会議体"
        verbose_name_plural = "会議体"
        ordering = ["municipality", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="meeting_body_code_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=MeetingBodyKind.values), name="meeting_body_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def requires_consent(self) -> bool:
        return self.kind != MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING


class MeetingBodyMember(models.Model):
    meeting_body = models.ForeignKey(
        MeetingBody, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    role = models.CharField("役割", max_length=100, blank=True)

    class Meta:
        verbose_name = "構成機関"
        verbose_name_plural = "構成機関"
        ordering = ["meeting_body", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting_body", "organization"], name="meeting_body_member_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_body} / {self.organization}"
