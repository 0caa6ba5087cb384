"""The dashboard counts off the request: a page asks the task worker once, shows how far it is,
and shows the figures and charts when the worker has counted and drawn them; a failed counting
is said and started again on the next view. The charts stay readable on a big city."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.evaluation import charts
from tsunagu.evaluation import dashboard as d
from tsunagu.evaluation.dashboard_charts import (
    CHART_FLOWS,
    CHART_ORGANIZATIONS,
    _busiest,
    dashboard_charts,
)
from tsunagu.organizations.models import Municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks wait for the worker (the database backend), as in production."""
    # the worker closes stale connections between tasks; the test's database is the one open
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())


def test_the_page_asks_the_worker_once_and_shows_the_figures_it_counted(
    city: Municipality, manager: User, queued: None
) -> None:
    client = client_for(manager)
    url = reverse("evaluation:dashboard")
    first = client.get(url).content.decode()
    assert "集計して図を描いています（順番待ち）" in first
    assert 'hx-trigger="every 2s"' in first
    assert "<img" not in first
    # another view (another server process) while it waits starts nothing more
    client_for(manager).get(url)
    assert DBTaskResult.objects.count() == 1
    _run_worker()
    done = client.get(url).content.decode()
    assert "every 2s" not in done
    assert done.count('<img src="/evaluation/dashboard/charts/') >= 6
    assert "集計時点" in done
    assert DBTaskResult.objects.count() == 1


def test_a_failed_counting_is_said_and_started_again(
    city: Municipality, manager: User, queued: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(year: d.Year, *, today: Any) -> d.Figures:
        raise RuntimeError("database gone")

    monkeypatch.setattr(d, "figures_count", broken)
    client = client_for(manager)
    url = reverse("evaluation:dashboard")
    client.get(url)
    _run_worker()
    failed = client.get(url).content.decode()
    assert "集計できませんでした（失敗）" in failed
    assert "every 2s" not in failed
    again = client.get(url).content.decode()
    assert "順番待ち" in again
    assert DBTaskResult.objects.count() == 2


def test_figures_no_longer_current_are_shown_while_counted_again(
    city: Municipality, manager: User, queued: None
) -> None:
    """After `FIGURES_TTL` the page shows the figures last counted, saying it counts them
    again, and asks the worker once more; it never waits on a counting that has ended (it
    did: from the figures' expiry until the counting's mark expired, the page polled a
    「完了」 counting)."""
    client = client_for(manager)
    url = reverse("evaluation:dashboard")
    client.get(url)
    _run_worker()
    assert "集計時点" in client.get(url).content.decode()
    year = d.year_of(municipality=city, fiscal_year=fiscal_year_of(timezone.localdate()))
    kept = d.figures_kept(year, today=timezone.localdate())
    assert kept is not None and kept.current()
    # counted FIGURES_TTL and a second ago
    kept.computed_at -= dt.timedelta(seconds=d.FIGURES_TTL + 1)
    cache.set(d._figures_key(year, timezone.localdate()), kept, d.FIGURES_KEPT)
    stale = client.get(url).content.decode()
    assert "集計時点" in stale and "いま集計し直しています" in stale
    assert "every 2s" not in stale
    assert stale.count('<img src="/evaluation/dashboard/charts/') >= 6
    client_for(manager).get(url)  # another view while it waits starts nothing more
    assert DBTaskResult.objects.count() == 2
    _run_worker()
    fresh = client.get(url).content.decode()
    assert "いま集計し直しています" not in fresh and "集計時点" in fresh
    assert DBTaskResult.objects.count() == 2
    # figures gone from the cache (evicted) after a finished counting: counted again
    cache.delete(d._figures_key(year, timezone.localdate()))
    assert "順番待ち" in client.get(url).content.decode()
    assert DBTaskResult.objects.count() == 3


def test_the_charts_show_the_busiest_organizations_and_the_largest_flows(
    city: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    year = d.year_of(municipality=city, fiscal_year=2026)
    months = year.months
    names = [f"機関{i:02}" for i in range(CHART_ORGANIZATIONS + 3)]
    monthly = d.Monthly(
        months=months, rows=[(n, [i + 1] + [0] * (len(months) - 1)) for i, n in enumerate(names)]
    )
    shown = _busiest(monthly)
    assert list(shown)[:2] == [names[-1], names[-2]]  # the busiest first
    assert shown["その他の3機関"][0] == 1 + 2 + 3  # the three quietest as one band
    assert len(shown) == CHART_ORGANIZATIONS + 1
    assert sum(v[0] for v in shown.values()) == monthly.total  # nothing lost

    edges = [(a, b, i * 20 + j) for i, a in enumerate(names) for j, b in enumerate(names) if a != b]
    figures = d.figures_count(year, today=year.last)
    figures.flows = d.Flows(
        nodes=names, edges=edges, receivers=[], total=len(edges), within_field=0, across_field=0
    )
    drawn: dict[str, Any] = {}

    def flow_network(**kwargs: Any) -> bytes:
        drawn.update(kwargs)
        return b"<svg/>"

    monkeypatch.setattr(charts, "flow_network", flow_network)
    dashboard_charts(year, figures, today=year.last)
    assert len(edges) > CHART_FLOWS
    largest = sorted(edges, key=lambda e: -e[2])[:CHART_FLOWS]
    assert sorted(drawn["edges"]) == sorted(largest)
    assert set(drawn["nodes"]) == {n for a, b, _c in largest for n in (a, b)}
    assert f"多い順に{CHART_FLOWS}の流れ" in drawn["title"]
