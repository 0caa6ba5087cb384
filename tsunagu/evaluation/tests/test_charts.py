"""The chart functions: Japanese text drawn in Noto Sans CJK JP, the same bytes for the same
input, no global matplotlib state changed, empty data drawn as a notice, bad shapes refused."""

import datetime as dt
import re
import sys
import warnings
from collections.abc import Callable

import matplotlib
import pytest
from matplotlib.ft2font import FT2Font

from tsunagu.evaluation import charts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _glyph(char: str) -> str:
    return f"{FT2Font(str(charts.FONT_FILE)).get_char_index(ord(char)):x}"


def _all_charts(fmt: charts.ChartFormat) -> dict[str, Callable[[], bytes]]:
    return {
        "bar": lambda: charts.bar_chart(
            title="月別相談件数",
            categories=["4月", "5月"],
            series={"地域包括支援センター": [3, 1], "社会福祉協議会": [0, 2]},
            fmt=fmt,
        ),
        "stacked": lambda: charts.bar_chart(
            title="状態別",
            categories=["受付", "支援中"],
            series={"件数": [1, 2]},
            stacked=True,
            horizontal=True,
            fmt=fmt,
        ),
        "line": lambda: charts.line_chart(
            title="推移", categories=["4月", "5月"], series={"延べ": [1, 4]}, fmt=fmt
        ),
        "heatmap": lambda: charts.heatmap(
            title="同じ世帯で重なる課題",
            rows=["介護", "ひきこもり"],
            columns=["介護", "ひきこもり"],
            values=[[4, 2], [2, 3]],
            fmt=fmt,
        ),
        "network": lambda: charts.flow_network(
            title="つなぎの流れ",
            nodes=["福祉課", "社会福祉協議会", "子育て支援課"],
            edges=[("福祉課", "社会福祉協議会", 5), ("社会福祉協議会", "福祉課", 1)],
            fmt=fmt,
        ),
        "timeline": lambda: charts.timeline_chart(
            title="工程",
            items=[("会議体の設置", dt.date(2026, 4, 1), dt.date(2026, 9, 30), True)],
            start=dt.date(2026, 4, 1),
            end=dt.date(2027, 3, 31),
            today=dt.date(2026, 6, 1),
            fmt=fmt,
        ),
    }


@pytest.mark.parametrize("name", list(_all_charts("svg")))
def test_japanese_text_is_drawn_in_the_noto_font(name: str) -> None:
    # With svg.fonttype "path" every glyph is a <path id="<font>-<codepoint>">; a glyph missing
    # from the font would fall back to DejaVu and warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = _all_charts("svg")[name]().decode()
    fonts = set(re.findall(r'<path id="([A-Za-z]+-[A-Za-z]+)-[0-9a-f]+"', svg))
    assert fonts == {"NotoSansCJKjp-Regular"}
    # A character of the title is among the glyphs (ids name the glyph's index in the font).
    title_char = {
        "bar": "月",
        "stacked": "状",
        "line": "推",
        "heatmap": "世",
        "network": "流",
        "timeline": "工",
    }[name]
    assert f'id="NotoSansCJKjp-Regular-{_glyph(title_char)}"' in svg


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_same_input_gives_the_same_bytes(fmt: charts.ChartFormat) -> None:
    for make in _all_charts(fmt).values():
        first, second = make(), make()
        assert first == second
        if fmt == "png":
            assert first.startswith(PNG_MAGIC)
        else:
            assert first.lstrip().startswith(b"<?xml")
            assert b"<dc:date>" not in first


def _raw_rc() -> dict[str, object]:
    # dict's own getter: RcParams' would resolve the backend, importing pyplot.
    return {key: dict.__getitem__(matplotlib.rcParams, key) for key in matplotlib.rcParams}


def test_no_global_matplotlib_state_changes() -> None:
    before = _raw_rc()
    for make in _all_charts("png").values():
        make()
    assert _raw_rc() == before
    # pyplot (the global figure registry and backend switch) is never imported by the charts.
    assert "matplotlib.pyplot" not in sys.modules


def test_empty_data_draws_a_notice_not_an_error() -> None:
    svg = charts.bar_chart(title="月別", categories=["4月"], series={"件数": [0]}).decode()
    assert f'id="NotoSansCJKjp-Regular-{_glyph("デ")}"' in svg  # データがありません
    assert charts.flow_network(title="流れ", nodes=[], edges=[]).startswith(b"<?xml")
    assert charts.heatmap(title="重なり", rows=[], columns=[], values=[]).startswith(b"<?xml")
    assert charts.timeline_chart(
        title="工程", items=[], start=dt.date(2026, 4, 1), end=dt.date(2027, 3, 31)
    ).startswith(b"<?xml")


def test_bad_shapes_are_refused_in_japanese() -> None:
    with pytest.raises(ValueError, match="値の数"):
        charts.bar_chart(title="x", categories=["a", "b"], series={"s": [1]})
    with pytest.raises(ValueError, match="一覧にありません"):
        charts.flow_network(title="x", nodes=["a"], edges=[("a", "b", 1)])
    with pytest.raises(ValueError, match="形"):
        charts.heatmap(title="x", rows=["a"], columns=["a"], values=[[1, 2]])
    with pytest.raises(ValueError, match="svg か png"):
        charts.bar_chart(title="x", categories=["a"], series={"s": [1]}, fmt="gif")  # type: ignore[arg-type]
