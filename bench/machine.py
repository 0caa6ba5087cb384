"""What the machine was like while a benchmark ran: its speed, and who else used its cores.

The same code measured on two days of the same machine differed by up to two times
(docs/performance.md, "The machine's own speed"): on a virtual machine the host takes a share
of the cores now and then (steal time), and other work may run beside the benchmark. Each
benchmark prints this beside its figures, so that two runs are compared only when their
machines were alike, and code is compared in one sitting, old and new alternated.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

YARDSTICK_ADDITIONS = 10_000_000
YARDSTICK_LOOKUPS = 300_000


def _best_of_three(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return round(best, 2)


def _additions() -> int:
    total = 0
    for i in range(YARDSTICK_ADDITIONS):
        total += i
    return total


def _lookups() -> int:
    rng = random.Random(1)
    keys = [str(rng.random()) for _ in range(YARDSTICK_LOOKUPS)]
    index = {key: i for i, key in enumerate(keys)}
    rng.shuffle(keys)
    return sum(index[key] for key in keys)


def yardstick() -> dict[str, float]:
    """Seconds that two fixed pieces of pure Python take, the best of three each: ten million
    additions in a loop (`yardstick_s`: the core's speed) and building, shuffling and looking
    up a dictionary of 300,000 strings (`yardstick_memory_s`: memory, as a request's many
    objects use it; on 2026-12-03 the host slowed requests two times while the loop alone
    kept its speed). Longer on a slower or busier host, whatever the code under test."""
    return {
        "yardstick_s": _best_of_three(_additions),
        "yardstick_memory_s": _best_of_three(_lookups),
    }


def _cpu_ticks() -> list[int] | None:
    """The whole machine's CPU time so far in ticks: user, nice, system, idle, iowait, irq,
    softirq, steal (Linux `/proc/stat`); None elsewhere."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    if first[0] != "cpu":
        return None
    ticks = [int(v) for v in first[1:9]]
    return ticks + [0] * (8 - len(ticks))  # an old kernel counts no steal: none


def _memory_available_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return round(int(line.split()[1]) / 1024, 0)
    except OSError:
        return None
    return None


@dataclass
class Watch:
    """The machine over a window of time: started by `watch()`, read by `read()`."""

    started: float
    ticks: list[int] | None

    def read(self) -> dict[str, float]:
        """Shares of all the cores' time since the start, in percent: `busy` (user and
        system work of every process, this benchmark's included), `steal` (taken by the
        host), `iowait`; the load average and the memory available now."""
        out: dict[str, float] = {"seconds": round(time.perf_counter() - self.started, 1)}
        now = _cpu_ticks()
        if self.ticks is not None and now is not None:
            user, nice, system, idle, iowait, irq, softirq, steal = (
                b - a for a, b in zip(self.ticks, now, strict=True)
            )
            total = user + nice + system + idle + iowait + irq + softirq + steal
            if total > 0:
                out["busy_pct"] = round(100 * (user + nice + system + irq + softirq) / total, 1)
                out["steal_pct"] = round(100 * steal / total, 1)
                out["iowait_pct"] = round(100 * iowait / total, 1)
        if hasattr(os, "getloadavg"):
            out["load_1min"] = round(os.getloadavg()[0], 2)
        available = _memory_available_mb()
        if available is not None:
            out["memory_available_mb"] = available
        return out


def watch() -> Watch:
    return Watch(started=time.perf_counter(), ticks=_cpu_ticks())


def described(values: dict[str, float]) -> str:
    """One line for a benchmark's output."""
    names = {
        "yardstick_s": "yardstick {} s",
        "yardstick_memory_s": "memory yardstick {} s",
        "busy_pct": "cores busy {} %",
        "steal_pct": "stolen by the host {} %",
        "iowait_pct": "iowait {} %",
        "load_1min": "load {}",
        "memory_available_mb": "memory available {:,.0f} MB",
    }
    return ", ".join(names[k].format(v) for k, v in values.items() if k in names)
