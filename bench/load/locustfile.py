"""Locust users for the load benchmark (run by measure.py; see README.md).

Environment: BENCH_TARGETS (the targets JSON measure.py wrote), BENCH_OPS (comma-separated
operation names: each simulated client runs them in turn), BENCH_THINK (seconds a person
pauses between two requests, on average; 0 = none).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ops import BY_NAME, TOKEN, create_form, headers_for, path_for

TARGETS: dict[str, Any] = json.loads(Path(os.environ["BENCH_TARGETS"]).read_text("utf-8"))
OPERATIONS = [BY_NAME[n] for n in os.environ.get("BENCH_OPS", "person_search").split(",")]
THINK = float(os.environ.get("BENCH_THINK", "0"))
_numbers = itertools.count()


class Staff(HttpUser):
    wait_time = between(THINK * 0.5, THINK * 1.5) if THINK > 0 else constant(0)

    def on_start(self) -> None:
        n = next(_numbers)
        self.rng = random.Random(n)
        self.ops = itertools.cycle(OPERATIONS)
        self.jars: dict[str, Any] = {}
        self.role = ""
        self.index = n

    def _sign_in(self, role: str) -> None:
        """Each role keeps its own session (cookies), signed in once."""
        if role == "public" or role == self.role:
            return
        if self.role:
            self.jars[self.role] = self.client.cookies.copy()
        self.role = role
        self.client.cookies.clear()
        if role in self.jars:
            self.client.cookies.update(self.jars[role])
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
