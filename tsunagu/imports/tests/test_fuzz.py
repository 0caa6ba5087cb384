"""Hypothesis fuzzing of the CSV import with arbitrary bytes: any encoding (UTF-8 with and
without BOM, CP932, EUC-JP, UTF-16), NULs, huge fields, broken quotes and 和暦 garbage in the date
columns. Whatever comes in: never an unexpected exception (a 500 on the screen), never a partial
import, and every refusal is a clear Japanese message (the file as a whole, or per line)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.models import Consultation
from tsunagu.imports.csvfile import ImportFileError
from tsunagu.imports.services import import_decode, import_run
from tsunagu.imports.tests.conftest import CONSULTATION_HEADER, PERSON_HEADER
from tsunagu.people.models import Person

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# 和暦 and other date-shaped garbage, beside ordinary values
WAREKI = st.sampled_from(
    [
        "令和8年4月1日",
        "R8.4.1",
        "平成31年5月1日",
        "令和元年13月40日",
        "昭和100年1月1日",
        "明治",
        "H99/99/99",
        "令和８年４月１日",
        "2026/02/30",
        "0000-00-00",
        "9999-12-31 25:61",
        "２０２６年",
        "-1",
        "",
    ]
)
FIELD = st.one_of(
    st.text(max_size=30),
    WAREKI,
    st.sampled_from(['"', '""', 'a"b', '"open', "\x00", "\ufeff", "=SUM(A1)", "\u3000", "髙①ﾊﾝｶｸ"]),
    st.integers(min_value=1, max_value=200_000).map(lambda n: "あ" * n),  # huge fields
)
ENCODING = st.sampled_from(["utf-8", "utf-8-sig", "cp932", "euc_jp", "utf-16", "latin-1"])


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["persons", "consultations"]))
    header = PERSON_HEADER if kind == "persons" else CONSULTATION_HEADER
    width = header.count(",") + 1
    rows = draw(
        st.lists(
            st.lists(FIELD, min_size=0, max_size=width + 2).map(",".join), min_size=0, max_size=5
        )
    )
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join([header, *rows])
    encoding = draw(ENCODING)
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):  # arbitrary bytes spliced in
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(max_size=40)) + data[at:]
    return kind, data


def _counts() -> tuple[int, int]:
    return Person.dangerously_unscoped.count(), Consultation.dangerously_unscoped.count()


def _attempt(user: User, kind: str, data: bytes) -> None:
    before = _counts()
    try:
        text, _ = import_decode(data=data)
        report = import_run(user=user, kind=kind, text=text, channel=AccessLog.Channel.CLI)
    except ImportFileError as exc:
        assert JAPANESE.search(str(exc)), str(exc)
        assert _counts() == before
        return
    if report.errors:
        assert _counts() == before, "a report with errors wrote something"
        assert report.created == report.updated == 0
        for error in report.errors:
            assert JAPANESE.search(error.message), error
    else:
        assert sum(_counts()) - sum(before) == report.created, report


@pytest.mark.django_db
@FUZZ
@given(file=csv_files())
def test_shaped_csv_garbage_never_errors_or_half_imports(
    counselor: User, file: tuple[str, bytes]
) -> None:
    _attempt(counselor, *file)


@pytest.mark.django_db
@FUZZ
@given(kind=st.sampled_from(["persons", "consultations"]), data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_error_or_half_import(
    counselor: User, kind: str, data: bytes
) -> None:
    _attempt(counselor, kind, data)


@pytest.mark.django_db
@FUZZ
@given(
    kind=st.sampled_from(["persons", "consultations"]),
    body=st.text(max_size=400),
    bom=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]),
)
def test_any_text_after_any_bom_never_errors(
    counselor: User, kind: str, body: str, bom: bytes
) -> None:
    header = PERSON_HEADER if kind == "persons" else CONSULTATION_HEADER
    _attempt(counselor, kind, bom + f"{header}\n{body}".encode("utf-8", errors="surrogatepass"))
