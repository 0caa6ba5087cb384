"""Locust users for the load benchmark (run by measure.py; see README.md).

Environment: BENCH_TARGETS (the targets JSON measure.py wrote), BENCH_SESSIONS (each client's
signed-in session per role, made by measure.py before the run; a client without one signs in
itself), BENCH_OPS (comma-separated operation names: each simulated client runs them in turn),
BENCH_THINK (seconds a person pauses between two requests, on average; 0 = none).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ops import BY_NAME, TOKEN, create_form, headers_for, path_for

TARGETS: dict[str, Any] = json.loads(Path(os.environ["BENCH_TARGETS"]).read_text("utf-8"))
OPERATIONS = [BY_NAME[n] for n in os.environ.get("BENCH_OPS", "person_search").split(",")]
THINK = float(os.environ.get("BENCH_THINK", "0"))
_sessions = os.environ.get("BENCH_SESSIONS", "")
SESSIONS: dict[str, list[dict[str, str]]] = (
    json.loads(Path(_sessions).read_text("utf-8")) if _sessions else {}
)
_numbers = itertools.count()


class Staff(HttpUser):
    wait_time = between(THINK * 0.5, THINK * 1.5) if THINK > 0 else constant(0)

    def on_start(self) -> None:
        n = next(_numbers)
        self.rng = random.Random(n)
        # each client starts at its own place in the operations and, with a think time, after
        # a pause of its own: staff do not all send the same request at the same instant
        start = n % len(OPERATIONS)
        self.ops = itertools.cycle(OPERATIONS[start:] + OPERATIONS[:start])
        self.jars: dict[str, Any] = {}
        self.role = ""
        self.index = n
        if THINK > 0:
            time.sleep(self.rng.uniform(0, THINK))  # gevent's sleep: locust patches time

    def _sign_in(self, role: str) -> None:
        """Each role keeps its own session (cookies): the one measure.py made, else signed in
        here once."""
        if role == "public" or role == self.role:
            return
        if self.role:
            self.jars[self.role] = self.client.cookies.copy()
        self.role = role
        self.client.cookies.clear()
        if role in self.jars:
            self.client.cookies.update(self.jars[role])
            return
        made = SESSIONS.get(role, [])
        if self.index < len(made):
            self.client.cookies.update(made[self.index])
            return
        users = TARGETS["users"][role]
        page = self.client.get("/accounts/login/", name="(login)")
        tokens = dict(TOKEN.findall(page.text))
        self.client.post(
            "/accounts/login/",
            data={
                **tokens,
                "username": users[self.index % len(users)],
                "password": TARGETS["password"],
            },
            name="(login)",
        )

    @task
    def next_operation(self) -> None:
        op = next(self.ops)
        self._sign_in(op.role)
        if op.method == "POST":
            form = self.client.get("/consultations/new/", name="(form)")
            url, data = create_form(TARGETS, self.rng, form.text)
            with self.client.post(url, data=data, name=op.name, catch_response=True) as r:
                if r.status_code >= 400 or "/consultations/new/" in r.url:
                    r.failure(f"not created: {r.status_code}")
            return
        with self.client.get(
            path_for(op, TARGETS, self.rng),
            headers=headers_for(op, TARGETS),  # the API signs in by token, not by session
            name=op.name,
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
