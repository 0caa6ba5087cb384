"""The annual report's three formats against the fiscal-year rows, and its bad inputs."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from tsunagu.cityplan.models import Indicator, IndicatorValue
from tsunagu.evaluation.actuals import fiscal_year_rows
from tsunagu.evaluation.report import (
    NO_PROGRAM,
    ReportError,
    report_build,
    report_data,
    report_write,
)
from tsunagu.organizations.models import Municipality

pytestmark = pytest.mark.django_db


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def test_json_has_one_row_per_indicator_as_the_fiscal_year_rows(city: Municipality) -> None:
    rows = fiscal_year_rows(municipality=city, fiscal_year=2026)
    assert rows
    out = json.loads(report_build(municipality=city, fiscal_year=2026, fmt="json"))
    assert len(out) == len(rows)
    for got, row in zip(out, rows, strict=True):
        assert got["program"] == row.program
        assert got["organization"] == row.organization
        assert got["indicator"] == row.indicator
        assert got["fiscal_year"] == 2026
        assert got["unit"] == row.unit
        assert _number(row.target) == (None if got["target"] is None else float(got["target"]))
        assert _number(row.actual) == (None if got["actual"] is None else float(got["actual"]))
    first = next(r for r in out if r["indicator"] == "相談件数（新規）")
    assert first["target"] == 2000
    assert first["history"]["2025"] == {"target": None, "actual": 2300}


def test_a_year_without_records_shows_zeros(city: Municipality) -> None:
    """An indicator counted from the records shows 0 in a year (begun) with no records."""
    Indicator.objects.filter(municipality=city).update(computation="consultations-total")
    out = json.loads(report_build(municipality=city, fiscal_year=2026, fmt="json"))
    assert out and all(row["actual"] == 0 for row in out)
    assert {row["source"] for row in out} == {"computed"}


def test_xlsx_has_a_sheet_per_program_in_the_table_shape_with_excel_charts(
    city: Municipality,
) -> None:
    data = report_data(municipality=city, fiscal_year=2026)
    book = load_workbook(io.BytesIO(report_build(municipality=city, fiscal_year=2026, fmt="xlsx")))
    assert book.sheetnames[0] == "表紙"
    assert len(book.sheetnames) == 1 + len(data.sections)
    rows = fiscal_year_rows(municipality=city, fiscal_year=2026)
    seen = 0
    for name, section in zip(book.sheetnames[1:], data.sections, strict=True):
        ws = book[name]
        assert section.name in str(ws["A1"].value)
        head = [c.value for c in ws[4]]
        assert head[:3] == ["指標", "機関", "単位"]
        assert head[-5:] == [
            "令和8年度 目標",
            "令和8年度 実績",
            "達成率（%）",
            "実績の出典",
            "備考",
        ]
        assert "令和7年度 実績" in head  # an earlier year as columns
        for i, row in enumerate(section.rows, start=5):
            values = [c.value for c in ws[i]]
            assert values[0] == row.indicator
            assert values[-5] == _number(row.target)
            assert values[-4] == _number(row.actual)
            assert values[-3] == _number(row.rate)
            seen += 1
        assert len(ws._charts) == 2  # 目標と実績, 達成率: native Excel bar charts
    assert seen == len(rows)


def test_pdf_is_a4_with_the_font_embedded_and_a_page_per_program(city: Municipality) -> None:
    data = report_data(municipality=city, fiscal_year=2026)
    pdf = report_build(municipality=city, fiscal_year=2026, fmt="pdf")
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile" in pdf
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf  # A4 portrait
    assert pdf.count(b"/Type /Page\n") >= 1 + len(data.sections)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) not installed")
def test_pdf_text_names_every_program_and_indicator(city: Municipality, tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(report_build(municipality=city, fiscal_year=2026, fmt="pdf"))
    pdftotext = shutil.which("pdftotext") or ""
    text = subprocess.run(  # noqa: S603 (a fixed tool on a file the test wrote)
        [pdftotext, "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "令和8年度 重層的支援体制整備事業 実施状況報告" in text
    for row in fiscal_year_rows(municipality=city, fiscal_year=2026):
        assert (row.program or NO_PROGRAM)[:8] in text
        assert row.indicator[:8] in text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_renders_the_workbook(city: Municipality, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(report_build(municipality=city, fiscal_year=2026, fmt="xlsx"))
    soffice = shutil.which("soffice") or ""
    subprocess.run(  # noqa: S603 (a fixed tool on a file the test wrote)
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        capture_output=True, check=True, timeout=240,
    )  # fmt: skip
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")


def test_a_fiscal_year_without_a_plan_version_is_refused(city: Municipality) -> None:
    with pytest.raises(ReportError, match="令和12年度（2030年度）を含む版がありません"):
        report_build(municipality=city, fiscal_year=2030, fmt="pdf")


def test_an_unknown_format_is_refused(city: Municipality) -> None:
    with pytest.raises(ReportError, match="形式"):
        report_build(municipality=city, fiscal_year=2026, fmt="docx")


def test_an_indicator_without_a_program_has_its_own_section(city: Municipality) -> None:
    indicator = Indicator.objects.filter(municipality=city, plan_version__start_fiscal_year=2026)[0]
    Indicator.objects.filter(pk=indicator.pk).update(program=None)
    names = [s.name for s in report_data(municipality=city, fiscal_year=2026).sections]
    assert NO_PROGRAM in names


def test_the_command_writes_each_format(city: Municipality, tmp_path: Path) -> None:
    for fmt in ("json", "xlsx", "pdf"):
        out = tmp_path / f"report.{fmt}"
        stdout = io.StringIO()
        call_command(
            "report", "--fiscal-year", "令和8", "--format", fmt, "--output", str(out),
            "--city", city.slug, stdout=stdout,
        )  # fmt: skip
        assert out.stat().st_size > 0
        assert "書き出しました" in stdout.getvalue()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_command_takes_the_only_city_without_city(city: Municipality, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    call_command("report", "--fiscal-year", "2026", "--format", "json", "--output", str(out))
    assert json.loads(out.read_text())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fiscal-year", "2030"], "を含む版がありません"),
        (["--fiscal-year", "来年"], "年度として読めません"),
        (["--fiscal-year", "2026", "--city", "nowhere"], "市 'nowhere' は読み込まれていません"),
    ],
)
def test_the_command_refuses_bad_input_and_leaves_no_file(
    city: Municipality, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "r.pdf"
    with pytest.raises(CommandError, match=message):
        call_command("report", "--format", "pdf", "--output", str(out), *args)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_is_refused_and_leaves_no_file(
    city: Municipality, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match=r"フォルダ .* がありません"):
        call_command(
            "report", "--fiscal-year", "2026", "--format", "pdf",
            "--output", str(tmp_path / "missing" / "r.pdf"),
        )  # fmt: skip
    # a folder nobody may create files in, even root (the tests may run as root)
    with pytest.raises(ReportError, match="書き込"):
        report_write(municipality=city, fiscal_year=2026, fmt="json", output=Path("/proc/r.json"))
    with pytest.raises(CommandError, match="フォルダです"):
        call_command(
            "report", "--fiscal-year", "2026", "--format", "pdf", "--output", str(tmp_path)
        )


def test_a_failure_while_writing_removes_the_temporary_file(
    city: Municipality, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tsunagu.evaluation.report.os.replace", refuse)
    with pytest.raises(ReportError, match="書き込めません"):
        report_write(municipality=city, fiscal_year=2026, fmt="json", output=tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []


def test_several_cities_need_city(
    city: Municipality, other_city: Municipality, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="--city で指定してください"):
        call_command(
            "report", "--fiscal-year", "2026", "--format", "json",
            "--output", str(tmp_path / "r.json"),
        )  # fmt: skip
    assert IndicatorValue.objects.exists()
