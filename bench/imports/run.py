"""Time an import of persons (and their consultations) the way `tsunagu import-persons` runs it.

    .venv/bin/python bench/imports/run.py --rows 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/imports/run.py

On SQLite the database is a new file in a temporary folder; on PostgreSQL the named database
is dropped and made again (it must not be one you keep). With `--city SLUG` the rows go instead
into that already loaded city of DATABASE_URL (a generated one: `--city generated`), nothing
dropped: imported by an active counselor of the organization holding the most persons (the
busiest window), with external ids that are new for each run; the persons stay.

Writes a Shift_JIS (CP932) file of fictional residents, imports it, imports it again unchanged
(the re-run path), then imports one consultation per person. Prints rows per second and the
peak memory of the process.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.machine import described, watch, yardstick

TOWNS = ["太閤山", "戸破", "三ケ", "小島", "大門", "新湊", "海老江", "片口"]


def persons_csv(rows: int, rng: random.Random, prefix: str = "B") -> str:
    """Fictional residents with the generated city's names (104 surnames, 60 given names by
    generation, 髙橋 among them: the generator's own pools), so the
    file's matching keys spread over the city's index as a real file's would."""
    from tsunagu.synthetic.names import FAMILY, GIVEN_MID, GIVEN_OLD, GIVEN_YOUNG

    lines = [
        "external_id,family_name,given_name,family_name_kana,given_name_kana,"
        "birth_date,sex,postal_code,address,phone"
    ]
    for i in range(rows):
        family, family_kana = rng.choice(FAMILY)
        year = rng.randint(1930, 2010)
        pool = GIVEN_OLD if year < 1955 else GIVEN_MID if year < 1985 else GIVEN_YOUNG
        given, given_kana, sex = rng.choice(pool)
        birth = f"{year}/{rng.randint(1, 12)}/{rng.randint(1, 28)}"
        sex = rng.choice([sex, sex, "unknown"])
        address = f"富山県射水市{rng.choice(TOWNS)}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番地"
        phone = f"0766-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        lines.append(
            f"{prefix}{i:06},{family},{given},{family_kana},{given_kana},{birth},{sex},"
            f"939-0351,{address},{phone}"
        )
    return "\r\n".join(lines) + "\r\n"


def consultations_csv(rows: int, prefix: str = "B") -> str:
    lines = ["external_id,person_external_id,received_at,channel,requester,topics,main_topic,"
             "content,response"]  # fmt: skip
    for i in range(rows):
        lines.append(
            f"C{prefix}{i:06},{prefix}{i:06},2026-05-{1 + i % 28:02} 10:00,window,self,"
            "income;debt,debt,"
            f"家計の相談（{i}）,information"
        )
    return "\r\n".join(lines) + "\r\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--city", help="import into this loaded city of DATABASE_URL instead")
    parser.add_argument(
        "--profile", action="store_true", help="profile each import (cProfile, top functions)"
    )
    parser.add_argument(
        "--profile-out", help="with --profile: also write the raw statistics to this file"
    )
    parser.add_argument(
        "--persons-only",
        action="store_true",
        help="only the new persons (no re-run, no consultations)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="tsunagu-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")
    if args.city and not os.environ.get("DATABASE_URL"):
        sys.exit("--city needs DATABASE_URL (the database holding the city)")
    if url.startswith("postgres") and not args.city:
        import psycopg

        name = url.rsplit("/", 1)[1]
        if name in {"postgres", "test", "root"}:
            sys.exit(f"use a database of its own, not {name!r}: it is dropped")
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')

    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    from tsunagu.access.models import AccessLog
    from tsunagu.accounts.models import Role
    from tsunagu.accounts.services import user_create
    from tsunagu.imports.models import ImportKind
    from tsunagu.imports.services import import_decode, import_run
    from tsunagu.organizations.models import Organization

    prefix = "B"
    if args.city:
        from django.db.models import Count

        from tsunagu.accounts.models import User

        busiest = (
            Organization.objects.filter(municipality__slug=args.city)
            .annotate(held=Count("persons"))
            .order_by("-held", "pk")
            .values_list("pk", "held")
            .first()
        )
        if busiest is None:
            sys.exit(f"no city {args.city!r} in this database")
        organization = Organization.objects.get(pk=busiest[0])
        candidates = User.objects.filter(organization=organization, is_active=True).order_by("pk")
        user = next((u for u in candidates if u.has_role(Role.COUNSELOR)), None)
        if user is None:
            sys.exit(f"no active counselor in {organization.code}")
        prefix = f"BENCH{time.strftime('%Y%m%d%H%M%S')}-"
        print(f"city {args.city}, {organization.code} ({busiest[1]:,} persons), {user}")
    else:
        call_command("migrate", verbosity=0)
        call_command("load_plan", "imizu", stdout=StringIO())
        organization = Organization.objects.get(
            municipality__slug="imizu", code="hokatsu-kosugi-shimo"
        )
        user = user_create(
            username="bench",
            organization=organization,
            roles=[Role.COUNSELOR],
            password=None,
            check_password=False,
        )
    print(f"machine: {described(yardstick())}", flush=True)
    rng = random.Random(args.seed)
    data = persons_csv(args.rows, rng, prefix).encode("cp932")
    print(f"{url.split(':', 1)[0]}, {args.rows:,} rows, {len(data) / 1e6:.1f} MB CP932")

    def server_cpu() -> float:
        """CPU seconds of the PostgreSQL server so far (same machine), else 0: every process
        named postgres (the import's backend, and what its writes cost the others: the WAL
        writer, the checkpointer, autovacuum), and the backends that have ended (their
        parent's children's time). Run it on an otherwise quiet server."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return 0.0
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            name, rest = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1]
            if name != "postgres":
                continue
            fields = rest.split()
            ticks += int(fields[11]) + int(fields[12])
            parent = Path(f"/proc/{fields[1]}/comm")
            if not parent.exists() or parent.read_text().strip() != "postgres":
                ticks += int(fields[13]) + int(fields[14])  # the postmaster: ended backends
        return ticks / os.sysconf("SC_CLK_TCK")

    def children_cpu() -> float:
        """CPU seconds of this process's ended children: the process that checks an import's
        rows against the city beside the write (`imports.services._known_beside_write`)."""
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def timed(label: str, kind: str, raw: bytes) -> None:
        profiler = cProfile.Profile() if args.profile else None
        window = watch()
        start, cpu, db_cpu = time.perf_counter(), time.process_time(), server_cpu()
        child_cpu = children_cpu()
        if profiler is not None:
            profiler.enable()
        text, _ = import_decode(data=raw)
        report = import_run(user=user, kind=kind, text=text, channel=AccessLog.Channel.CLI)
        if profiler is not None:
            profiler.disable()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        child_cpu = children_cpu() - child_cpu
        db_cpu = server_cpu() - db_cpu
        if profiler is not None:
            if args.profile_out:
                profiler.dump_stats(args.profile_out)
            for order in ("cumulative", "tottime"):
                print(f"--- {label}, by {order}")
                pstats.Stats(profiler).sort_stats(order).print_stats(45)
        if not report.ok:
            sys.exit(f"{label}: {report.summary()} {report.errors[:3]}")
        print(
            f"{label:<28} {seconds:7.1f} s  {args.rows / seconds:8.0f} rows/s"
            f"  (CPU {cpu + child_cpu:.1f} s, of it the checking process {child_cpu:.1f} s,"
            f" database {db_cpu:.1f} s)  {report.summary()}"
        )
        print(f"{'':<28} machine meanwhile: {described(window.read())}")

    timed("persons, new", ImportKind.PERSONS, data)
    if not args.persons_only:
        timed("persons, same file again", ImportKind.PERSONS, data)
    if not args.persons_only:
        consultations = consultations_csv(args.rows, prefix).encode()
        print(f"consultations file {len(consultations) / 1e6:.1f} MB")
        timed("consultations, new", ImportKind.CONSULTATIONS, consultations)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
