"""会議体: the standing meeting bodies of a city's support system.

The legal kind decides the rules (who may see what, whether consent is needed); the name is the
city's own (伊勢市 calls its 支援会議 「ふくし総合支援会議」). Each body stores its legal basis as
data — the statute or 要綱, whether it may discuss an individual, whether that needs the person's
consent, whether members carry a statutory confidentiality duty — defaulted from its kind
(`LEGAL_BASES`) and checked in the database so that the flags cannot contradict each other.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from tsunagu.organizations.models import Municipality, Organization


class MeetingBodyKind(models.TextChoices):
    # 社会福祉法 第106条の6: members bound by a statutory confidentiality duty; no consent needed.
    CONFIDENTIAL_SUPPORT_MEETING = "confidential_support_meeting", "支援会議（法第106条の6）"
    # The city's 実施要綱: consent required; plans agreed, monitored and evaluated.
    CASE_CONFERENCE = "case_conference", "重層的支援会議"
    # 児童福祉法 第25条の2〜第25条の5: statutory confidential council; consent is not the basis.
    CHILD_PROTECTION_COUNCIL = "child_protection_council", "要保護児童対策地域協議会"
    # 生活困窮者自立支援法 第9条: 支援会議 of the 自立相談支援機関, statutory confidentiality.
    POVERTY_SUPPORT_MEETING = "poverty_support_meeting", "支援会議（生活困窮者自立支援法第9条）"
    # 介護保険法 第115条の48: 地域ケア会議, members bound to confidentiality by the statute.
    COMMUNITY_CARE_MEETING = "community_care_meeting", "地域ケア会議（介護保険法第115条の48）"
    INDIVIDUAL_CASE_MEETING = "individual_case_meeting", "個別ケース会議"
    GOVERNANCE_MEETING = "governance_meeting", "推進会議"
    COORDINATION_MEETING = "coordination_meeting", "庁内連携会議"
    COUNCIL = "council", "協議体"
    PLATFORM = "platform", "プラットフォーム"


@dataclass(frozen=True)
class LegalBasis:
    """What the law (or the city's 要綱) says about a kind of meeting body."""

    basis: str
    discusses_individuals: bool
    requires_consent: bool
    confidentiality_duty: bool


# The default legal basis of each kind; a plan file may name the city's own 要綱 instead.
LEGAL_BASES: dict[str, LegalBasis] = {
    MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING: LegalBasis(
        "社会福祉法第106条の6",
        discusses_individuals=True,
        requires_consent=False,
        confidentiality_duty=True,
    ),
    MeetingBodyKind.CASE_CONFERENCE: LegalBasis(
        "市の重層的支援体制整備事業実施要綱",
        discusses_individuals=True,
        requires_consent=True,
        confidentiality_duty=False,
    ),
    MeetingBodyKind.CHILD_PROTECTION_COUNCIL: LegalBasis(
        "児童福祉法第25条の2",
        discusses_individuals=True,
        requires_consent=False,
        confidentiality_duty=True,
    ),
    MeetingBodyKind.POVERTY_SUPPORT_MEETING: LegalBasis(
        "生活困窮者自立支援法第9条",
        discusses_individuals=True,
        requires_consent=False,
        confidentiality_duty=True,
    ),
    MeetingBodyKind.COMMUNITY_CARE_MEETING: LegalBasis(
        "介護保険法第115条の48",
        discusses_individuals=True,
        requires_consent=False,
        confidentiality_duty=True,
    ),
    MeetingBodyKind.INDIVIDUAL_CASE_MEETING: LegalBasis(
        "", discusses_individuals=True, requires_consent=True, confidentiality_duty=False
    ),
    MeetingBodyKind.GOVERNANCE_MEETING: LegalBasis(
        "", discusses_individuals=False, requires_consent=False, confidentiality_duty=False
    ),
    MeetingBodyKind.COORDINATION_MEETING: LegalBasis(
        "", discusses_individuals=False, requires_consent=False, confidentiality_duty=False
    ),
    MeetingBodyKind.COUNCIL: LegalBasis(
        "", discusses_individuals=False, requires_consent=False, confidentiality_duty=False
    ),
    MeetingBodyKind.PLATFORM: LegalBasis(
        "", discusses_individuals=False, requires_consent=False, confidentiality_duty=False
    ),
}

# Kinds whose members carry a statutory confidentiality duty: consent is never their basis.
STATUTORY_CONFIDENTIAL_KINDS = [k for k, b in LEGAL_BASES.items() if b.confidentiality_duty]
# Kinds that discuss no individual (governance, 協議体, platforms).
NON_CASE_KINDS = [k for k, b in LEGAL_BASES.items() if not b.discusses_individuals]


class MeetingBody(models.Model):
    Kind = MeetingBodyKind

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="meeting_bodies"
    )
    code = models.SlugField("コード", max_length=80)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("法的な種別", max_length=32, choices=MeetingBodyKind.choices)
    # A body may hold a second role: 三田市多機関協働支援会議 is a 支援会議 and, when the person
    # consents, the 重層的支援会議.
    second_kind = models.CharField(
        "もう一つの役割",
        max_length=32,
        choices=MeetingBodyKind.choices,
        blank=True,
        help_text="例: 本人同意があるときは重層的支援会議としても開く",
    )
    legal_basis = models.CharField("根拠（法令・要綱）", max_length=200, blank=True)
    discusses_individuals = models.BooleanField("個人の事例を扱う", default=False)
    requires_consent = models.BooleanField("本人同意が必要", default=False)
    confidentiality_duty = models.BooleanField("構成員に法定の守秘義務", default=False)
    is_active = models.BooleanField("有効", default=True, help_text="計画から外れた会議体は終了")
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
            models.CheckConstraint(
                condition=Q(second_kind="")
                | (Q(second_kind__in=MeetingBodyKind.values) & ~Q(second_kind=models.F("kind"))),
                name="meeting_body_second_kind_valid",
            ),
            # Consent and a confidentiality duty only make sense where individuals are discussed.
            models.CheckConstraint(
                condition=Q(discusses_individuals=True)
                | Q(requires_consent=False, confidentiality_duty=False),
                name="meeting_body_flags_need_individuals",
            ),
            # A statutory confidential body rests on the statute, not on consent.
            models.CheckConstraint(
                condition=~Q(kind__in=STATUTORY_CONFIDENTIAL_KINDS)
                | Q(confidentiality_duty=True, requires_consent=False),
                name="meeting_body_statutory_confidential",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=NON_CASE_KINDS) | Q(discusses_individuals=False),
                name="meeting_body_non_case_kinds",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_support_meeting(self) -> bool:
        """A 支援会議 under 社会福祉法第106条の6 (the basis referrals may rest on)."""
        return MeetingBodyKind.CONFIDENTIAL_SUPPORT_MEETING in (self.kind, self.second_kind)


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
