"""The first person search of a fresh web worker: how long a worker takes to start (import the
WSGI application, as gunicorn does) and then to answer its first search, and its second.

    python bench/load/first_search.py --city generated

Run it against a generated city (docs/performance.md). Each run is a new process, so the times
include everything a new worker loads lazily (the URL configuration, the reading dictionary).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--city", default="generated")
    args = ap.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")
    os.environ.setdefault("TSUNAGU_PERSON_SEARCH_RATE", "100000000")
    started = time.perf_counter()
    import tsunagu.config.wsgi  # noqa: F401  (what a gunicorn worker imports)

    worker_start = time.perf_counter() - started

    from django.test import Client

    from tsunagu.accounts.models import User
    from tsunagu.people.models import Person

    # unscoped: the benchmark picks names to search for; the search itself goes through the door
    people = Person.dangerously_unscoped.filter(organization__municipality__slug=args.city)
    first = people.order_by("pk").first()
    assert first is not None, f"no persons in {args.city}"
    user = User.objects.filter(organization=first.organization, is_active=True).order_by("pk")[0]
    names = list(
        people.filter(organization=first.organization)
        .order_by("pk")
        .values_list("family_name", "given_name")[:2]
    )
    client = Client()
    client.force_login(user)
    times = []
    for family, given in names:
        t0 = time.perf_counter()
        response = client.get("/people/", {"q": f"{family} {given}"})
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
    result = {
        "worker_start_s": round(worker_start, 2),
        "first_search_s": round(times[0], 2),
        "second_search_s": round(times[-1], 3),
    }
    print(result)
    return result


if __name__ == "__main__":
    main()
