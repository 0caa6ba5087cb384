"""The annual report's chart, drawn with matplotlib (the project's one library for
server-drawn charts) in the Noto Sans CJK JP font the PDFs embed.

This is the report's own drawing until the dashboard's `evaluation/charts.py` offers a chart
of targets and actuals; the report calls only `achievement_chart_png`, so the dashboard's
function can take its place without touching `report.py`.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot

import noto_cjk_sans_jp_regular
from matplotlib import font_manager
from matplotlib.figure import Figure


@cache
def _font_family() -> str:
    path = Path(noto_cjk_sans_jp_regular.__file__).parent / "NotoSansCJKjp-Regular.otf"
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def achievement_chart_png(
    *,
    title: str,
    labels: Sequence[str],
    rates: Sequence[Decimal | None],
    width_mm: float = 180,
) -> bytes:
    """Horizontal bars of 達成率 (実績 ÷ 目標, %) per indicator with the 100% line; an
    indicator without a target is drawn as an empty row marked 目標なし. PNG at 200 dpi."""
    family = _font_family()
    count = max(len(labels), 1)
    height_in = 0.9 + 0.38 * count
    fig = Figure(figsize=(width_mm / 25.4, height_in), dpi=200)
    ax = fig.add_subplot()
    values = [float(r) if r is not None else 0.0 for r in rates]
    positions = list(range(len(labels)))[::-1]
    bars = ax.barh(positions, values, color="#3b6ea5", height=0.6)
    ax.axvline(100, color="#c0392b", linewidth=1, linestyle="--")
    wrapped = ["\n".join(textwrap.wrap(label, 22)) or "—" for label in labels]
    ax.set_yticks(positions, wrapped, fontfamily=family, fontsize=7)
    top = max([100.0, *values]) * 1.18
    ax.set_xlim(0, top)
    for bar, rate in zip(bars, rates, strict=True):
        text = "目標なし" if rate is None else f"{rate:,.1f}%"
        ax.text(
            bar.get_width() + top * 0.01,
            bar.get_y() + bar.get_height() / 2,
            text,
            va="center",
            fontsize=7,
            fontfamily=family,
        )
    ax.set_xlabel("達成率（%）　破線は目標（100%）", fontfamily=family, fontsize=8)
    ax.set_title(title, fontfamily=family, fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
