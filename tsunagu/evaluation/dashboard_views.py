"""The evaluation dashboard (counts and charts for one fiscal year) and the 個人情報ファイル簿."""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.cityplan.models import PlanVersion
from tsunagu.core.export import SafeCsvWriter
from tsunagu.core.fiscal import fiscal_year_bounds, fiscal_year_of, parse_wareki_fiscal_year
from tsunagu.evaluation import charts, filebook
from tsunagu.evaluation import dashboard as d


@dataclass(frozen=True)
class Chart:
    """An SVG chart as a data: URL for an <img> (the page's CSP allows `img-src data:`; the
    SVG's own styles stay inside the image) with its text alternative."""

    src: str
    alt: str


def _chart(svg: bytes, alt: str) -> Chart:
    return Chart(src="data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"), alt=alt)


def _fiscal_year(request: AuthenticatedHttpRequest, current: int) -> int:
    text = request.GET.get("fy", "")
    try:
        year = parse_wareki_fiscal_year(text) if text else current
    except ValueError:
        return current
    return year if 2000 <= year <= 2100 else current


def _years(*, municipality_id: int, current: int) -> list[int]:
    spans = PlanVersion.objects.filter(municipality_id=municipality_id).values_list(
        "start_fiscal_year", "end_fiscal_year"
    )
    first = min([current - 3, *(s for s, _e in spans if s)])
    last = max([current, *(e for _s, e in spans if e)])
    return list(range(first, min(last, current + 1) + 1))


def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """評価ダッシュボード: the city's figures for a fiscal year, charts with their tables."""
    if not d.dashboard_allowed(request.user):
        raise Http404("評価ダッシュボードは管理者・多機関協働コーディネーターが見られます")
    municipality = user_municipality(request.user)
    today = timezone.localdate()
    current = fiscal_year_of(today, start_month=municipality.fiscal_year_start_month)
    fiscal_year = _fiscal_year(request, current)
    year = d.year_of(municipality=municipality, fiscal_year=fiscal_year)

    figures = d.figures(year, today=today)
    by_org = figures.by_org
    by_topic = figures.by_topic
    compound = figures.compound
    flows = figures.flows
    statuses = figures.statuses
    status_day = d.cases_status_day(year, today=today)
    status_when = (
        "年度末" if status_day == year.last else "今日"
    ) + f"（{status_day.year}年{status_day.month}月{status_day.day}日）"
    gaps = figures.gaps
    roadmap = figures.roadmap

    label = year.label
    chart_list = {
        "by_org": _chart(
            charts.bar_chart(
                title=f"{label} 機関別・月別の相談件数（延べ）",
                categories=by_org.month_labels,
                series={name: values for name, values in by_org.rows if any(values)},
                stacked=True,
            ),
            f"{label}の機関別・月別の相談件数の積み上げ棒グラフ。合計{by_org.total}件。数値は次の表にあります。",
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
                title=f"{label} 機関から機関へのつなぎ",
                nodes=flows.nodes,
                edges=flows.edges,
                height=6.0,
                width=7.5,
            ),
            f"{label}のつなぎの流れの図。矢印の太さが件数。合計{flows.total}件、"
            f"つなぎのない機関{len(flows.isolated)}。流れの一覧は次の表にあります。",
        ),
        "statuses": _chart(
            charts.bar_chart(
                title=f"{label} 多機関協働の事例の{status_when}の状態",
                categories=[name for name, _n in statuses],
                series={"事例数": [n for _name, n in statuses]},
                horizontal=True,
                height=3.0,
            ),
            f"{label}に受け付けていた多機関協働の事例を{status_when}の状態で数えた横棒グラフ。"
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
    if roadmap is not None:
        items: list[tuple[str, dt.date, dt.date, bool]] = []
        bar_labels: list[str] = []
        for program, stages in roadmap.rows:
            for fy, stage in zip(roadmap.fiscal_years, stages, strict=True):
                if stage:
                    first, last = fiscal_year_bounds(
                        fy, start_month=municipality.fiscal_year_start_month
                    )
                    items.append((program, first, last, last < today))
                    bar_labels.append(stage)
        start, _ = fiscal_year_bounds(
            roadmap.fiscal_years[0], start_month=municipality.fiscal_year_start_month
        )
        _, end = fiscal_year_bounds(
            roadmap.fiscal_years[-1], start_month=municipality.fiscal_year_start_month
        )
        chart_list["roadmap"] = _chart(
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
    context = {
        "year": year,
        "years": _years(municipality_id=municipality.pk, current=current),
        "by_org": by_org,
        "by_topic": by_topic,
        "compound": compound,
        "compound_rows": list(zip(compound.topics, compound.matrix, strict=True)),
        "flows": flows,
        "statuses": statuses,
        "cases_total": sum(n for _s, n in statuses),
        "status_when": status_when,
        "gaps": gaps,
        "gap_rows": list(zip(gaps.fields, gaps.matrix, strict=True)),
        "roadmap": roadmap,
        "charts": chart_list,
        "today": today,
        "computed_at": figures.computed_at,
        "ttl_minutes": d.FIGURES_TTL // 60,
    }
    return render(request, "evaluation/dashboard.html", context)


def file_register(request: AuthenticatedHttpRequest) -> HttpResponse:
    """個人情報ファイル簿: generated from the models and the registry; every staff member of the
    city reads it (it is published), printable, and as CSV."""
    municipality = user_municipality(request.user)
    entries = filebook.file_register(municipality=municipality)
    if request.GET.get("format") == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
        writer = SafeCsvWriter(buffer)
        writer.writerow(filebook.CSV_HEADER)
        for entry in entries:
            writer.writerow(entry.csv_row())
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="personal-information-files.csv"'
        return response
    return render(
        request,
        "evaluation/dashboard_file_register.html",
        {"entries": entries, "municipality": municipality, "today": timezone.localdate()},
    )
