"""How a match reads to a counselor: in words, with its reasons, never a raw decimal."""

from django import template

from tsunagu.people.matching import TIER_LABELS, Match, tier_of

register = template.Library()


@register.filter
def match_level(score: float) -> str:
    """同一人物の可能性が高い / 要確認 (check the reasons first) / 低: names alike, confirm with
    the birth date, phone or address."""
    return TIER_LABELS.get(tier_of(score), "名前が似ている（生年月日などで確かめてください）")


def reasons_in_words(reasons: tuple[str, ...] | list[str]) -> str:
    """(氏名（漢字）一致, 生年月日一致, 電話番号一致) → 氏名（漢字）・生年月日・電話番号が一致;
    reasons that are not a plain match (住所の一部が一致, 読みは一致…) follow as they are."""
    matched = [r.removesuffix("一致") for r in reasons if r.endswith("一致") and "が" not in r]
    others = [r for r in reasons if not (r.endswith("一致") and "が" not in r)]
    parts = [f"{'・'.join(matched)}が一致"] if matched else []
    return "、".join([*parts, *others])


@register.filter
def match_words(match: Match) -> str:
    """同一人物の可能性が高い：氏名（漢字）・生年月日・電話番号が一致"""
    reasons = reasons_in_words(match.reasons)
    level = match_level(match.score)
    return f"{level}：{reasons}" if reasons else level
