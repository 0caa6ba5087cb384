"""Person searches every half second for a while, in-process, as the busiest window's counselor
of a generated city: their median and longest time. Run it beside a long write (an import into
the same city) to see whether the city's pages wait for it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scalebench \\
        .venv/bin/python bench/load/search_while.py --seconds 150
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--city", default="generated")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from measure import pick_targets

    from tsunagu.accounts.models import User

    settings.PERSON_SEARCH_RATE_PER_MINUTE = 10**9  # this script's own pace, not the limit's
    targets = pick_targets(args.city, "tsunagu-bench-2026")
    client = Client()
    client.force_login(User.objects.get(username=targets["users"]["counselor"][1]))
    # a first search, untimed, loads the reading dictionary (a server worker loads it at start)
    client.get("/people/", {"q": targets["person_names"][0]})
    rng = random.Random(4)
    end = time.time() + args.seconds
    times: list[float] = []
    while time.time() < end:
        query = rng.choice(targets["person_names"])
        started = time.perf_counter()
        assert client.get("/people/", {"q": query}).status_code == 200
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.5)
    times.sort()
    print(f"{len(times)} searches: p50 {times[len(times) // 2]:.0f} ms, longest {times[-1]:.0f} ms")


if __name__ == "__main__":
    main()
