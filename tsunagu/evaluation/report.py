"""The annual report (実施状況報告): one fiscal year's targets and actuals of every indicator,
as an Excel workbook (one sheet per program in the plan's table shape, with Excel charts), an
A4 PDF for the 推進会議 (a cover, one section per program with the table and a chart of
targets and actuals) or JSON (one row per indicator).

The figures come from `fiscal_year_rows`, the same rows as the fiscal-year view, so the three
formats and the page agree. Building is pure (rows in, bytes out); `report_write` puts the
bytes in a file all at once (a temporary file beside it, renamed), so a failure leaves no
partial file. Long reports say how far they are through `progress(done, total, label)`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tsunagu.cases.printing import font_path
from tsunagu.cityplan.models import PlanVersion
from tsunagu.core.fiscal import wareki_date, wareki_fiscal_year
from tsunagu.evaluation.actuals import (
    SOURCE_LABELS,
    IndicatorRow,
    NoPlanVersion,
    fiscal_year_rows,
    plan_version_for,
)
from tsunagu.evaluation.charts import bar_chart
from tsunagu.organizations.models import Municipality

FORMATS = {"xlsx": "Excel（.xlsx）", "pdf": "PDF（A4）", "json": "JSON"}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json",
}
NO_PROGRAM = "計画全体（事業に属さない指標）"
# the PDF shows this many earlier years beside the fiscal year (A4 portrait); Excel shows all
PDF_EARLIER_YEARS = 2

Progress = Callable[[int, int, str], None]


class ReportError(Exception):
    """A report that cannot be made, with the reason in Japanese for staff."""


@dataclass
class Section:
    """One program's part of the report: its indicators in the plan's order."""

    name: str
    code: str
    rows: list[IndicatorRow] = field(default_factory=list)


@dataclass
class ReportData:
    municipality: str
    plan_name: str
    plan_period: str
    fiscal_year: int
    earlier_years: list[int]
    sections: list[Section]
    made_at: dt.datetime

    @property
    def label(self) -> str:
        return wareki_fiscal_year(self.fiscal_year)

    @property
    def title(self) -> str:
        return f"{self.label} 重層的支援体制整備事業 実施状況報告"

    @property
    def rows(self) -> list[IndicatorRow]:
        return [row for section in self.sections for row in section.rows]


def _noop(done: int, total: int, label: str) -> None:
    return None


def municipality_by_slug(slug: str) -> Municipality:
    """The city named on the command line; a clear message when it is not loaded."""
    found = Municipality.objects.filter(slug=slug).first()
    if found is None:
        loaded = "、".join(Municipality.objects.values_list("slug", flat=True)) or "なし"
        raise ReportError(
            f"市 {slug!r} は読み込まれていません（読み込み済み: {loaded}）。"
            f"先に tsunagu load-plan {slug} を実行してください"
        )
    return found


def plan_version_for_year(*, municipality: Municipality, fiscal_year: int) -> PlanVersion:
    """The plan version in force in the fiscal year (as the fiscal-year view finds it)."""
    version = plan_version_for(municipality=municipality, fiscal_year=fiscal_year)
    if version is None:
        periods = "、".join(
            v.period_label for v in PlanVersion.objects.filter(municipality=municipality)
        )
        raise ReportError(
            f"{municipality.name}の計画には{wareki_fiscal_year(fiscal_year)}（{fiscal_year}年度）"
            f"を含む版がありません（読み込み済みの計画期間: {periods or 'なし'}）"
        )
    return version


def report_data(*, municipality: Municipality, fiscal_year: int) -> ReportData:
    """Every indicator of the fiscal year, grouped by program in the plan's order."""
    version = plan_version_for_year(municipality=municipality, fiscal_year=fiscal_year)
    try:
        rows = fiscal_year_rows(municipality=municipality, fiscal_year=fiscal_year)
    except NoPlanVersion as exc:  # the plan was changed meanwhile
        raise ReportError(str(exc)) from exc
    sections: dict[str, Section] = {}
    for row in rows:
        key = row.program_code or ""
        if key not in sections:
            sections[key] = Section(name=row.program or NO_PROGRAM, code=key)
        sections[key].rows.append(row)
    earlier = sorted({year for row in rows for year in row.previous_years if year < fiscal_year})
    return ReportData(
        municipality=municipality.name,
        plan_name=version.name,
        plan_period=version.period_label,
        fiscal_year=fiscal_year,
        earlier_years=earlier,
        sections=list(sections.values()),
        made_at=timezone.localtime(),
    )


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _text(value: Decimal | None, unit: str = "") -> str:
    if value is None:
        return "—"
    shown = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"
    return f"{shown}{unit}"


def _rate_text(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate:,.1f}%"


# JSON ----------------------------------------------------------------------------------------


def report_json(data: ReportData, progress: Progress = _noop) -> bytes:
    """One object per indicator: program, organization, indicator, fiscal_year, target, actual,
    unit (and the rate, note, codes and the earlier years)."""
    rows = [
        {
            "program": row.program,
            "organization": row.organization,
            "indicator": row.indicator,
            "fiscal_year": row.fiscal_year,
            "target": _number(row.target),
            "actual": _number(row.actual),
            "unit": row.unit,
            "rate": _number(row.rate),
            "note": row.note,
            "program_code": row.program_code,
            "code": row.code,
            "source": row.source,
            "history": {
                str(year): {"target": _number(t), "actual": _number(a)}
                for year, (t, a) in sorted(row.previous_years.items())
            },
        }
        for row in data.rows
    ]
    progress(1, 1, "JSON")
    return (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode()


# Excel ---------------------------------------------------------------------------------------

_FORBIDDEN_IN_SHEET_NAME = str.maketrans({c: "・" for c in "[]:*?/\\"})
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = PatternFill("solid", fgColor="E6E6E6")


def _sheet_name(name: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = name.translate(_FORBIDDEN_IN_SHEET_NAME).strip("'") or "事業"
    candidate = base[:31]
    n = 2
    while candidate.lower() in taken:
        suffix = f"（{n}）"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(candidate.lower())
    return candidate


def _write_cover(ws: Worksheet, data: ReportData, names: list[str]) -> None:
    ws["A1"] = data.title
    ws["A1"].font = Font(size=14, bold=True)
    facts = [
        ("市", data.municipality),
        ("計画", data.plan_name),
        ("計画期間", data.plan_period),
        ("年度", f"{data.label}（{data.fiscal_year}年度）"),
        ("作成日", wareki_date(data.made_at.date())),
    ]
    for i, (label, value) in enumerate(facts, start=3):
        ws.cell(i, 1, label).font = Font(bold=True)
        ws.cell(i, 2, value)
    start = len(facts) + 4
    for col, heading in enumerate(["シート", "事業", "指標数", "目標達成（100%以上）"], start=1):
        cell = ws.cell(start, col, heading)
        cell.fill, cell.border, cell.font = _HEAD, _BOX, Font(bold=True)
    for i, (sheet, section) in enumerate(zip(names, data.sections, strict=True), start=1):
        met = sum(1 for r in section.rows if r.rate is not None and r.rate >= 100)
        targeted = sum(1 for r in section.rows if r.rate is not None)
        values: list[str | int] = [sheet, section.name, len(section.rows), f"{met} / {targeted}"]
        for col, shown in enumerate(values, start=1):
            ws.cell(start + i, col, shown).border = _BOX
        ws.cell(start + i, 1).hyperlink = f"#'{sheet}'!A1"
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 20
    _fit_to_a4(ws, landscape=False)


def _fit_to_a4(ws: Worksheet, *, landscape: bool) -> None:
    """Print on A4, as wide as the page (as many pages down as needed)."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _write_program(ws: Worksheet, data: ReportData, section: Section) -> None:
    ws["A1"] = f"{data.label} 実施状況　{section.name}"
    ws["A1"].font = Font(size=13, bold=True)
    ws["A2"] = f"{data.municipality}　{data.plan_name}（{data.plan_period}）"
    headings = ["指標", "機関", "単位"]
    for year in data.earlier_years:
        label = wareki_fiscal_year(year)
        headings += [f"{label} 目標", f"{label} 実績"]
    headings += [f"{data.label} 目標", f"{data.label} 実績", "達成率（%）", "実績の出典", "備考"]
    head_row = 4
    for col, heading in enumerate(headings, start=1):
        cell = ws.cell(head_row, col, heading)
        cell.fill, cell.border, cell.font = _HEAD, _BOX, Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for i, row in enumerate(section.rows, start=head_row + 1):
        values: list[object] = [row.indicator, row.organization, row.unit]
        for year in data.earlier_years:
            target, actual = row.previous_years.get(year, (None, None))
            values += [_number(target), _number(actual)]
        values += [_number(row.target), _number(row.actual), _number(row.rate)]
        values += [SOURCE_LABELS.get(row.source, row.source), row.note]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(i, col, value)
            cell.border = _BOX
            if isinstance(value, int | float):
                cell.number_format = "#,##0.0" if col == len(values) - 2 else "#,##0.###"
            else:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = head_row + len(section.rows)
    widths = [36, 24, 8] + [11] * (2 * len(data.earlier_years)) + [11, 11, 11, 12, 30]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(head_row + 1, 2)
    ws.print_title_rows = f"{head_row}:{head_row}"
    _fit_to_a4(ws, landscape=True)
    if not section.rows:
        return
    target_col = 4 + 2 * len(data.earlier_years)
    categories = Reference(ws, min_col=1, min_row=head_row + 1, max_row=last)
    height = max(7.5, 1.0 * len(section.rows) + 3)
    anchor_row = last + 3

    bars = BarChart()
    bars.type = "bar"  # horizontal: indicator names are long
    bars.grouping = "clustered"
    bars.title = f"{data.label} 目標と実績"
    bars.add_data(
        Reference(ws, min_col=target_col, max_col=target_col + 1, min_row=head_row, max_row=last),
        titles_from_data=True,
    )
    bars.set_categories(categories)
    bars.y_axis.title = "件数など（指標の単位）"
    bars.x_axis.scaling.orientation = "maxMin"  # the plan's order from the top
    bars.height, bars.width = height, 16
    ws.add_chart(bars, f"A{anchor_row}")

    rates = BarChart()
    rates.type = "bar"
    rates.title = f"{data.label} 達成率（%）"
    rates.add_data(
        Reference(ws, min_col=target_col + 2, min_row=head_row, max_row=last),
        titles_from_data=True,
    )
    rates.set_categories(categories)
    rates.legend = None
    rates.y_axis.scaling.min = 0  # the 100% mark is on the axis even when every rate is low
    rates.y_axis.scaling.max = max([100.0, *(float(r.rate) for r in section.rows if r.rate)])
    rates.x_axis.scaling.orientation = "maxMin"
    rates.height, rates.width = height, 14
    ws.add_chart(rates, f"{get_column_letter(4)}{anchor_row}")


def report_xlsx(data: ReportData, progress: Progress = _noop) -> bytes:
    """The workbook: a cover sheet listing the programs, then one sheet per program."""
    workbook = Workbook()
    cover = workbook.worksheets[0]
    cover.title = "表紙"
    taken = {"表紙"}
    names = [_sheet_name(section.name, taken) for section in data.sections]
    _write_cover(cover, data, names)
    total = len(data.sections) + 1
    for i, (name, section) in enumerate(zip(names, data.sections, strict=True), start=1):
        _write_program(workbook.create_sheet(name), data, section)
        progress(i, total, section.name)
    workbook.properties.title = data.title
    workbook.properties.creator = "tsunagu"
    out = io.BytesIO()
    workbook.save(out)
    progress(total, total, "保存")
    return out.getvalue()


# PDF -----------------------------------------------------------------------------------------

FONT = "noto"


class ReportPdf(FPDF):
    """A4 portrait for the 推進会議: page numbers and the report's name in the footer."""

    def __init__(self, data: ReportData) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.data = data
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_font(FONT, fname=font_path())
        self.set_font(FONT, size=10)
        self.set_title(data.title)
        self.set_creator("tsunagu")

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-13)
        self.set_font(FONT, size=8)
        self.cell(0, 6, f"{self.data.title}　{self.page_no()} / {{nb}}", align="C")


def _pdf_cover(pdf: ReportPdf, data: ReportData) -> None:
    pdf.add_page()
    pdf.ln(55)
    pdf.set_font(FONT, size=13)
    pdf.cell(0, 9, data.municipality, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=20)
    pdf.multi_cell(0, 12, data.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(
        0,
        7,
        f"{data.plan_name}（{data.plan_period}）",
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.cell(0, 7, "推進会議資料", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(20)
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 7, "目次", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    with pdf.table(
        col_widths=(130, 25, 25),
        text_align=("LEFT", "RIGHT", "RIGHT"),
        line_height=6,
        padding=1.2,
        headings_style=FontFace(fill_color=(230, 230, 230)),
    ) as table:
        head = table.row()
        for h in ("事業", "指標数", "目標達成"):
            head.cell(h)
        for section in data.sections:
            met = sum(1 for r in section.rows if r.rate is not None and r.rate >= 100)
            targeted = sum(1 for r in section.rows if r.rate is not None)
            row = table.row()
            row.cell(section.name)
            row.cell(str(len(section.rows)))
            row.cell(f"{met} / {targeted}")
    pdf.ln(6)
    pdf.set_font(FONT, size=9)
    pdf.cell(
        0,
        6,
        f"作成: {wareki_date(data.made_at.date())}　tsunagu（実績は記録から集計）",
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _pdf_section(pdf: ReportPdf, data: ReportData, section: Section) -> None:
    pdf.add_page()
    pdf.set_font(FONT, size=13)
    pdf.set_fill_color(230, 230, 230)
    pdf.multi_cell(0, 8, section.name, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_fill_color(255, 255, 255)
    pdf.ln(2)
    earlier = data.earlier_years[-PDF_EARLIER_YEARS:]
    headings = ["指標（機関）", *(f"{wareki_fiscal_year(y)}\n実績" for y in earlier)]
    headings += [f"{data.label}\n目標", f"{data.label}\n実績", "達成率", "備考"]
    widths = [58, *([16] * len(earlier)), 18, 18, 14]
    widths.append(180 - sum(widths))  # 備考 takes the rest
    pdf.set_font(FONT, size=8)
    with pdf.table(
        col_widths=tuple(widths),
        text_align=("LEFT", *(["RIGHT"] * (len(earlier) + 3)), "LEFT"),
        line_height=4.5,
        padding=1,
        headings_style=FontFace(fill_color=(230, 230, 230)),
        repeat_headings=1,
    ) as table:
        head = table.row()
        for h in headings:
            head.cell(h, align="CENTER")
        for row in section.rows:
            cells = [row.indicator + (f"\n（{row.organization}）" if row.organization else "")]
            cells += [_text(row.previous_years.get(y, (None, None))[1], row.unit) for y in earlier]
            cells += [_text(row.target, row.unit), _text(row.actual, row.unit)]
            cells += [_rate_text(row.rate), row.note or ""]
            line = table.row()
            for value in cells:
                line.cell(value)
    pdf.ln(4)
    if not section.rows:
        return
    png = achievement_chart_png(title=f"{section.name}　{data.label} 目標と実績", rows=section.rows)
    image = io.BytesIO(png)
    height = 180 * _chart_height(len(section.rows)) / CHART_WIDTH
    if pdf.get_y() + height > pdf.h - 20:
        pdf.add_page()
    pdf.image(image, x=15, w=180)


CHART_WIDTH = 7.0  # inches; drawn 180 mm wide on the page


def _chart_height(count: int) -> float:
    return 1.2 + 0.35 * max(count, 1)


def achievement_chart_png(*, title: str, rows: list[IndicatorRow]) -> bytes:
    """Target and actual per indicator as grouped horizontal bars (the dashboard's
    `charts.bar_chart`): a zero actual still shows against its target. An indicator without
    a target is named 目標なし."""
    labels = [
        (row.indicator if len(row.indicator) <= 24 else row.indicator[:23] + "…")
        + ("（目標なし）" if row.target is None else "")
        for row in rows
    ]
    return bar_chart(
        title=title,
        categories=labels,
        series={
            "目標": [float(row.target or 0) for row in rows],
            "実績": [float(row.actual or 0) for row in rows],
        },
        fmt="png",
        horizontal=True,
        value_label="指標の単位（件・回・人など）",
        width=CHART_WIDTH,
        height=_chart_height(len(rows)),
    )


def report_pdf(data: ReportData, progress: Progress = _noop) -> bytes:
    pdf = ReportPdf(data)
    _pdf_cover(pdf, data)
    total = len(data.sections) + 1
    for i, section in enumerate(data.sections, start=1):
        _pdf_section(pdf, data, section)
        progress(i, total, section.name)
    out = bytes(pdf.output())
    progress(total, total, "保存")
    return out


BUILDERS: dict[str, Callable[[ReportData, Progress], bytes]] = {
    "xlsx": report_xlsx,
    "pdf": report_pdf,
    "json": report_json,
}


def report_build(
    *, municipality: Municipality, fiscal_year: int, fmt: str, progress: Progress = _noop
) -> bytes:
    """The report's bytes in one of FORMATS; ReportError (in Japanese) when it cannot be made."""
    if fmt not in BUILDERS:
        raise ReportError(f"形式 {fmt!r} には対応していません（xlsx, pdf, json のいずれか）")
    data = report_data(municipality=municipality, fiscal_year=fiscal_year)
    return BUILDERS[fmt](data, progress)


def report_file_name(*, municipality: Municipality, fiscal_year: int, fmt: str) -> str:
    return f"{municipality.slug}-{fiscal_year}-jisshi-jokyo.{fmt}"


def report_write(
    *,
    municipality: Municipality,
    fiscal_year: int,
    fmt: str,
    output: Path,
    progress: Progress = _noop,
) -> int:
    """Make the report and put it at `output` all at once; the size written. Nothing is left
    at `output` (or beside it) when the report or the writing fails."""
    folder = output.parent
    if output.is_dir():
        raise ReportError(f"出力先 {output} はフォルダです。ファイル名を指定してください")
    if not folder.is_dir():
        raise ReportError(f"出力先のフォルダ {folder} がありません")
    if not os.access(folder, os.W_OK):
        raise ReportError(f"出力先のフォルダ {folder} に書き込む権限がありません")
    content = report_build(
        municipality=municipality, fiscal_year=fiscal_year, fmt=fmt, progress=progress
    )
    try:
        handle, temporary = tempfile.mkstemp(prefix=".report-", dir=folder)
    except OSError as exc:
        raise ReportError(f"出力先 {output} に書き込めません（{exc.strerror}）") from exc
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, output)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ReportError(f"出力先 {output} に書き込めません（{exc.strerror}）") from exc
    return len(content)
