"""How a match score reads to a counselor."""

from django import template

from tsunagu.people.matching import DEFAULT_THRESHOLD

register = template.Library()

POSSIBLE = 0.3


@register.filter
def match_level(score: float) -> str:
    """高: very likely the same person; 中: worth checking; 低: names alike, confirm with the
    birth date, phone or address."""
    if score >= DEFAULT_THRESHOLD:
        return "高"
    if score >= POSSIBLE:
        return "中"
    return "低（生年月日などで確認）"
