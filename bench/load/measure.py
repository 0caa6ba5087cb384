"""Load benchmark: gunicorn + the configured database + locust, on a generated city.

    pip install -e '.[bench]'
    tsunagu generate --residents 300000 --years 1 --seed 1       # once (see docs/performance.md)
    python bench/load/measure.py --city generated --out var/bench-load.json

For each operation (ops.py) and each number of concurrent clients: p50/p95/p99 and throughput
from locust; beside it the database work alone (the SQL one request ran, replayed directly and
rolled back), queries per request and the server workers' memory. Writes JSON and prints a
table. Everything runs on this machine (127.0.0.1 only) and stops by itself.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from ops import BY_NAME, OPS, TOKEN, Op, create_form, headers_for, path_for  # noqa: E402

from bench.machine import described, watch, yardstick  # noqa: E402

SERVER_ENV = {
    # the benchmark's own clients must not be throttled (they all come from 127.0.0.1)
    "TSUNAGU_PERSON_SEARCH_RATE": "100000000",
    "TSUNAGU_PUBLIC_MAP_RATE": "100000000",
    "TSUNAGU_DEBUG": "0",
}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")
    for k, v in SERVER_ENV.items():
        os.environ.setdefault(k, v)
    import django

    django.setup()


# -- what to ask for ---------------------------------------------------------------------------


def pick_targets(city: str, password: str, seed: int = 1) -> dict[str, Any]:
    """Users and records of the generated city: the busiest window's staff and what they hold,
    the busiest referral receiver, the case hub's coordinators, and the busiest window's
    manager (the fiscal-year indicator view and the dashboard, which are the city's)."""
    from django.db.models import Count
    from django.utils import timezone

    from tsunagu.accounts.models import Role, RoleAssignment, User
    from tsunagu.core.fiscal import fiscal_year_bounds, fiscal_year_of
    from tsunagu.organizations.models import Municipality, Organization

    rng = random.Random(seed)
    municipality = Municipality.objects.get(slug=city)
    orgs = Organization.objects.filter(municipality=municipality)
    busiest = orgs.annotate(n=Count("consultations")).order_by("-n", "pk").first()
    receiver = orgs.annotate(n=Count("referrals_received")).order_by("-n", "pk").first()
    hub = orgs.annotate(n=Count("cases")).order_by("-n", "pk").first()
    assert busiest is not None and receiver is not None and hub is not None

    def staff(org: Organization, role: str) -> list[str]:
        names = list(
            User.objects.filter(
                organization=org,
                is_active=True,
                pk__in=RoleAssignment.objects.filter(role=role).values("user"),
            )
            .order_by("pk")
            .values_list("username", flat=True)
        )
        return names or list(
            User.objects.filter(organization=org).order_by("pk").values_list("username", flat=True)
        )

    with _db_read() as cur:
        cur.execute(
            "SELECT id, family_name, given_name FROM people_person WHERE organization_id = %s"
            " ORDER BY id",
            [busiest.pk],
        )
        persons = cur.fetchall()
        cur.execute(
            "SELECT id FROM consultations_consultation WHERE organization_id = %s ORDER BY id",
            [busiest.pk],
        )
        consultations = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id FROM cases_case WHERE organization_id = %s ORDER BY id", [hub.pk])
        cases = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT id FROM meetingrecords_meeting WHERE secretariat_id = %s ORDER BY id", [hub.pk]
        )
        meetings = [r[0] for r in cur.fetchall()]
    sample = rng.sample(persons, min(300, len(persons)))
    from tsunagu.accounts.tokens import api_token_create

    counselors = staff(busiest, Role.COUNSELOR) or staff(busiest, Role.COORDINATOR)
    token = api_token_create(
        user=User.objects.get(username=counselors[0]), label="負荷試験", days=1
    )
    now = timezone.localtime()
    fy = fiscal_year_of(now.date(), start_month=municipality.fiscal_year_start_month)
    start, end = fiscal_year_bounds(fy, start_month=municipality.fiscal_year_start_month)
    return {
        "city": city,
        "password": password,
        "api_token": token,
        "organizations": {
            "counselor": busiest.name,
            "receiver": receiver.name,
            "coordinator": hub.name,
        },
        "users": {
            "counselor": counselors,
            "receiver": staff(receiver, Role.COUNSELOR) or staff(receiver, Role.COORDINATOR),
            "coordinator": staff(hub, Role.COORDINATOR) or staff(hub, Role.COUNSELOR),
            "manager": staff(busiest, Role.MANAGER),
        },
        "person_ids": [p[0] for p in sample],
        "person_names": [f"{p[1]} {p[2]}" for p in sample],
        "consultation_ids": rng.sample(consultations, min(300, len(consultations))),
        "case_ids": rng.sample(cases, min(300, len(cases))) or [0],
        "meeting_ids": rng.sample(meetings, min(300, len(meetings))) or [0],
        "fiscal_year": fy,
        "fy_start": start.isoformat(),
        "fy_end": end.isoformat(),
        "now_local": now.strftime("%Y-%m-%d %H:%M"),
        "resource_queries": ["", "サロン", "子育て", "相談", "食堂"],
    }


class _db_read:
    def __enter__(self) -> Any:
        from django.db import connection

        self.cur = connection.cursor()
        return self.cur

    def __exit__(self, *exc: object) -> None:
        self.cur.close()


# -- the database work alone -------------------------------------------------------------------


def measure_db(op: Op, targets: dict[str, Any], reps: int, samples: int = 1) -> dict[str, Any]:
    """The database work of `samples` requests of the operation (each on a record or name
    drawn as the load draws them; a form is sent once), each's the median of `reps` replays:
    their median, with the queries of the one taken. A search's work depends on the name (a
    common one has hundreds of namesakes), so one request does not stand for the p50 of
    hundreds it is set against."""
    from django.test import Client

    from tsunagu.accounts.models import User

    client = Client()
    if op.role != "public":
        user = User.objects.get(username=targets["users"][op.role][0])
        client.force_login(user)
    rng = random.Random(7)
    measured = [
        _request_db(op, targets, reps, client, rng)
        for _ in range(1 if op.method == "POST" else max(1, samples))
    ]
    timed = sorted((m for m in measured if m["db_ms"] is not None), key=lambda m: float(m["db_ms"]))
    taken = timed[(len(timed) - 1) // 2] if timed else measured[0]
    return {**taken, "db_samples": [m["db_ms"] for m in measured]}


def _request_db(
    op: Op, targets: dict[str, Any], reps: int, client: Any, rng: random.Random
) -> dict[str, Any]:
    """Run one request in-process, capture its SQL, replay that SQL `reps` times directly
    (in a transaction rolled back, so writes leave nothing) and take the median, plus the
    time the request's own commits took (a write's commit waits for the disk; a replay that
    is rolled back cannot repeat it)."""
    from django.db import IntegrityError, connection, transaction
    from django.test.utils import CaptureQueriesContext

    commits: list[float] = []
    commit = connection._commit  # type: ignore[attr-defined]  # the driver's commit alone

    def timed_commit() -> Any:
        t0 = time.perf_counter()
        try:
            return commit()
        finally:
            commits.append((time.perf_counter() - t0) * 1000)

    connection._commit = timed_commit  # type: ignore[attr-defined]
    try:
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            if op.method == "POST":
                form = client.get("/consultations/new/")
                ctx.initial_queries = len(connection.queries_log)  # count the POST alone
                commits.clear()
                started = time.perf_counter()
                url, data = create_form(targets, rng, form.content.decode())
                response = client.post(url, data)
            else:
                response = client.get(path_for(op, targets, rng), headers=headers_for(op, targets))
            in_process = (time.perf_counter() - started) * 1000
    finally:
        del connection._commit  # type: ignore[attr-defined]  # the class's again
    sql = [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"))
    ]
    queries = len(sql)
    timings: list[float] = []
    error = ""
    skipped = 0
    for _ in range(reps):
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    t0 = time.perf_counter()
                    for statement in sql:
                        if not statement.startswith("INSERT"):
                            cur.execute(statement.replace("%", "%%"))
                            if cur.description is not None:
                                cur.fetchall()  # as the request did (and SQLite needs it done)
                            continue
                        # a row the request wrote under a unique key (its one-time form token,
                        # a field set keyed by its hash) cannot be written twice: that INSERT
                        # is left out of the replay, and counted
                        try:
                            with transaction.atomic():
                                cur.execute(statement.replace("%", "%%"))
                                if cur.description is not None:  # INSERT … RETURNING
                                    cur.fetchall()
                        except IntegrityError:
                            skipped += 1
                    timings.append((time.perf_counter() - t0) * 1000)
                transaction.set_rollback(True)
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc)[:120]}"
            break
    commit_ms = sum(commits)
    return {
        "status": response.status_code,
        "queries": queries,
        "db_ms": round(statistics.median(timings) + commit_ms, 2) if timings else None,
        "commit_ms": round(commit_ms, 3),
        "in_process_ms": round(in_process, 1),
        "db_error": error,
        "replay_skipped_inserts": skipped // max(1, len(timings)),
    }


# -- the server and the load -------------------------------------------------------------------


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@dataclass
class Server:
    """gunicorn and the task worker (`tsunagu db_worker`, which counts the dashboard), sharing a
    cache folder of their own for this run, as in production."""

    web: subprocess.Popen[bytes]
    tasks: subprocess.Popen[bytes]
    cache: Path


def start_server(port: int, workers: int) -> Server:
    cache = Path(tempfile.mkdtemp(prefix="tsunagu-bench-cache-"))
    env = {**os.environ, **SERVER_ENV, "TSUNAGU_CACHE_DIR": str(cache)}
    web = subprocess.Popen(  # noqa: S603
        [
            _bin("gunicorn"),
            "--config=python:tsunagu.config.gunicorn",
            "tsunagu.config.wsgi",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--timeout=120",
            "--log-level=warning",
        ],
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    tasks = subprocess.Popen(  # noqa: S603
        [_bin("tsunagu"), "db_worker", "--no-startup-delay"],
        cwd=REPO,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    server = Server(web=web, tasks=tasks, cache=cache)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise RuntimeError("gunicorn did not start")


def stop_server(server: Server) -> None:
    for proc in (server.web, server.tasks):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
    shutil.rmtree(server.cache, ignore_errors=True)


def worker_memory_mb(master: int) -> list[dict[str, float]]:
    """Memory of the server's worker processes (children of the master): resident (RSS, which
    counts the pages shared with the master and the other workers in full), proportional (PSS,
    each shared page divided among the processes sharing it) and unique (USS, the worker's own:
    what one more worker costs)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != master:
                continue
            rollup = (stat.parent / "smaps_rollup").read_text()
        except (OSError, IndexError, ValueError):
            continue
        kb: dict[str, int] = {}
        for line in rollup.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                kb[parts[0][:-1]] = int(parts[1])
        found.append(
            {
                "rss": round(kb.get("Rss", 0) / 1024, 1),
                "pss": round(kb.get("Pss", 0) / 1024, 1),
                "uss": round((kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / 1024, 1),
            }
        )
    return found


def _largest(memory: list[dict[str, float]]) -> dict[str, float | None]:
    return {
        f"worker_{kind}_mb": max((m[kind] for m in memory), default=None)
        for kind in ("rss", "pss", "uss")
    }


def sign_in(url: str, username: str, password: str) -> dict[str, str]:
    """A signed-in session of one staff member, as its cookies (through the login form)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{url}/accounts/login/", timeout=60) as page:
        tokens = dict(TOKEN.findall(page.read().decode("utf-8")))
    body = urllib.parse.urlencode({**tokens, "username": username, "password": password})
    login = f"{url}/accounts/login/"  # the bench's own server (http://127.0.0.1)
    request = urllib.request.Request(login, data=body.encode(), headers={"Referer": login})  # noqa: S310
    with opener.open(request, timeout=60) as answer:
        if "/accounts/login/" in answer.geturl():
            raise RuntimeError(f"{username} could not sign in")
    return {c.name: str(c.value) for c in jar}


def sessions_for(
    ops: list[Op], clients: int, targets: dict[str, Any], url: str
) -> dict[str, list[dict[str, str]]]:
    """Each client's session for each role its operations need, made before a run (staff sign
    in once a day, not between two searches): the sign-ins' password hashing (Argon2, a few
    hundred ms of CPU each) would otherwise fall inside the measured window, all clients at
    once, and slow whatever ran beside them."""
    roles = sorted({op.role for op in ops} - {"public"})
    jobs = [
        (role, users[i % len(users)])
        for role in roles
        for users in [targets["users"][role]]
        for i in range(clients)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(lambda j: sign_in(url, j[1], targets["password"]), jobs))
    sessions: dict[str, list[dict[str, str]]] = {role: [] for role in roles}
    for (role, _), cookies in zip(jobs, made, strict=True):
        sessions[role].append(cookies)
    return sessions


def tasks_settled(timeout: float = 600) -> None:
    """Wait until the task worker has nothing queued or running (the dashboard's counting,
    which the database-only measurement asked for), so that it does not share the machine with
    the first measured run."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
            break
        time.sleep(1)
    connection.close()


def run_locust(
    ops: list[Op], clients: int, think: float, seconds: int, url: str, targets_file: Path
) -> dict[str, dict[str, Any]]:
    targets = json.loads(targets_file.read_text("utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "stats"
        sessions_file = Path(tmp) / "sessions.json"
        sessions_file.write_text(json.dumps(sessions_for(ops, clients, targets, url)), "utf-8")
        env = {
            **os.environ,
            "BENCH_TARGETS": str(targets_file),
            "BENCH_SESSIONS": str(sessions_file),
            "BENCH_OPS": ",".join(op.name for op in ops),
            "BENCH_THINK": str(think),
        }
        subprocess.run(  # noqa: S603
            [
                _bin("locust"),
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--only-summary",
                "--loglevel=ERROR",
                f"--users={clients}",
                f"--spawn-rate={clients}",
                f"--run-time={seconds}s",
                f"--host={url}",
                f"--csv={prefix}",
                "--exit-code-on-error=0",
                f"--stop-timeout={max(10, seconds)}",
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=seconds + 120,
        )
        rows = list(csv.DictReader((Path(tmp) / "stats_stats.csv").open(encoding="utf-8")))
    result = {}
    for row in rows:
        if row["Name"] not in BY_NAME:
            continue
        result[row["Name"]] = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
            "rps": round(float(row["Requests/s"]), 2),
        }
    return result


def table(report: dict[str, Any]) -> str:
    lines = [
        "| operation | clients | think s | p50 ms | p95 ms | p99 ms | req/s | fail "
        "| db ms | of it commit | queries | p50/db |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        db = report["database"].get(r["operation"], {})
        db_ms = db.get("db_ms")
        ratio = f"{r['p50_ms'] / db_ms:.1f}" if db_ms else "–"
        lines.append(
            f"| {r['operation']} | {r['clients']} | {r['think']:g} | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['rps']:.1f} | {r['failures']} | "
            f"{db_ms if db_ms is not None else '–'} | {db.get('commit_ms', '–')} | "
            f"{db.get('queries', '–')} | {ratio} |"
        )
    lines.append("")
    lines.append(
        "worker memory (largest worker, MB): "
        f"RSS {report['worker_rss_mb_max']}, PSS {report['worker_pss_mb_max']}, "
        f"USS {report['worker_uss_mb_max']}"
    )
    machine = report["machine"]
    before, after = machine["yardstick_before"], machine["yardstick_after"]
    lines.append(
        f"machine: before the runs {described(before)}; after {described(after)}; "
        f"over the runs: {described(machine)}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--city", default="generated", help="the generated city's slug")
    ap.add_argument("--password", default="tsunagu-bench-2026")
    ap.add_argument("--ops", default=",".join(op.name for op in OPS))
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--think", type=float, default=3.0, help="think time (s) of the extra run")
    ap.add_argument(
        "--think-clients", default="16", help="clients of the think-time run ('' = none)"
    )
    ap.add_argument("--seconds", type=int, default=20, help="length of each run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8108)
    ap.add_argument("--db-reps", type=int, default=5)
    ap.add_argument(
        "--db-samples", type=int, default=5, help="requests whose database work is measured"
    )
    ap.add_argument("--mixed", action="store_true", help="all operations in one run per level")
    ap.add_argument("--out", default="", help="JSON file to write")
    ap.add_argument("--url", default="", help="measure a server already running here instead")
    args = ap.parse_args(argv)
    _setup_django()
    from django.db import connection

    ops = [BY_NAME[n] for n in args.ops.split(",") if n]
    # the machine's speed before and after, and its cores over the measured runs
    speed_before = yardstick()
    print(f"machine: {described(speed_before)}", flush=True)
    targets = pick_targets(args.city, args.password)
    print(f"targets: {json.dumps(targets['organizations'], ensure_ascii=False)}", flush=True)
    database = {op.name: measure_db(op, targets, args.db_reps, args.db_samples) for op in ops}
    for name, d in database.items():
        print(f"  {name}: {d}", flush=True)
    if not args.url:
        connection.close()  # the server gets its own connections
    levels = [(int(c), 0.0) for c in args.clients.split(",") if c]
    levels += [(int(c), args.think) for c in args.think_clients.split(",") if c]
    results: list[dict[str, Any]] = []
    memory: list[dict[str, float]] = []
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(targets, f, ensure_ascii=False)
        targets_file = Path(f.name)
    server = None if args.url else start_server(args.port, args.workers)
    url = args.url or f"http://127.0.0.1:{args.port}"
    if server is not None:
        tasks_settled()
    window = watch()
    try:
        groups = [ops] if args.mixed else [[op] for op in ops]
        for group in groups:
            for clients, think in levels:
                stats = run_locust(group, clients, think, args.seconds, url, targets_file)
                after = worker_memory_mb(server.web.pid) if server is not None else []
                memory.extend(after)
                for op in group:
                    s = stats.get(op.name)
                    if s is None:
                        continue
                    results.append(
                        {
                            "operation": op.name,
                            "clients": clients,
                            "think": think,
                            **s,
                            # the largest worker after this run (runs go in order, so it grows)
                            **_largest(after),
                        }
                    )
                    print(
                        f"  {op.name} clients={clients} think={think:g}: p50 {s['p50_ms']} "
                        f"p95 {s['p95_ms']} p99 {s['p99_ms']} ms, {s['rps']} req/s, "
                        f"{s['failures']} failed",
                        flush=True,
                    )
    finally:
        meanwhile = window.read()
        if server is not None:
            stop_server(server)
        targets_file.unlink(missing_ok=True)
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "database": connection.vendor,
            "yardstick_before": speed_before,
            "yardstick_after": yardstick(),
            # the whole machine over the measured runs (the server and locust included)
            **meanwhile,
        },
        "city": args.city,
        "workers": args.workers,
        "seconds_per_run": args.seconds,
        "organizations": targets["organizations"],
        "database": database,
        "results": results,
        **{f"{k}_max": v for k, v in _largest(memory).items()},
    }
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
        Path(args.out).with_suffix(".md").write_text(table(report) + "\n", "utf-8")
    print(table(report))
    return report


if __name__ == "__main__":
    main()
