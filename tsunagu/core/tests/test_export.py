from __future__ import annotations

import pytest

from tsunagu.core.export import spreadsheet_safe


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+81", "'+81"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("山田　太郎", "山田　太郎"),
        ("", ""),
        (None, ""),
        (0.75, "0.75"),
    ],
)
def test_formula_starts_are_neutralised(value: object, expected: str) -> None:
    assert spreadsheet_safe(value) == expected
