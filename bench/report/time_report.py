"""Time the annual report (`tsunagu report`) of a generated city, format by format.

    .venv/bin/tsunagu generate --residents 20000 --years 1 --seed 1
    .venv/bin/python bench/report/time_report.py --city generated --fiscal-year 2026

Uses the database of the environment (DATABASE_URL / TSUNAGU_DATA_DIR, as `tsunagu` does).
Prints, per format, the wall time to compute the rows (`fiscal_year_rows`: the actuals
counted from the records) and to draw the file, the file's size, the CPU time of this
process (on a busy machine the wall time is mostly waiting) and the peak memory. `--repeat`
runs each format several times and reports the fastest.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", default="generated")
    parser.add_argument("--fiscal-year", type=int, default=2026)
    parser.add_argument("--formats", default="json,xlsx,pdf")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")
    import django

    django.setup()
    from django.db import connection

    from tsunagu.evaluation.report import BUILDERS, municipality_by_slug, report_data

    municipality = municipality_by_slug(args.city)
    print(
        f"city {municipality.name} ({args.city}), fiscal year {args.fiscal_year}, "
        f"database {connection.vendor}"
    )
    for fmt in args.formats.split(","):
        best: tuple[float, float, int, float] | None = None
        for _ in range(args.repeat):
            start, cpu = time.perf_counter(), time.process_time()
            data = report_data(municipality=municipality, fiscal_year=args.fiscal_year)
            rows_done = time.perf_counter()
            content = BUILDERS[fmt](data, lambda done, total, label: None)
            drawn = time.perf_counter()
            cpu = time.process_time() - cpu
            timing = (rows_done - start, drawn - rows_done, len(content), cpu)
            if best is None or sum(timing[:2]) < sum(best[:2]):
                best = timing
        assert best is not None
        rows_s, draw_s, size, cpu_s = best
        print(
            f"{fmt:5} {len(data.rows):4} indicators in {len(data.sections):3} programs: "
            f"rows {rows_s:6.2f} s + file {draw_s:6.2f} s = {rows_s + draw_s:6.2f} s, "
            f"{size:,} bytes; this process's CPU {cpu_s:.2f} s (the rest: waiting for the "
            "database or a busy machine)"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
