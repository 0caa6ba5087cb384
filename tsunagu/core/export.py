"""Writing files staff open in a spreadsheet."""

from __future__ import annotations

# A cell starting with one of these is a formula to Excel or LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell value that a spreadsheet shows as text: a leading apostrophe when the text would
    start a formula (=, +, -, @, tab, CR). Other values are returned as their text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
