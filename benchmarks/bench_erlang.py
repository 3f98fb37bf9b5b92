"""Time required_servers_batch on a realistic week: 20 queues x 672 quarter-hours.

Acceptance: the all-Erlang-C batch (13,440 cells) runs in well under a second on one
core.  The all-Erlang-A batch (patience 60-180 s) is timed too.

Run from the repository root after ``pip install -e .``:
    python benchmarks/bench_erlang.py
"""

from __future__ import annotations

import time

import numpy as np

from scheduler.staffing.erlang import Targets, required_servers
from scheduler.staffing.erlang_batch import required_servers_batch

QUEUES = 20
INTERVALS = 672  # 7 days x 96 quarter-hours


def weekly_load(rng: np.random.Generator, closed_nights: bool) -> dict[str, np.ndarray]:
    """Chats/hour with a two-hump day curve and lighter weekends.

    ``closed_nights`` zeroes 23:00-07:00 (a third of the cells then have no arrivals);
    otherwise a 24/7 desk keeps a small night-time load so every cell is live.
    """
    hours = (np.arange(INTERVALS) % 96) / 4.0
    day = np.arange(INTERVALS) // 96
    curve = (
        np.exp(-0.5 * ((hours - 11.0) / 2.0) ** 2)
        + 0.8 * np.exp(-0.5 * ((hours - 15.5) / 2.5) ** 2)
        + 0.3 * np.exp(-0.5 * ((hours - 20.0) / 1.5) ** 2)
    )
    curve /= curve.max()
    night = (hours < 7.0) | (hours >= 23.0)
    curve = np.where(night, 0.0 if closed_nights else 0.03, curve)
    curve = curve * np.where(day >= 5, 0.5, 1.0)
    peak = rng.uniform(40.0, 600.0, size=(QUEUES, 1))  # chats/hour at the daily peak
    noise = rng.gamma(50.0, 1.0 / 50.0, size=(QUEUES, INTERVALS))
    per_hour = np.clip(peak * curve[None, :] * noise, 0.0, 600.0)
    shape = (QUEUES, INTERVALS)
    return {
        "rate": per_hour / 3600.0,
        "aht": np.broadcast_to(rng.uniform(120.0, 300.0, size=(QUEUES, 1)), shape).copy(),
        "patience": np.broadcast_to(rng.uniform(60.0, 180.0, size=(QUEUES, 1)), shape).copy(),
    }


def run(rate, aht, patience) -> np.ndarray:
    shape = rate.shape
    return required_servers_batch(
        rate,
        aht,
        patience,
        np.full(shape, 30.0),  # ASA
        np.full(shape, 0.8),  # service level
        np.full(shape, 60.0),  # general threshold
        np.full(shape, 180.0),  # complex threshold
        np.full(shape, 0.05),  # max abandonment
        np.full(shape, 0.85),  # max occupancy
    )


def best_of(fn, repeats: int) -> tuple[float, np.ndarray]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def scenario(rng: np.random.Generator, closed_nights: bool) -> None:
    d = weekly_load(rng, closed_nights)
    nan = np.full(d["rate"].shape, np.nan)
    cells = d["rate"].size
    busy = int((d["rate"] > 0).sum())
    print(f"{QUEUES} queues x {INTERVALS} intervals = {cells} cells ({busy} with arrivals), "
          f"peak {d['rate'].max() * 3600:.0f} chats/h")

    t_c, n_c = best_of(lambda: run(d["rate"], d["aht"], nan), 5)
    print(f"Erlang C batch: {t_c * 1000:8.1f} ms  (sum of servers {int(n_c.sum())}, max {int(n_c.max())})")

    t_a, n_a = best_of(lambda: run(d["rate"], d["aht"], d["patience"]), 2)
    print(f"Erlang A batch: {t_a * 1000:8.1f} ms  (sum of servers {int(n_a.sum())}, max {int(n_a.max())})")

    # Spot check against the scalar function on a sample of cells.
    idx = rng.choice(cells, size=200, replace=False)
    r, a, p = (d[k].ravel()[idx] for k in ("rate", "aht", "patience"))
    t = Targets(30.0, 0.8, 60.0, 180.0, 0.05, 0.85)
    assert all(required_servers(r[i], a[i], None, t) == n_c.ravel()[idx[i]] for i in range(idx.size))
    assert all(required_servers(r[i], a[i], p[i], t) == n_a.ravel()[idx[i]] for i in range(idx.size))
    print("scalar spot check on 200 cells: identical")


def main() -> None:
    rng = np.random.default_rng(20240601)
    for closed_nights in (True, False):
        print("--", "business hours (closed 23:00-07:00)" if closed_nights else "24/7 desk")
        scenario(rng, closed_nights)


if __name__ == "__main__":
    main()
