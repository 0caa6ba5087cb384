"""Reading the agencies' CSV files: encoding, header and the shape of each row.

Pure Python, no database: `services.py` checks the fields and writes. Every problem is reported
in Japanese with the line it is on (`行 N: 列名: メッセージ`), and no file, however broken,
raises anything but `ImportFileError`.

Line numbers are physical lines of the file, counting the header as line 1, so a user can find
the row in a text editor; a quoted cell spanning several lines reports the line it starts on.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from tsunagu.core.text import clean_text
from tsunagu.imports.models import ImportKind

PERSON_COLUMNS = (
    "external_id",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "sex",
    "postal_code",
    "address",
    "phone",
)
CONSULTATION_COLUMNS = (
    "external_id",
    "person_external_id",
    "anonymous_label",
    "received_at",
    "channel",
    "requester",
    "requester_detail",
    "main_topic",
    "topics",
    "content",
    "response",
    "is_new",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    ImportKind.PERSONS: PERSON_COLUMNS,
    ImportKind.CONSULTATIONS: CONSULTATION_COLUMNS,
}
# The Japanese name of each column: shown with the code everywhere, and accepted as the header
# of a file written with Japanese headers (with the other names agencies' systems use).
COLUMN_LABELS: dict[str, str] = {
    "external_id": "機関システムのID",
    "family_name": "姓",
    "given_name": "名",
    "family_name_kana": "せい",
    "given_name_kana": "めい",
    "birth_date": "生年月日",
    "sex": "性別",
    "postal_code": "郵便番号",
    "address": "住所",
    "phone": "電話番号",
    "person_external_id": "本人のID",
    "anonymous_label": "匿名・未特定の呼び名",
    "received_at": "受付日時",
    "channel": "相談方法",
    "requester": "相談者",
    "requester_detail": "相談者の詳細",
    "main_topic": "主訴",
    "topics": "相談の内容",
    "content": "相談内容",
    "response": "対応",
    "is_new": "新規・継続",
}
_OTHER_NAMES: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "番号", "管理番号", "相談番号", "本人番号"),
    "family_name_kana": ("姓(ふりがな)", "姓(カナ)", "せい(ふりがな)", "セイ", "姓カナ"),
    "given_name_kana": ("名(ふりがな)", "名(カナ)", "めい(ふりがな)", "メイ", "名カナ"),
    "phone": ("電話",),
    "person_external_id": ("本人id", "本人番号"),
    "anonymous_label": ("呼び名",),
    "requester": ("相談者(誰から)",),
    "is_new": ("新規/継続", "新規継続"),
}


def _header_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).replace(" ", "").replace("　", "").lower()


def column_code(name: str, kind: str) -> str:
    """The column a header names: its code (birth_date) or its Japanese name (生年月日)."""
    key = _header_key(name)
    for code in COLUMNS[kind]:
        names = (code, COLUMN_LABELS.get(code, ""), *_OTHER_NAMES.get(code, ()))
        if key in {_header_key(n) for n in names if n}:
            return code
    return name


def column_label(code: str) -> str:
    """birth_date（生年月日）: how a column is named to staff."""
    label = COLUMN_LABELS.get(code)
    return f"{code}（{label}）" if label else code


REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    ImportKind.PERSONS: ("external_id",),
    ImportKind.CONSULTATIONS: (
        "external_id",
        "received_at",
        "channel",
        "requester",
        "main_topic",
        "content",
        "response",
    ),
}

# C0 and C1 control characters other than tab and line ends, and the private-use characters
# Python's CP932 codec gives the bytes 0xA0 and 0xFD-0xFF: none is in a real text file.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\uf8f0-\uf8f3]")
_HIRAGANA = re.compile("[\u3041-\u3096]")
# Checking stops after this many errors: a file with more is the wrong file, or needs fixing at
# its source, and a longer list helps nobody (and would only cost memory).
MAX_ERRORS = 1000
_SAVE_AS = "Excel では「CSV UTF-8（コンマ区切り）」か「CSV（コンマ区切り）」で保存してください"


class ImportFileError(Exception):
    """The file as a whole cannot be imported (size, encoding, header, no rows)."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # "" when the problem is the row as a whole
    message: str

    @property
    def column_label(self) -> str:
        """birth_date（生年月日）, for the staff's screen."""
        return column_label(self.column) if self.column else ""

    def __str__(self) -> str:
        if self.column:
            return f"行 {self.line}: {self.column}: {self.message}"
        return f"行 {self.line}: {self.message}"

    def as_json(self) -> dict[str, str | int]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class DecodedFile:
    text: str
    encoding: str  # as shown to users


def size_error(size: int) -> str | None:
    """The message for a file over `settings.MAX_IMPORT_BYTES`, checked before reading it."""
    limit: int = settings.MAX_IMPORT_BYTES
    if size <= limit:
        return None
    return (
        f"ファイルが大きすぎます（{size / 1024 / 1024:.1f} MB）。"
        f"{limit // 1024 // 1024} MB までに分けてください"
    )


def decode(data: bytes) -> DecodedFile:
    """UTF-8 (with or without BOM) or CP932, the Shift_JIS Japanese Excel writes."""
    problem = size_error(len(data))
    if problem:
        raise ImportFileError(problem)
    if not data.strip():
        raise ImportFileError("ファイルが空です")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ImportFileError(f"Excel のブック形式のファイルは読めません。{_SAVE_AS}")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(f"UTF-16（Unicode テキスト）のファイルは読めません。{_SAVE_AS}")
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = _decode_or_none(data[len(codecs.BOM_UTF8) :], "utf-8"), "UTF-8（BOM付き）"
    else:
        text, encoding = _decode_or_none(data, "utf-8"), "UTF-8"
        if text is None:
            text, encoding = _decode_or_none(data, "cp932"), "Shift_JIS（CP932）"
            euc = _decode_or_none(data, "euc_jp") if text is not None else None
            if euc is not None and _HIRAGANA.search(euc):
                raise ImportFileError(
                    f"文字コードが EUC-JP のようです。UTF-8 か Shift_JIS で保存し直してください"
                    f"（{_SAVE_AS}）"
                )
    if text is None:
        raise ImportFileError(
            "文字コードを判別できません。UTF-8 か Shift_JIS（CP932）で保存してください"
            f"（{_SAVE_AS}）"
        )
    if _NOT_TEXT.search(text):
        raise ImportFileError(
            "テキストの CSV ファイルではないようです（文字として読めないデータが含まれています）"
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ImportFileError("ファイルが空です")
    return DecodedFile(text=text, encoding=encoding)


def _decode_or_none(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


class _Lines:
    """The physical lines of a text from an offset, remembering how far the reader has got."""

    def __init__(self, text: str, offset: int, lines: int) -> None:
        self.text = text
        self.offset = offset
        self.lines = lines  # lines consumed so far

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.offset >= len(self.text):
            raise StopIteration
        end = self.text.find("\n", self.offset)
        end = len(self.text) if end < 0 else end + 1
        line = self.text[self.offset : end]
        self.offset = end
        self.lines += 1
        return line


@dataclass(frozen=True)
class Record:
    line: int
    end_line: int
    cells: list[str]


@dataclass(frozen=True)
class Position:
    """Where reading stopped: a character offset and the number of lines before it."""

    offset: int
    lines: int


def _csv_message(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"項目が長すぎます（1項目 {csv.field_size_limit():,} 文字まで）"
    return f"CSV の形式が正しくありません（{exc}）"


class RecordReader:
    """The non-blank records from `start`; a CSV syntax error ends them (it is yielded last).

    A row of empty cells (as Excel writes for an emptied row) counts as blank. `position` is
    where the next record starts, so the web can check a file a chunk at a time.
    """

    def __init__(self, text: str, start: Position) -> None:
        self._text = text
        self._source = _Lines(text, start.offset, start.lines)
        self._reader = csv.reader(self._source)
        self.position = start

    def __iter__(self) -> Iterator[Record | RowError]:
        while True:
            first_line = self._source.lines + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                self.position = Position(len(self._text), self._source.lines)
                return
            except csv.Error as exc:
                self.position = Position(len(self._text), self._source.lines)
                yield RowError(first_line, "", _csv_message(exc))
                return
            self.position = Position(self._source.offset, self._source.lines)
            if any(cell.strip() for cell in cells):
                yield Record(line=first_line, end_line=self._source.lines, cells=cells)

    @property
    def finished(self) -> bool:
        return self.position.offset >= len(self._text)


@dataclass(frozen=True)
class Header:
    kind: str
    columns: list[str]
    end: Position

    def values(self, record: Record) -> dict[str, str] | RowError:
        """The row as {column: stripped value}, or what is wrong with its shape."""
        expected = len(self.columns)
        cells = record.cells
        if len(cells) > expected and not any(c.strip() for c in cells[expected:]):
            cells = cells[:expected]
        if len(cells) != expected:
            hint = ""
            if record.end_line > record.line:
                hint = (
                    f"。行 {record.line}〜{record.end_line} が1行として読まれました"
                    '（引用符 " の閉じ忘れ？）'
                )
            return RowError(
                record.line,
                "",
                f"列の数が見出しと違います（見出し {expected} 列、この行 {len(cells)} 列）{hint}",
            )
        return {c: v.strip() for c, v in zip(self.columns, cells, strict=True)}


def _names(names: list[str], limit: int = 10) -> str:
    shown = [n if len(n) <= 40 else n[:40] + "…" for n in names[:limit]]
    more = f" ほか {len(names) - limit} 列" if len(names) > limit else ""
    return ", ".join(shown) + more


def header_read(text: str, kind: str) -> Header:
    """The header row: the first non-blank record. Unknown, repeated or missing columns are
    errors of the whole file."""
    reader = RecordReader(text, Position(0, 0))
    first = next(iter(reader), None)
    if first is None:
        raise ImportFileError("ファイルが空です")
    if isinstance(first, RowError):
        raise ImportFileError(f"{first}（見出しの行）")
    columns = [column_code(c.strip().lstrip("\ufeff").strip(), kind).lower() for c in first.cells]
    while columns and not columns[-1]:
        columns.pop()
    known = COLUMNS[kind]
    problems = []
    if "" in columns:
        problems.append(f"見出しが空の列があります（{columns.index('') + 1} 列目）")
    repeated = [c for c, n in Counter(columns).items() if n > 1 and c]
    if repeated:
        problems.append(f"同じ見出しの列が複数あります: {_names(repeated)}")
    unknown = [c for c in dict.fromkeys(columns) if c and c not in known]
    if unknown:
        usable = "、".join(column_label(c) for c in known)
        problems.append(f"不明な列があります: {_names(unknown)}（使える列: {usable}）")
        other = next(k for k in COLUMNS if k != kind)
        if set(columns) <= set(COLUMNS[other]):
            problems.append(f"{ImportKind(other).label}のファイルではありませんか")
    missing = [c for c in REQUIRED_COLUMNS[kind] if c not in columns]
    if missing:
        problems.append(f"必須の列がありません: {'、'.join(column_label(c) for c in missing)}")
    if problems:
        raise ImportFileError(f"行 {first.line}: 見出し: {'。'.join(problems)}")
    return Header(kind=kind, columns=columns, end=reader.position)


@dataclass(frozen=True)
class Scan:
    header: Header
    total_rows: int
    errors: list[RowError]

    @property
    def stopped(self) -> bool:
        """Reading stopped at `MAX_ERRORS` errors (so `total_rows` is not the whole file)."""
        return len(self.errors) >= MAX_ERRORS


def clean_id(value: str) -> str:
    return clean_text(value)


def scan(text: str, kind: str) -> Scan:
    """The header and the shape of every row: column counts, CSV syntax, and an external_id
    given twice in the file. Field values are checked later, a chunk at a time."""
    header = header_read(text, kind)
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    total = 0
    for item in RecordReader(text, header.end):
        if len(errors) >= MAX_ERRORS:
            break
        if isinstance(item, RowError):
            errors.append(item)
            continue
        total += 1
        values = header.values(item)
        if isinstance(values, RowError):
            errors.append(values)
            continue
        external_id = clean_id(values["external_id"])
        if not external_id:
            continue
        if external_id in seen:
            errors.append(
                RowError(
                    item.line,
                    "external_id",
                    f"同じ external_id の行がこのファイルの行 {seen[external_id]} にもあります",
                )
            )
        else:
            seen[external_id] = item.line
    if total == 0 and not errors:
        raise ImportFileError("データの行がありません（見出しの行だけです）")
    return Scan(header=header, total_rows=total, errors=errors)
