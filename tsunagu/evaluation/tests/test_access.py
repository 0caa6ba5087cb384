"""Every evaluation page answers the same way for the same situation, as the rest of the app
does (`access/tests/test_every_endpoint.py`):

- anonymous: the sign-in page;
- staff of the city without the role a page needs: 404, the same answer as for a page that
  does not exist ("not allowed" and "not found" are one answer);
- another city's staff, with this city's record ids (an indicator, a report run): 404 with the
  very body of an id that does not exist; the pages without an id show their own city;
- the pages every staff member of the city reads (the 個人情報ファイル簿, the resource-gap
  report): 200 for all of them.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for, make_user
from tsunagu.accounts.models import Role, User
from tsunagu.cityplan.models import Indicator
from tsunagu.evaluation.report_runs import report_run_create, report_run_enqueue
from tsunagu.organizations.models import Municipality

pytestmark = pytest.mark.django_db

MISSING = 987654321
FY = 2026


def _indicator() -> int:
    return Indicator.objects.get(code="hokatsu-kita-new", municipality__slug="minami").pk


def _role_pages(indicator: int, run: int) -> dict[str, tuple[str, str | None]]:
    """Each page for the city's managers: (its URL, the URL with a missing id, if it has one)."""
    return {
        "index": (reverse("evaluation:index"), None),
        "fiscal_year": (reverse("evaluation:fiscal_year", args=[FY]), None),
        "indicator": (
            reverse("evaluation:indicator", args=[FY, indicator]),
            reverse("evaluation:indicator", args=[FY, MISSING]),
        ),
        "dashboard": (reverse("evaluation:dashboard") + f"?fy={FY}", None),
        "report": (reverse("evaluation:report"), None),
        "report_run": (
            reverse("evaluation:report_run", args=[run]),
            reverse("evaluation:report_run", args=[MISSING]),
        ),
        "report_download": (
            reverse("evaluation:report_download", args=[run]),
            reverse("evaluation:report_download", args=[MISSING]),
        ),
    }


# the pages every staff member of the city reads: (route, query)
CITY_PAGES = (
    ("evaluation:file_register", ""),
    ("evaluation:file_register", "?format=csv"),
    ("cases:gap_report", f"?year={FY}"),
    ("cases:gap_report_csv", f"?year={FY}"),
)


def _city_pages() -> list[str]:
    return [reverse(name) + query for name, query in CITY_PAGES]


@pytest.fixture
def run(manager: User) -> int:
    done = report_run_create(user=manager, fiscal_year=FY, fmt="json")
    report_run_enqueue(done)  # tests run tasks at once: the run is finished
    return done.pk


def test_anonymous_is_sent_to_sign_in(city: Municipality, run: int) -> None:
    client = Client()
    for name, (url, _missing) in _role_pages(_indicator(), run).items():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], name
    for url in _city_pages():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


@pytest.mark.parametrize("who", ["counselor", "third", "receiver"])
def test_staff_without_the_role_get_not_found(
    who: str, run: int, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    missing_page = client.get("/evaluation/no-such-page/")
    assert missing_page.status_code == 404
    for name, (url, missing) in _role_pages(_indicator(), run).items():
        response = client.get(url)
        assert response.status_code == 404, name
        if missing is not None:  # the same body as an id that does not exist
            assert response.content == client.get(missing).content, name
    posted = client.post(reverse("evaluation:report"), {"fiscal_year": FY, "format": "json"})
    assert posted.status_code == 404
    # the pages every staff member of the city reads
    for url in _city_pages():
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [Role.COUNSELOR, Role.MANAGER])
def test_another_city_gets_not_found_for_this_citys_records(
    role: str, run: int, other_city: Municipality
) -> None:
    """A manager of 北市 has evaluation pages of 北市; 南市's indicator and report run do not
    exist for them (the same body as a missing id). A counselor of 北市 has none at all."""
    client = client_for(make_user(other_city, "soudan", role, f"kita-{role}"))
    for name, (url, missing) in _role_pages(_indicator(), run).items():
        response = client.get(url)
        if missing is not None:
            assert response.status_code == 404, name
            assert response.content == client.get(missing).content, name
        elif role == Role.MANAGER:
            assert response.status_code in (200, 302), name
            assert "南市" not in response.content.decode(), name
        else:
            assert response.status_code == 404, name
    for url in _city_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "南市" not in response.content.decode("utf-8-sig"), url


def test_the_citys_manager_opens_every_page(manager: User, run: int) -> None:
    client = client_for(manager)
    for name, (url, _missing) in _role_pages(_indicator(), run).items():
        assert client.get(url).status_code == (302 if name == "index" else 200), name
    for url in _city_pages():
        assert client.get(url).status_code == 200, url
