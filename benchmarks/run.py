"""Plan generated weeks of every family and size, and print how the plan goes on each.

    python -m benchmarks.run [--families ladder,shared,...] [--sizes 60,150,300,1000]
                             [--time-limit 60] [--large-limit 300] [--check-lp] [--json FILE]

A family is a shape of week (`benchmarks.generate.FAMILIES`): start ranges,
shared or individual wages, six sites, a daylight-saving week, a 30-minute
grid. Weeks of 1,000 agents and more are planned with `--large-limit`. For
each week: agents, kinds of agent, CP-SAT variables, the LP's columns
(folded over the kinds), the first plan's time, the evaluated total, the
plan's bound and gap, the wall time of the whole plan against its limit,
the peak memory (each week in a process of its own), and how the search
went: whether the LP guided it, each LP's wall time against the estimate
that decided the path, and each pass's wall time against the seconds of the
limit it was given. `--check-lp` also solves the whole LP to the end with
OR-Tools' linear solver, an independent check of the bound. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
from queue import Empty as queue_empty
import resource
import tempfile
import time
from datetime import date
from pathlib import Path


def one(family: str, size: int, limit: float, check_lp: bool, queue) -> None:
    from benchmarks.generate import FAMILIES, generate
    from scheduler.io.scenario import load_scenario
    from scheduler.plan import make_plan
    from scheduler.search.config import SearchConfig

    shape = FAMILIES[family]
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(Path(tmp) / f"{family}{size}", agents=size, seed=1, languages=12 if size >= 600 else 8,
                          family=family)
        sc = load_scenario(folder)
        began = time.monotonic()
        plan = make_plan(sc, date.fromisoformat(shape.week), time_limit=limit)
        wall = time.monotonic() - began
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        r, ev = plan.result, plan.evaluation
        config = SearchConfig()
        lps = [{"columns": cols, "iterations": it, "pivots": pv, "wall_s": round(w, 1),
                "expected_s": round(config.lp_expected_seconds(cols), 1)} for cols, it, pv, w in r.lp_runs]
        row = {"family": family, "agents": size, "interval": sc.policy.plan.interval_minutes,
               "kinds": r.kinds, "variables": r.variables, "limit_s": limit,
               "first_plan_s": r.progress[0][0] if r.progress else float("nan"), "total": ev.total,
               "bound": r.bound, "gap": (ev.total - r.bound) / ev.total, "lp_bound": r.lp_bound,
               "wall_s": wall, "solve_s": r.seconds, "peak_mb": peak, "path": r.start or r.path,
               "lps": lps, "passes": [{"name": p.name, "seconds": round(p.seconds, 2), "wall_s": round(p.wall, 2),
                                       "variables": p.variables, "objective": round(p.objective, 2),
                                       "adopted": p.adopted}
                                      for p in r.passes]}
        if check_lp:
            from scheduler import model as M
            from scheduler.calendar import planning_grid
            from scheduler.search.relax import lp_relaxation
            from scheduler.staffing import compute_staffing

            grid = planning_grid(sc, date.fromisoformat(shape.week))
            m = M.build(sc, grid, compute_staffing(sc, grid))
            lp = lp_relaxation(m.model, "HIGHS_LP")
            lp.SuppressOutput()
            lp.SetSolverSpecificParametersAsString("solver=ipm")
            t = time.monotonic()
            row["check_lp"] = lp.Objective().Value() / M.UNITS if lp.Solve() == lp.OPTIMAL else float("nan")
            row["check_lp_s"] = time.monotonic() - t
        queue.put(row)


def main() -> None:
    from benchmarks.generate import FAMILIES

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", default=",".join(FAMILIES))
    p.add_argument("--sizes", default="60,150,300,1000")
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--large-limit", type=float, default=300.0, help="time limit at 1,000 agents and more")
    p.add_argument("--check-lp", action="store_true", help="solve the whole LP to the end as a check")
    p.add_argument("--json", help="append each week's figures to this file, one JSON object a line")
    a = p.parse_args()
    from scheduler.textable import table

    rows = []
    for family in a.families.split(","):
        for size in map(int, a.sizes.split(",")):
            limit = a.large_limit if size >= 1000 else a.time_limit
            queue = mp.Queue()
            proc = mp.Process(target=one, args=(family, size, limit, a.check_lp, queue))
            proc.start()
            r = None
            while r is None and (proc.is_alive() or not queue.empty()):
                try:
                    r = queue.get(timeout=5)
                except queue_empty:  # still planning
                    pass
            proc.join()
            if r is None:
                print(f"{family} {size}: failed (exit {proc.exitcode}; its traceback is above)", flush=True)
                continue
            rows.append(r)
            print(f"{family} {size}: total {r['total']:,.0f}, gap {r['gap']:.2%}, wall {r['wall_s']:.0f} s "
                  f"(limit {limit:g}), {r['kinds']} kinds, LPs {r['lps']}, passes {r['passes']}", flush=True)
            if a.json:
                with open(a.json, "a", encoding="utf-8") as out:
                    out.write(json.dumps(r) + "\n")
    if not rows:
        return
    headers = ["family", "agents", "kinds", "variables", "limit_s", "first_plan_s", "total", "bound", "gap",
               "wall_s", "peak_mb", "path"]
    print(table(headers, [[round(r[h], 4) if isinstance(r[h], float) else r[h] for h in headers] for r in rows],
                "Families, 2 CP-SAT workers"), flush=True)


if __name__ == "__main__":
    main()
