"""How a match score reads to a counselor."""

from django import template

from tsunagu.people.matching import TIER_LABELS, tier_of

register = template.Library()


@register.filter
def match_level(score: float) -> str:
    """同一人物の可能性が高い / 要確認 (check the reasons first) / 低: names alike, confirm with
    the birth date, phone or address."""
    return TIER_LABELS.get(tier_of(score), "低（生年月日などで確認）")
