"""The dashboard's charts, and its counting off the request.

On a big city the figures take seconds of queries and the charts seconds of drawing, so a page
never counts: `dashboard_figures` returns the figures kept in the cache or hands the counting to
the task worker (once, however many pages ask) and says how far it is; the task counts the
figures and draws every chart (`dashboard_charts`), which the cache then keeps for the page.
Both sides draw through `dashboard_charts`, so the page finds exactly what the task drew.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.tasks import TaskResultStatus, task

from tsunagu.core.fiscal import fiscal_year_bounds
from tsunagu.core.lost_tasks import task_recovery
from tsunagu.core.tasks import STATE_LABELS, task_enqueue, task_state
from tsunagu.evaluation import charts
from tsunagu.evaluation import dashboard as d
from tsunagu.organizations.models import Municipality

# The stacked chart of consultations shows this many organizations (the busiest of the year)
# and the others as one band; the flow chart shows this many flows (the largest). Their tables
# below the charts list every organization and the largest flows (`dashboard_views.FLOWS_LISTED`;
# the CSV every flow).
CHART_ORGANIZATIONS = 10
CHART_FLOWS = 40
# How long a started counting is waited for before another page may start it again (seconds).
COUNTING_TTL = 15 * 60
FAILED = STATE_LABELS[TaskResultStatus.FAILED]
WAITING = STATE_LABELS[TaskResultStatus.READY]
DONE = STATE_LABELS[TaskResultStatus.SUCCESSFUL]


@dataclass(frozen=True)
class Chart:
    """An SVG chart the page shows as an <img> of `dashboard_views.dashboard_chart`: its
    `key` is the hash of its bytes, which the cache keeps under the city's id (no city opens
    another's); with its text alternative."""

    key: str
    alt: str


@dataclass(frozen=True)
class Drawn:
    """The charts drawn from the figures counted at `computed_at`, kept beside them so that a
    page reads only this (not every chart's bytes)."""

    charts: dict[str, Chart]
    computed_at: dt.datetime


@dataclass(frozen=True)
class Counting:
    """The figures are being counted by the task worker: its state in words, or failed."""

    state: str
    failed: bool = False


def _chart_cache_key(municipality_id: int, key: str) -> str:
    return f"evaluation:dashboard-chart:{municipality_id}:{key}"


def _drawn_key(year: d.Year, today: dt.date) -> str:
    return f"evaluation:dashboard-charts:{year.municipality.pk}:{year.fiscal_year}:{today}"


def chart_svg(year: d.Year, key: str, *, today: dt.date) -> bytes | None:
    """The bytes of the city's chart `key` (for `dashboard_views.dashboard_chart`): kept when
    the charts were drawn; drawn again from the figures kept today if the cache let it go."""
    svg = cache.get(_chart_cache_key(year.municipality.pk, key))
    if svg is None and (figures := d.figures_kept(year, today=today)) is not None:
        dashboard_charts(year, figures, today=today)
        svg = cache.get(_chart_cache_key(year.municipality.pk, key))
    return svg if isinstance(svg, bytes) else None


def charts_of(year: d.Year, figures: d.Figures, *, today: dt.date) -> dict[str, Chart]:
    """The page's charts of these figures: as drawn when they were counted, else drawn now."""
    drawn = cache.get(_drawn_key(year, today))
    if isinstance(drawn, Drawn) and drawn.computed_at == figures.computed_at:
        return drawn.charts
    return dashboard_charts(year, figures, today=today)


def status_when(year: d.Year, *, today: dt.date) -> str:
    """The day the cases' states are counted on, in words: the year's end, or today."""
    day = d.cases_status_day(year, today=today)
    return ("年度末" if day == year.last else "今日") + f"（{day.year}年{day.month}月{day.day}日）"


def _busiest(monthly: d.Monthly) -> dict[str, list[int]]:
    """The `CHART_ORGANIZATIONS` busiest rows, then the rest summed as one."""
    rows = sorted(
        ((name, values) for name, values in monthly.rows if any(values)),
        key=lambda row: -sum(row[1]),
    )
    shown = dict(rows[:CHART_ORGANIZATIONS])
    rest = rows[CHART_ORGANIZATIONS:]
    if rest:
        shown[f"その他の{len(rest)}機関"] = [
            sum(month) for month in zip(*(v for _n, v in rest), strict=True)
        ]
    return shown


def dashboard_charts(year: d.Year, figures: d.Figures, *, today: dt.date) -> dict[str, Chart]:
    """Every chart of the dashboard, each with its text alternative (the numbers are in the
    tables under the charts); each kept for `dashboard_chart` to serve, and the set kept beside
    the figures (`charts_of`)."""
    municipality_id = year.municipality.pk

    def _chart(svg: bytes, alt: str) -> Chart:
        key = hashlib.sha256(svg).hexdigest()[:32]
        cache.set(_chart_cache_key(municipality_id, key), svg, d.FIGURES_KEPT)
        return Chart(key=key, alt=alt)

    label = year.label
    by_org, by_topic, compound = figures.by_org, figures.by_topic, figures.compound
    flows, statuses, gaps = figures.flows, figures.statuses, figures.gaps
    when = status_when(year, today=today)
    largest = sorted(flows.edges, key=lambda edge: (-edge[2], edge[0], edge[1]))[:CHART_FLOWS]
    flow_title = f"{label} 機関から機関へのつなぎ"
    if len(flows.edges) > CHART_FLOWS:
        flow_title += f"（多い順に{CHART_FLOWS}の流れ）"
    drawn = {
        "by_org": _chart(
            charts.bar_chart(
                title=f"{label} 機関別・月別の相談件数（延べ）",
                categories=by_org.month_labels,
                series=_busiest(by_org),
                stacked=True,
            ),
            f"{label}の機関別・月別の相談件数の積み上げ棒グラフ（多い順に"
            f"{CHART_ORGANIZATIONS}機関と、その他）。合計{by_org.total}件。数値は次の表にあります。",
        ),
        "by_topic": _chart(
            charts.line_chart(
                title=f"{label} 相談内容別・月別の件数",
                categories=by_topic.month_labels,
                series=dict(by_topic.rows),
            ),
            f"{label}の相談内容別・月別の件数の折れ線グラフ。数値は次の表にあります。",
        ),
        "compound": _chart(
            charts.heatmap(
                title=f"{label} 同じ世帯で重なる相談内容（世帯数）",
                rows=compound.topics,
                columns=compound.topics,
                values=compound.matrix,
                width=8.0,
                height=max(3.0, 0.4 * len(compound.topics) + 2.0),
            ),
            f"{label}に同じ世帯で重なった相談内容の組み合わせの表（色の濃さが世帯数）。"
            f"{compound.units}世帯等のうち{compound.compound_units}で2つ以上。数値は次の表にあります。",
        ),
        "flows": _chart(
            charts.flow_network(
                title=flow_title,
                nodes=sorted({n for s, t, _c in largest for n in (s, t)}, key=flows.nodes.index),
                edges=largest,
                height=6.0,
                width=7.5,
            ),
            f"{label}のつなぎの流れの図。矢印の太さが件数。合計{flows.total}件、"
            f"つなぎのない機関{len(flows.isolated)}。流れの一覧は次の表にあります。",
        ),
        "statuses": _chart(
            charts.bar_chart(
                title=f"{label} 多機関協働の事例の{when}の状態",
                categories=[name for name, _n in statuses],
                series={"事例数": [n for _name, n in statuses]},
                horizontal=True,
                height=3.0,
            ),
            f"{label}に受け付けていた多機関協働の事例を{when}の状態で数えた横棒グラフ。"
            "数値は次の表にあります。",
        ),
        "gaps": _chart(
            charts.heatmap(
                title=f"{label} 社会資源の不足（分野×地域）",
                rows=gaps.fields,
                columns=gaps.areas,
                values=gaps.matrix,
                height=max(2.5, 0.4 * len(gaps.fields) + 2.0),
            ),
            f"{label}に登録された社会資源の不足を分野と地域で数えた表。合計{gaps.total}件。"
            "数値は次の表にあります。",
        ),
    }
    roadmap = figures.roadmap
    if roadmap is not None:
        start_month = year.municipality.fiscal_year_start_month
        items: list[tuple[str, dt.date, dt.date, bool]] = []
        bar_labels: list[str] = []
        for program, stages in roadmap.rows:
            for fy, stage in zip(roadmap.fiscal_years, stages, strict=True):
                if stage:
                    first, last = fiscal_year_bounds(fy, start_month=start_month)
                    items.append((program, first, last, last < today))
                    bar_labels.append(stage)
        start, _ = fiscal_year_bounds(roadmap.fiscal_years[0], start_month=start_month)
        _, end = fiscal_year_bounds(roadmap.fiscal_years[-1], start_month=start_month)
        drawn["roadmap"] = _chart(
            charts.timeline_chart(
                title=f"{roadmap.plan} の工程と今日",
                items=items,
                start=start,
                end=end,
                today=today,
                bar_labels=bar_labels,
                width=10.0,
            ),
            "計画の工程表。事業ごとに年度の段階を帯で示し、今日の位置に線。"
            "終わった年度は緑。工程は次の表にあります。",
        )
    kept = Drawn(charts=drawn, computed_at=figures.computed_at)
    cache.set(_drawn_key(year, today), kept, d.FIGURES_KEPT)
    return drawn


@task
def dashboard_count_task(municipality_id: int, fiscal_year: int, today: str) -> None:
    """Count a city's figures for a year as of a day and draw every chart, for the page."""
    municipality = Municipality.objects.get(pk=municipality_id)
    year = d.year_of(municipality=municipality, fiscal_year=fiscal_year)
    day = dt.date.fromisoformat(today)
    dashboard_charts(year, d.figures_count(year, today=day), today=day)


@task_recovery(dashboard_count_task)
def dashboard_count_lost(municipality_id: int, fiscal_year: int, today: str) -> None:
    """The worker died while counting (core/lost_tasks.py): the page's mark is cleared, so the
    next view counts again (nothing is kept until the counting ends)."""
    cache.delete(_counting_key_of(municipality_id, fiscal_year, today))


def _counting_key_of(municipality_id: int, fiscal_year: int, today: str) -> str:
    return f"evaluation:dashboard-counting:{municipality_id}:{fiscal_year}:{today}"


def _counting_key(year: d.Year, today: dt.date) -> str:
    return _counting_key_of(year.municipality.pk, year.fiscal_year, today.isoformat())


def dashboard_figures(year: d.Year, *, today: dt.date) -> d.Figures | Counting:
    """The year's figures if they are current. Else the counting is started in the task worker
    (unless a page already started it), and meanwhile the figures last counted today are
    shown, or, when there are none, the counting's state. A failed counting is said once (when
    there is nothing to show instead) and forgotten, so the next view starts it again; so is a
    finished one whose figures are no longer current."""
    found = d.figures_kept(year, today=today)
    if found is not None and found.current():
        return found
    key = _counting_key(year, today)
    started = cache.get(key)
    if isinstance(started, str):
        state = task_state(started)
        if state == FAILED:
            cache.delete(key)
            return found if found is not None else Counting(state=state, failed=True)
        if state != DONE:  # waiting or running: its figures are coming
            return found if found is not None else Counting(state=state or WAITING)
        cache.delete(key)  # counted, but no longer current: count again
    if cache.add(key, "", COUNTING_TTL):
        result_id = task_enqueue(
            dashboard_count_task,
            municipality_id=year.municipality.pk,
            fiscal_year=year.fiscal_year,
            today=today.isoformat(),
        )
        cache.set(key, result_id, COUNTING_TTL)
    # the immediate backend (tests, a single-process run) has counted already
    counted = d.figures_kept(year, today=today)
    if counted is not None and counted.current():
        return counted
    if found is not None:
        return found
    return Counting(state=task_state(cache.get(key) or "") or WAITING)
