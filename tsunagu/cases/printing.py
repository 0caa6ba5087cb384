"""The standard sheets on A4, filled in, as PDF: 相談受付・申込票, インテーク・アセスメントシート,
プランシート, 支援経過記録シート and 評価シート.

Drawn with fpdf2 and the Noto Sans CJK JP font shipped as a Python package (embedded as a subset:
nothing is fetched, the PDF prints in Japanese anywhere). What a sheet shows comes from
`selectors.case_print_for`, which decides and logs it: a member's record only within the user's
basis, and the address masked under 住所秘匿 for everyone but the holder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import noto_cjk_sans_jp_regular
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from tsunagu.cases.sheets import ASSESSMENT_ITEMS, PLAN_REFERRAL_CHECKS
from tsunagu.core.fiscal import wareki_date

FONT = "noto"
FORMS = {
    "intake": "相談受付・申込票",
    "assessment": "インテーク・アセスメントシート",
    "plan": "プランシート（プラン兼利用申込書）",
    "timeline": "支援経過記録シート",
    "evaluation": "評価シート",
}
CHECKED, UNCHECKED = "■", "□"


@cache
def font_path() -> str:
    return str(Path(noto_cjk_sans_jp_regular.__file__).parent / "NotoSansCJKjp-Regular.otf")


def _day(value: dt.date | None) -> str:
    return wareki_date(value) if value else "—"


class Sheet(FPDF):
    """One A4 sheet: a title block, labelled rows, check items and tables; page numbers and
    the 要配慮個人情報 notice in the footer."""

    def __init__(self, *, form: str, case_title: str, organization: str, printed_by: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.form = form
        self.case_title = case_title
        self.organization = organization
        self.printed_by = printed_by
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_font(FONT, fname=font_path())
        self.set_font(FONT, size=10)
        self.set_title(FORMS[form])
        self.set_creator("tsunagu")
        self.add_page()
        self._heading()

    def _heading(self) -> None:
        self.set_font(FONT, size=16)
        self.cell(0, 10, FORMS[self.form], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=9)
        today = _day(timezone.localdate())
        self.cell(
            0,
            6,
            f"事例: {self.case_title}　担当機関: {self.organization}"
            f"　印刷: {today} {self.printed_by}",
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.ln(2)
        self.set_font(FONT, size=10)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=8)
        self.cell(
            0,
            6,
            f"要配慮個人情報を含みます。取扱注意　　{self.page_no()} / {{nb}}",
            align="C",
        )

    def section(self, title: str) -> None:
        self.ln(2)
        self.set_font(FONT, size=11)
        self.set_fill_color(230, 230, 230)
        self.cell(0, 7, title, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)

    def rows(self, rows: Iterable[tuple[str, str]], widths: tuple[int, int] = (45, 135)) -> None:
        """Label | value rows with borders; long values wrap, rows break across pages."""
        with self.table(
            col_widths=widths,
            text_align=("LEFT", "LEFT"),
            first_row_as_headings=False,
            line_height=6,
            padding=1.5,
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=FontFace(fill_color=(245, 245, 245)))
                row.cell(value or "—")

    def grid(
        self, headings: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[int]
    ) -> None:
        with self.table(
            col_widths=tuple(widths),
            text_align="LEFT",
            line_height=6,
            padding=1.5,
            headings_style=FontFace(fill_color=(230, 230, 230)),
        ) as table:
            head = table.row()
            for h in headings:
                head.cell(h)
            for values in rows:
                row = table.row()
                for v in values:
                    row.cell(v or "—")

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def checks(options: Sequence[tuple[str, str]], checked: Iterable[str]) -> str:
    chosen = set(checked)
    return "　".join(
        f"{CHECKED if code in chosen else UNCHECKED}{label}" for code, label in options
    )


# --- the five sheets ------------------------------------------------------------------------------


def _members(sheet: Sheet, members: list[dict[str, str]]) -> None:
    sheet.section("世帯")
    sheet.grid(
        ["続柄", "氏名", "生年月日", "住所", "記録している機関"],
        [
            [m["relationship"], m["name"], m["birth"], m["address"], m["organization"]]
            for m in members
        ],
        (22, 38, 28, 52, 40),
    )


def _mapping(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(value)
    return value


def sheet_pdf(*, form: str, data: dict[str, object]) -> bytes:
    """The PDF of one sheet from the already decided, masked data (`selectors.case_print_for`)."""
    case = _mapping(data["case"])
    sheet = Sheet(
        form=form,
        case_title=str(case["title"]),
        organization=str(case["organization"]),
        printed_by=str(data["printed_by"]),
    )
    members = data["members"]
    if not isinstance(members, list):
        raise TypeError("members")
    if form == "intake":
        sheet.rows(
            [
                ("受付日", str(case["opened_on"])),
                ("きっかけ", str(case["origin"])),
                ("対象", str(case["subject"])),
                ("複合的な課題", str(case["issues"])),
                ("主担当", str(case["lead"])),
            ]
        )
        _members(sheet, members)
        consultation = data.get("consultation")
        sheet.section("相談の内容")
        if isinstance(consultation, dict):
            sheet.rows(
                [
                    ("受付日時・機関", str(consultation["received"])),
                    ("相談方法・相談者", str(consultation["how"])),
                    ("主訴", str(consultation["main_topic"])),
                    ("相談の内容", checks(consultation["topic_options"], consultation["topics"])),
                    ("内容", str(consultation["content"])),
                ]
            )
        else:
            sheet.rows([("相談", "相談からの事例ではないか、相談の内容は共有されていません")])
        sheet.section("本人同意（情報共有）")
        sheet.rows([(m["relationship"], m["consent"]) for m in members])
    elif form == "assessment":
        assessment = data.get("assessment")
        if not isinstance(assessment, dict):
            sheet.rows([("アセスメント", "まだ記入されていません")])
        else:
            sheet.rows(
                [
                    ("版・実施日", f"第{assessment['version']}版　{assessment['assessed_on']}"),
                    ("記入者", str(assessment["by"])),
                    ("緊急度【報告】", str(assessment["urgency"])),
                ]
            )
            _members(sheet, members)
            answers = _mapping(assessment["answers"])
            sheet.section("項目（【報告】は国への報告項目）")
            rows = []
            for item in ASSESSMENT_ITEMS:
                answer = answers.get(item.code) or {}
                text = checks(item.options, answer.get("checks", [])) if item.options else ""
                note = answer.get("note", "")
                if note:
                    text = f"{text}\n{note}" if text else note
                rows.append((item.label + ("【報告】" if item.reported else ""), text))
            sheet.rows(rows)
    elif form == "plan":
        plan = data.get("plan")
        if not isinstance(plan, dict):
            sheet.rows([("プラン", "まだ作成されていません")])
        else:
            sheet.rows(
                [
                    ("種類・版", f"{plan['kind']}　第{plan['version']}版（{plan['status']}）"),
                    ("重層的支援会議", str(plan["conferred_on"])),
                    ("本人の思い・希望", str(plan["wishes"])),
                    ("目標", str(plan["goals"])),
                    ("取り組む課題", str(plan["issues"])),
                    ("モニタリング予定日", str(plan["monitoring_on"])),
                    ("見直し予定日", str(plan["review_on"])),
                ]
            )
            sheet.section("取り組み（役割分担）")
            sheet.grid(["取り組み", "担当機関", "期限"], plan["actions"], (95, 55, 30))
            sheet.section("参加支援・アウトリーチへのつなぎの確認")
            sheet.rows(
                [
                    (label, CHECKED if code in plan["referral_checks"] else UNCHECKED)
                    for code, label in PLAN_REFERRAL_CHECKS
                ],
                widths=(165, 15),
            )
            sheet.section("本人の署名（プラン兼利用申込書）")
            sheet.rows([("上記のプランに同意し、利用を申し込みます", "年　　月　　日　氏名")])
    elif form == "timeline":
        events = data["events"]
        sheet.grid(["日時", "種類", "機関・記録者", "内容"], events, (28, 22, 40, 90))  # type: ignore[arg-type]
    elif form == "evaluation":
        closure = data.get("closure")
        if not isinstance(closure, dict):
            sheet.rows([("評価", "まだ記入されていません")])
        else:
            sheet.rows(
                [
                    ("評価日・その後", str(closure["closed"])),
                    ("目標の達成", str(closure["goals_met"])),
                    ("本人・世帯に起きた変化", str(closure["person_changes"])),
                    ("既存事業で対応可能だったか", str(closure["sufficient"])),
                    ("対応できなかった理由", str(closure["why_not"])),
                    ("望まれる社会資源", str(closure["gaps"])),
                    ("支援フローから分かったこと", str(closure["lessons"])),
                ],
                widths=(55, 125),
            )
    else:
        raise ValueError(form)
    return sheet.output_bytes()
