"""The items of the standard sheets (MHLW's forms derived from 自立相談支援): the
インテーク・アセスメントシート's sections with their check options, and the プランシート's check
items for referral to 参加支援 and アウトリーチ. Items the city reports to the national government
are marked `reported` and must be answered."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SheetItem:
    code: str
    label: str
    options: tuple[tuple[str, str], ...]
    reported: bool = False  # reported to the national government: required

    def option_label(self, code: str) -> str:
        return dict(self.options).get(code, code)


ASSESSMENT_ITEMS: tuple[SheetItem, ...] = (
    SheetItem(
        "household",
        "本人と世帯の状況",
        (
            ("single", "単身"),
            ("elderly_only", "高齢者のみの世帯"),
            ("single_parent", "ひとり親世帯"),
            ("child", "18歳未満の子がいる"),
            ("care_needed", "要介護の世帯員がいる"),
            ("disabled_member", "障がいのある世帯員がいる"),
        ),
        reported=True,
    ),
    SheetItem(
        "health",
        "健康・障害",
        (
            ("treatment", "通院・服薬中"),
            ("untreated", "未受診・治療中断"),
            ("mental", "精神的な不調"),
            ("disability_card", "障害者手帳あり"),
            ("care_certified", "要介護・要支援認定あり"),
        ),
        reported=True,
    ),
    SheetItem(
        "income",
        "収入・生活費",
        (
            ("wages", "就労収入"),
            ("pension", "年金"),
            ("public_assistance", "生活保護"),
            ("no_income", "収入なし"),
            ("arrears", "滞納・債務がある"),
        ),
        reported=True,
    ),
    SheetItem(
        "housing",
        "住まい",
        (
            ("owned", "持ち家"),
            ("rented", "賃貸"),
            ("rent_arrears", "家賃の滞納"),
            ("losing_home", "住まいを失うおそれ"),
            ("living_conditions", "居住環境の悪化（ごみ等）"),
        ),
    ),
    SheetItem(
        "work",
        "就労",
        (
            ("working", "就労中"),
            ("seeking", "求職中"),
            ("left_job", "離職"),
            ("never_worked", "就労経験なし・少ない"),
            ("unable", "就労が難しい"),
        ),
    ),
    SheetItem(
        "family",
        "家族関係",
        (
            ("care_burden", "介護の負担"),
            ("childcare_burden", "子育ての負担"),
            ("conflict", "家族間の対立"),
            ("abuse_risk", "虐待のおそれ"),
            ("young_carer", "ヤングケアラー"),
        ),
    ),
    SheetItem(
        "participation",
        "社会参加",
        (
            ("no_contact", "地域との交流がない"),
            ("withdrawn", "ひきこもり"),
            ("no_one_to_ask", "相談できる人がいない"),
            ("has_place", "通いの場・居場所がある"),
        ),
    ),
    SheetItem(
        "risk",
        "リスクと緊急度",
        (
            ("life", "生命・健康の危険"),
            ("abuse_dv", "虐待・DV"),
            ("suicide", "自殺念慮"),
            ("money_urgent", "経済的に急迫"),
        ),
        reported=True,
    ),
    SheetItem(
        "strengths",
        "強み",
        (
            ("motivation", "本人の意欲"),
            ("family_support", "支えてくれる家族"),
            ("community_ties", "地域のつながり"),
            ("skills", "得意なこと・できること"),
        ),
    ),
    SheetItem("wishes", "本人の思い・希望", (), reported=True),
)

ASSESSMENT_ITEM_BY_CODE = {item.code: item for item in ASSESSMENT_ITEMS}

PLAN_REFERRAL_CHECKS: tuple[tuple[str, str], ...] = (
    ("participation_no_scheme", "【参加支援】既存の制度では社会参加の課題に対応できない"),
    ("participation_wish", "【参加支援】本人が社会参加・就労体験を望んでいる"),
    ("participation_host", "【参加支援】受け入れ先の開拓・調整が必要"),
    ("outreach_unreached", "【アウトリーチ】本人が支援につながっていない・拒んでいる"),
    ("outreach_relationship", "【アウトリーチ】継続的な訪問による関係づくりが必要"),
    ("outreach_family_only", "【アウトリーチ】家族からの相談のみで本人に会えていない"),
)
PLAN_REFERRAL_CHECK_CODES = frozenset(code for code, _ in PLAN_REFERRAL_CHECKS)


def assessment_answers_clean(
    raw: dict[str, object],
) -> tuple[dict[str, dict[str, object]], dict[str, str]]:
    """The answers as stored ({item: {"checks": [...], "note": "..."}}, unknown items and
    options refused), and the errors by item code (a reported item left unanswered)."""
    answers: dict[str, dict[str, object]] = {}
    errors: dict[str, str] = {}
    for code in raw:
        if code not in ASSESSMENT_ITEM_BY_CODE:
            errors[code] = f"「{code}」はアセスメントシートの項目ではありません"
    for item in ASSESSMENT_ITEMS:
        value = raw.get(item.code) or {}
        if not isinstance(value, dict):
            errors[item.code] = f"{item.label}: 形式が正しくありません"
            continue
        checks = value.get("checks") or []
        note = str(value.get("note") or "").strip()
        if not isinstance(checks, list):
            errors[item.code] = f"{item.label}: 選択肢は配列で指定してください"
            continue
        allowed = {c for c, _ in item.options}
        unknown = [str(c) for c in checks if c not in allowed]
        if unknown:
            errors[item.code] = f"{item.label}: 選択肢にないもの（{'、'.join(unknown)}）があります"
            continue
        if item.reported and not checks and not note:
            errors[item.code] = f"{item.label}は国への報告項目です。記入してください"
            continue
        answers[item.code] = {"checks": [c for c, _ in item.options if c in checks], "note": note}
    return answers, errors
