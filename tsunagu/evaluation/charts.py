"""Charts drawn on the server with matplotlib: SVG for pages, PNG for the PDF report.

Every function takes plain numbers and labels (no models), draws one figure and returns its
bytes. Nothing global is changed: each figure is a `matplotlib.figure.Figure` drawn by its own
Agg/SVG canvas (pyplot, and with it the global backend and figure registry, is never used), and
the settings live in an `rc_context` for the call only. The Japanese font is the Noto Sans CJK
JP file that the PDFs embed (`noto-cjk-sans-jp-regular`); text is drawn as outlines in SVG, so
a browser needs no font. Output is deterministic: the same input gives the same bytes (fixed
`svg.hashsalt`, no creation date), so each function keeps what it drew in Django's cache under
a hash of its name and input (`_kept`): a kept chart is the chart that input draws.
"""

import datetime as dt
import functools
import hashlib
import io
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Literal

import noto_cjk_sans_jp_regular
from django.core.cache import cache as kept
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import MaxNLocator

type Number = int | float
type ChartFormat = Literal["svg", "png"]

FONT_FILE = Path(noto_cjk_sans_jp_regular.__file__).parent / "NotoSansCJKjp-Regular.otf"

# A palette readable by colour-blind readers (Okabe–Ito), in a fixed order.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
EMPTY_TEXT = "データがありません"
PNG_DPI = 150
# How long a drawn chart is kept (seconds): only its input decides it, so this bounds memory only.
CHART_TTL = 24 * 3600


def _kept[**P](draw: Callable[P, bytes]) -> Callable[P, bytes]:
    """`draw`, with its bytes kept under a hash of its name and arguments (their repr: plain
    numbers, labels and dates)."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> bytes:
        given = repr((draw.__name__, args, sorted(kwargs.items())))
        key = "evaluation:chart:" + hashlib.sha256(given.encode()).hexdigest()
        found = kept.get(key)
        if isinstance(found, bytes):
            return found
        drawn = draw(*args, **kwargs)
        kept.set(key, drawn, CHART_TTL)
        return drawn

    return wrapper


@cache
def font_name() -> str:
    """Register the Noto Sans CJK JP file with matplotlib's font list (once) and return its
    family name. Registering adds a font; it changes no default."""
    fontManager.addfont(str(FONT_FILE))
    return FontProperties(fname=str(FONT_FILE)).get_name()


@contextmanager
def _figure(width: float, height: float) -> Iterator[Figure]:
    settings = {
        "font.family": [font_name()],
        "font.size": 10,
        "axes.unicode_minus": False,
        "svg.hashsalt": "tsunagu",
        "svg.fonttype": "path",
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with rc_context(settings):  # type: ignore[arg-type]  # the stubs want literal keys
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(figure)
        yield figure


def _render(figure: Figure, fmt: ChartFormat) -> bytes:
    buffer = io.BytesIO()
    if fmt == "svg":
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    elif fmt == "png":
        figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    else:
        raise ValueError(f"図の形式は svg か png です: {fmt}")
    return buffer.getvalue()


def _empty(ax: Axes) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", transform=ax.transAxes)


def _has_data(series: Mapping[str, Sequence[Number]]) -> bool:
    return any(value for values in series.values() for value in values)


def _check_lengths(categories: Sequence[str], series: Mapping[str, Sequence[Number]]) -> None:
    for name, values in series.items():
        if len(values) != len(categories):
            raise ValueError(
                f"系列「{name}」の値の数 ({len(values)}) が項目の数 ({len(categories)}) と違います"
            )


@_kept
def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    fmt: ChartFormat = "svg",
    stacked: bool = False,
    horizontal: bool = False,
    value_label: str = "件数",
    width: float = 8.0,
    height: float = 4.0,
) -> bytes:
    """Bars per category, one colour per series (grouped side by side, or stacked)."""
    _check_lengths(categories, series)
    with _figure(width, height) as figure:
        ax = figure.add_subplot()
        ax.set_title(title)
        if not categories or not _has_data(series):
            _empty(ax)
            return _render(figure, fmt)
        positions = list(range(len(categories)))
        count = max(len(series), 1)
        slot = 0.8 / (1 if stacked else count)
        bottoms = [0.0] * len(categories)
        for index, (name, values) in enumerate(series.items()):
            colour = PALETTE[index % len(PALETTE)]
            where = positions if stacked else [p - 0.4 + slot * (index + 0.5) for p in positions]
            if horizontal:
                ax.barh(where, values, height=slot, left=bottoms, label=name, color=colour)
            else:
                ax.bar(where, values, width=slot, bottom=bottoms, label=name, color=colour)
            if stacked:
                bottoms = [b + float(v) for b, v in zip(bottoms, values, strict=True)]
        if horizontal:
            ax.set_yticks(positions, list(categories))
            ax.invert_yaxis()
            ax.set_xlabel(value_label)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            ax.set_xticks(positions, list(categories))
            ax.set_ylabel(value_label)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            if len(categories) > 6:
                ax.tick_params(axis="x", labelrotation=45)
                for label in ax.get_xticklabels():
                    label.set_horizontalalignment("right")
        if len(series) > 1:
            ax.legend(frameon=False, fontsize=8)
        return _render(figure, fmt)


@_kept
def line_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    fmt: ChartFormat = "svg",
    value_label: str = "件数",
    width: float = 8.0,
    height: float = 4.0,
) -> bytes:
    """One line per series over ordered categories (months, years), with markers."""
    _check_lengths(categories, series)
    with _figure(width, height) as figure:
        ax = figure.add_subplot()
        ax.set_title(title)
        if not categories or not series:
            _empty(ax)
            return _render(figure, fmt)
        positions = list(range(len(categories)))
        for index, (name, values) in enumerate(series.items()):
            ax.plot(
                positions,
                values,
                label=name,
                color=PALETTE[index % len(PALETTE)],
                marker="os^Dv<>p"[index % 8],
                linewidth=1.5,
            )
        ax.set_xticks(positions, list(categories))
        ax.set_ylabel(value_label)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if len(series) > 1:
            ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _render(figure, fmt)


@_kept
def heatmap(
    *,
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[Number]],
    fmt: ChartFormat = "svg",
    width: float = 7.0,
    height: float = 6.0,
) -> bytes:
    """A table of numbers coloured by size, each cell labelled with its number."""
    if len(values) != len(rows) or any(len(row) != len(columns) for row in values):
        raise ValueError("ヒートマップの値の形が行・列の数と合いません")
    with _figure(width, height) as figure:
        ax = figure.add_subplot()
        ax.set_title(title)
        if not rows or not columns:
            _empty(ax)
            return _render(figure, fmt)
        grid = [[float(v) for v in row] for row in values]
        top = max((v for row in grid for v in row), default=0.0) or 1.0
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=top, aspect="auto")
        ax.set_xticks(range(len(columns)), list(columns), rotation=45, ha="right")
        ax.set_yticks(range(len(rows)), list(rows))
        ax.spines[:].set_visible(False)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                ax.text(
                    c,
                    r,
                    f"{value:g}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > top * 0.6 else "black",
                )
        return _render(figure, fmt)


@_kept
def flow_network(
    *,
    title: str,
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str, Number]],
    fmt: ChartFormat = "svg",
    width: float = 8.0,
    height: float = 8.0,
) -> bytes:
    """Organizations on a circle, an arrow from each source to each destination whose width
    grows with the count, labelled with the count. Nodes with no flow are still drawn, so an
    organization nobody refers to (縦割り) shows as an island."""
    known = set(nodes)
    for source, target, _count in edges:
        if source not in known or target not in known:
            raise ValueError(f"流れの端 ({source} → {target}) が一覧にありません")
    with _figure(width, height) as figure:
        ax = figure.add_subplot()
        ax.set_title(title)
        ax.set_axis_off()
        if not nodes:
            _empty(ax)
            return _render(figure, fmt)
        ax.set_aspect("equal")
        ax.set_xlim(-1.6, 1.6)
        ax.set_ylim(-1.45, 1.45)
        count = len(nodes)
        place = {
            name: (
                math.cos(math.pi / 2 - 2 * math.pi * i / count),
                math.sin(math.pi / 2 - 2 * math.pi * i / count),
            )
            for i, name in enumerate(nodes)
        }
        top = max((float(c) for _s, _t, c in edges), default=0.0) or 1.0
        pairs = {(s, t) for s, t, c in edges if c}
        for source, target, flow in edges:
            if not flow or source == target:
                continue
            (x1, y1), (x2, y2) = place[source], place[target]
            # Bend both directions of a pair the same way so A→B and B→A do not overlap.
            bend = 0.18 if (target, source) in pairs else 0.08
            arrow = FancyArrowPatch(
                (x1, y1),
                (x2, y2),
                connectionstyle=f"arc3,rad={bend}",
                arrowstyle="-|>",
                mutation_scale=10 + 8 * float(flow) / top,
                linewidth=0.8 + 5 * float(flow) / top,
                color=PALETTE[0],
                alpha=0.75,
                shrinkA=16,
                shrinkB=16,
            )
            ax.add_patch(arrow)
            # The count sits beside the arrow's middle, on the side it bends to.
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            dx, dy = x2 - x1, y2 - y1
            ax.text(
                mx + bend * dy * 0.6,
                my - bend * dx * 0.6,
                f"{float(flow):g}",
                fontsize=8,
                ha="center",
                va="center",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        involved = {s for s, t, c in edges if c and s != t} | {
            t for s, t, c in edges if c and s != t
        }
        for name, (x, y) in place.items():
            island = name not in involved
            ax.scatter(
                [x],
                [y],
                s=260,
                color="white" if island else PALETTE[1],
                edgecolors=PALETTE[5] if island else "black",
                linewidths=1.5,
                zorder=3,
            )
            ax.text(
                x * 1.2,
                y * 1.2,
                name,
                ha="left" if x > 0.2 else "right" if x < -0.2 else "center",
                va="center",
                fontsize=8,
                zorder=4,
            )
        return _render(figure, fmt)


@_kept
def timeline_chart(
    *,
    title: str,
    items: Sequence[tuple[str, dt.date, dt.date, bool]],
    start: dt.date,
    end: dt.date,
    today: dt.date | None = None,
    bar_labels: Sequence[str] | None = None,
    fmt: ChartFormat = "svg",
    width: float = 8.0,
) -> bytes:
    """A bar per item (label, first day, last day, done) between start and end, with a line at
    today: a plan's milestones against the calendar. Items with the same label share a row (a
    program's stage in each year); done items are drawn in a second colour; `bar_labels`, one
    per item, are written on the bars."""
    if bar_labels is not None and len(bar_labels) != len(items):
        raise ValueError("棒の見出しの数が項目の数と違います")
    rows = list(dict.fromkeys(label for label, *_ in items))
    height = max(2.5, 0.35 * len(rows) + 1.5)
    with _figure(width, height) as figure:
        ax = figure.add_subplot()
        ax.set_title(title)
        if not items:
            _empty(ax)
            return _render(figure, fmt)
        origin = start.toordinal()
        for index, (label, first, last, done) in enumerate(items):
            left = max(first, start).toordinal() - origin
            right = min(last, end).toordinal() - origin + 1
            row = rows.index(label)
            ax.barh(
                row,
                max(right - left, 1),
                left=left,
                height=0.6,
                color=PALETTE[2] if done else PALETTE[0],
                edgecolor="white",
            )
            if bar_labels is not None and bar_labels[index]:
                ax.text(
                    (left + right) / 2,
                    row,
                    bar_labels[index],
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white",
                )
        ax.set_yticks(range(len(rows)), rows)
        ax.invert_yaxis()
        ax.set_xlim(0, end.toordinal() - origin + 1)
        ticks: list[int] = []
        labels: list[str] = []
        span_years = end.year - start.year > 2
        month = dt.date(start.year, start.month, 1)
        while month <= end:
            if month >= start and (not span_years or month.month == start.month):
                ticks.append(month.toordinal() - origin)
                labels.append(
                    f"{month.year}年{month.month}月" if span_years else f"{month.month}月"
                )
            month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        ax.set_xticks(ticks, labels)
        if today is not None and start <= today <= end:
            ax.axvline(today.toordinal() - origin, color=PALETTE[5], linestyle="--", linewidth=1)
            ax.text(
                today.toordinal() - origin + 2,
                0.99,
                "今日",
                color=PALETTE[5],
                ha="left",
                va="top",
                fontsize=8,
                transform=ax.get_xaxis_transform(),
            )
        return _render(figure, fmt)
