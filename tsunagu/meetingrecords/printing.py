"""A meeting's papers on A4, as PDF: 会議録 (minutes, decisions, action items), the agenda
(次第), and the attendance sheet (出席者名簿) with the signature lines of the
守秘義務の誓約.

Drawn like the case sheets (`cases.printing`: fpdf2, the embedded Noto Sans CJK JP font). What a
paper shows comes from `access.meeting_get_for`, which decided and logged it: the people on the
agenda only within the user's basis, the address masked under 住所秘匿 for everyone but the
holder. A confidential body's papers are marked 非公開 on every page.
"""

from __future__ import annotations

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from tsunagu.cases.printing import FONT, Sheet, font_path
from tsunagu.core.fiscal import wareki_date
from tsunagu.meetingrecords.access import ItemView, MeetingAccess

PRINTS = {
    "minutes": "会議録",
    "agenda": "次第（議題）",
    "attendance": "出席者名簿・守秘義務の誓約",
}
CONFIDENTIAL_MARK = "非公開"


class MeetingSheet(Sheet):
    """One paper of a meeting: a title block naming the body and date, and the 非公開 mark."""

    def __init__(self, *, form: str, access: MeetingAccess, printed_by: str) -> None:
        FPDF.__init__(self, orientation="P", unit="mm", format="A4")
        self.form = form
        self.access = access
        self.printed_by = printed_by
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_font(FONT, fname=font_path())
        self.set_font(FONT, size=10)
        self.set_title(PRINTS[form])
        self.set_creator("tsunagu")
        self.add_page()
        self._heading()

    def header(self) -> None:
        if self.access.meeting.confidential:
            self.set_font(FONT, size=10)
            self.set_text_color(180, 0, 0)
            self.cell(
                0, 6, f"【{CONFIDENTIAL_MARK}】", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
            self.set_text_color(0, 0, 0)

    def _heading(self) -> None:
        meeting = self.access.meeting
        self.set_font(FONT, size=16)
        self.cell(
            0,
            10,
            f"{meeting.body.name}　{PRINTS[self.form]}",
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_font(FONT, size=9)
        self.cell(
            0,
            6,
            f"事務局: {meeting.secretariat.name}　印刷: {wareki_date(timezone.localdate())}"
            f" {self.printed_by}",
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.ln(1)
        self.set_font(FONT, size=10)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=8)
        mark = (
            f"{CONFIDENTIAL_MARK}（{self.access.meeting.legal_basis}に基づく守秘義務）　"
            if self.access.meeting.confidential
            else ""
        )
        self.cell(
            0,
            6,
            f"{mark}要配慮個人情報を含みます。取扱注意　　{self.page_no()} / {{nb}}",
            align="C",
        )


def _when(access: MeetingAccess) -> str:
    m = access.meeting
    time = f" {m.starts_at:%H:%M}〜" if m.starts_at else ""
    place = m.place or ""
    if m.online:
        place = f"{place}（オンライン）" if place else "オンライン"
    return f"{wareki_date(m.held_on)}{time}　{place}".strip()


def _subject(view: ItemView) -> str:
    """Who or what the item is about, as this user may see it (住所秘匿 masked)."""
    item = view.item
    if item.kind == "topic":
        return item.topic
    names = []
    for p in view.persons:
        address = p.address_text
        if address and not address.startswith("（"):
            address = f"（{address}）"
        names.append(f"{p.person.full_name}{address}")
    if view.hidden:
        names.append(f"ほか{view.hidden}名（閲覧の根拠なし）")
    prefix = f"事例「{item.case.title}」: " if item.case is not None else ""
    return prefix + "、".join(names)


def _basics(sheet: MeetingSheet) -> None:
    m = sheet.access.meeting
    sheet.rows(
        [
            ("会議の種別", m.get_kind_display()),
            ("根拠", m.legal_basis or "—"),
            ("日時・場所", _when(sheet.access)),
            ("次回", wareki_date(m.next_meeting_on) if m.next_meeting_on else "—"),
        ]
    )


def meeting_pdf(*, form: str, access: MeetingAccess, printed_by: str) -> bytes:
    sheet = MeetingSheet(form=form, access=access, printed_by=printed_by)
    _basics(sheet)
    if form == "agenda":
        sheet.section("議題")
        sheet.grid(
            ["順", "種類", "内容"],
            [[str(v.item.position), v.item.get_kind_display(), _subject(v)] for v in access.items],
            (12, 38, 130),
        )
    elif form == "minutes":
        sheet.section("出席")
        sheet.rows([("出席者", "、".join(a.label for a in access.attendees) or "—")])
        for v in access.items:
            sheet.section(f"議題{v.item.position}　{_subject(v)}")
            sheet.rows([("議事録", v.item.minutes or "（未記録）")])
        sheet.section("決定事項")
        sheet.grid(["決定事項"], [[d.text] for d in access.decisions], (180,))
        sheet.section("宿題（担当と期限）")
        sheet.grid(
            ["担当機関", "内容", "期限"],
            [[x.organization.name, x.description, wareki_date(x.due_on)] for x in access.actions],
            (50, 95, 35),
        )
    else:  # attendance
        sheet.section("出席者")
        confidential = access.meeting.confidential
        rows = [
            [
                a.organization.name if a.organization else a.affiliation,
                a.name,
                wareki_date(a.pledge.signed_on) if a.pledge else "",
            ]
            for a in access.attendees
        ] + [["", "", ""] for _ in range(3)]  # for participants added on the day
        with sheet.table(
            col_widths=(60, 40, 35, 45),
            text_align="LEFT",
            line_height=10,  # room to sign
            padding=1.5,
            headings_style=FontFace(fill_color=(230, 230, 230)),
        ) as table:
            head = table.row()
            for h in ("機関・所属", "氏名", "誓約日", "署名"):
                head.cell(h)
            for values in rows:
                line = table.row()
                for text in [*values, ""]:
                    line.cell(text or " ")
        if confidential:
            sheet.section("守秘義務の誓約")
            sheet.multi_cell(
                0,
                6,
                f"私は、{access.meeting.body.name}の構成員として、{access.meeting.legal_basis}"
                "に基づき、会議において知り得た秘密を漏らしません。会議の終了後も同様とします。"
                "（上の署名欄に署名してください）",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
    return sheet.output_bytes()
