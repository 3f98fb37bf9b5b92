"""Time `compute_staffing` on a large generated week: queues x 15-minute intervals.

    python benchmarks/bench_staffing.py [--agents 1000] [--languages 17] [--pool-by market]

Prints the queue and interval counts and the time of each stage (forecast on
the grid, requirement search, achieved KPIs at the requirement).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.generate import generate
from scheduler import staffing as S
from scheduler.calendar import forecast_on_grid, planning_grid
from scheduler.io.scenario import load_scenario


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=1000)
    p.add_argument("--languages", type=int, default=17)
    p.add_argument("--pool-by", choices=["language", "market"], default="market")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(Path(tmp) / "big", agents=args.agents, seed=1, languages=args.languages, interval_minutes=15)
        policy = folder / "policy.toml"
        policy.write_text(policy.read_text().replace("[targets]", f'pool_by = "{args.pool_by}"\n\n[targets]', 1))
        sc = load_scenario(folder)
        grid = planning_grid(sc, date(2026, 11, 30))
        t0 = time.perf_counter()
        forecast_on_grid(sc, grid)
        t1 = time.perf_counter()
        loads, *_ = S.queue_loads(sc, grid)
        t2 = time.perf_counter()
        for load in loads.values():
            S.required_agents(load, grid.interval_minutes * 60.0)
        t3 = time.perf_counter()
        st = S.compute_staffing(sc, grid)
        t4 = time.perf_counter()
        cells = len(st.frame)
        print(f"{len(loads)} queues x {grid.size} intervals = {cells} cells "
              f"({int((st.frame['arrivals'] > 0).sum())} with questions, "
              f"{sum(1 for l in loads.values() if l.patience_seconds[0] == l.patience_seconds[0])} queues with patience)")
        print(f"forecast on grid     {t1 - t0:8.3f} s")
        print(f"queue loads          {t2 - t1:8.3f} s")
        print(f"requirement search   {t3 - t2:8.3f} s")
        print(f"whole compute_staffing (with achieved KPIs) {t4 - t3:8.3f} s")


if __name__ == "__main__":
    main()
