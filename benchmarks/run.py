"""Plan a ladder of generated scenarios and print how the solve goes at each size.

    python -m benchmarks.run [--sizes 60,150,300,600,1000] [--intervals 60,30] [--time-limit 60]

For each size and grid: agents, CP-SAT variables, model build time, time to
the first plan, time to within 5 % / 2 % / 1 % of the LP bound, the
evaluated total; the LP lower bound of the instance (the relaxation of the
same model, rounding cuts included, solved to the end by HiGHS through
OR-Tools' linear solver), the gap to it and the LP's solve time; the bound
the plan itself reported (its budgeted LP, or CP-SAT's proof) and that gap;
and the plan's peak memory (each size runs in its own process, so peaks do
not mix). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from datetime import date
from pathlib import Path


def one(size: int, interval: int, limit: float, lp_limit: float, queue) -> None:
    from benchmarks.generate import generate
    from scheduler import model as M
    from scheduler.search import solve
    from scheduler.calendar import planning_grid
    from scheduler.io.scenario import load_scenario
    from scheduler.io.roster import row_from_plan
    from scheduler.staffing import compute_staffing
    from scheduler.validate import evaluate

    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(Path(tmp) / f"s{size}", agents=size, seed=1, languages=12 if size >= 600 else 8,
                          interval_minutes=interval)
        sc = load_scenario(folder)
        grid = planning_grid(sc, date(2026, 11, 30))
        staffing = compute_staffing(sc, grid)
        t = time.monotonic()
        m = M.build(sc, grid, staffing)
        build = time.monotonic() - t
        result = solve(m, time_limit=limit)
        ev = evaluate(sc, grid, staffing, [row_from_plan(sc, grid, s) for s in result.shifts])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {size} agents, {interval}-min grid: planned in {result.seconds:.1f} s, total {ev.total:,.2f}, "
              f"plan bound {result.bound:,.2f}, peak {peak:,.0f} MB; solving the LP to the end", flush=True)
        # The instance's LP bound, solved to the end by OR-Tools' linear solver (the HiGHS it ships, interior
        # point and crossover: its fastest here), whether or not the plan's own LP run reached it; an
        # independent check of the plan's bound, which is read off the duals of another HiGHS run.
        from scheduler.search.relax import lp_relaxation
        t = time.monotonic()
        lp = lp_relaxation(m.model, "HIGHS_LP")
        lp.SuppressOutput()
        lp.SetSolverSpecificParametersAsString("solver=ipm")
        lp.SetTimeLimit(int(lp_limit * 1000))
        lp_bound = lp.Objective().Value() / M.UNITS if lp.Solve() == lp.OPTIMAL else float("nan")
        lp_seconds = time.monotonic() - t
        events = result.progress
        first = events[0][0] if events else float("nan")

        def reach(share: float) -> float:
            for s, obj, _ in events:
                if obj <= lp_bound * (1 + share):
                    return s
            return float("nan")

        queue.put({"agents": size, "interval": interval, "variables": len(m.model.Proto().variables),
                   "build_s": build, "first_plan_s": first, "to_5pct_s": reach(0.05), "to_2pct_s": reach(0.02),
                   "to_1pct_s": reach(0.01), "wall_s": result.seconds, "total": ev.total, "lp_bound": lp_bound,
                   "gap_lp": (ev.total - lp_bound) / ev.total, "lp_s": lp_seconds,
                   "plan_bound": result.bound, "plan_gap": (ev.total - result.bound) / ev.total, "peak_mb": peak})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="60,150,300,600,1000")
    p.add_argument("--intervals", default="60,30")
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--lp-limit", type=float, default=1800.0, help="seconds for the LP solved to the end")
    a = p.parse_args()
    from scheduler.textable import table

    rows = []
    for interval in map(int, a.intervals.split(",")):
        for size in map(int, a.sizes.split(",")):
            queue = mp.Queue()
            proc = mp.Process(target=one, args=(size, interval, a.time_limit, a.lp_limit, queue))
            proc.start()
            r = queue.get()
            proc.join()
            rows.append(r)
            print(f"{size} agents, {interval}-min grid: total {r['total']:,.0f}, gap to LP {r['gap_lp']:.1%}", flush=True)
    headers = list(rows[0])
    print(table(headers, [[round(r[h], 3) if isinstance(r[h], float) else r[h] for h in headers] for r in rows],
                f"Ladder, time limit {a.time_limit:g} s, 2 CP-SAT workers"), flush=True)


if __name__ == "__main__":
    main()
