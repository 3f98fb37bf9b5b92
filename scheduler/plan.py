"""The main job as a library call: scenario -> staffing -> rota -> evaluated plan.

The CLI, what-if and the tests all plan through `make_plan`, and every figure
a plan reports comes from `validate.evaluate` on its own roster rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from scheduler.calendar import Grid, planning_grid
from scheduler.domain import Scenario
from scheduler.errors import InternalError
from scheduler.io.files import atomic_outputs, safe_name, write_csv
from scheduler.model import build
from scheduler.search import SearchConfig, SolveResult, solve
from scheduler.shifts import require_possible
from scheduler.io.workbook import RunInfo, build_workbook, roster_csv_frame, roster_records, save_workbook
from scheduler.io.roster import row_from_plan
from scheduler.staffing import Staffing, compute_staffing
from scheduler.validate import Evaluation, evaluate


@dataclass
class Plan:
    scenario: Scenario
    grid: Grid
    staffing: Staffing
    result: SolveResult
    evaluation: Evaluation

    @property
    def info(self) -> RunInfo:
        r = self.result
        return RunInfo(r.status, r.objective, r.bound, r.gap, r.seconds, r.interrupted, "plan", r.note, r.lp_bound,
                       r.time_limit)


def make_plan(scenario: Scenario, week: date | None = None, *, time_limit: float | None = None,
              workers: int | None = None, seed: int | None = None,
              progress: Callable[[float, float, float], None] | None = None,
              search: SearchConfig = SearchConfig()) -> Plan:
    """Plan the week holding `week` (default: the coming one): staffing, the rota, and its evaluation.
    `progress(seconds, objective, bound)` hears of each better plan while the search runs."""
    grid = planning_grid(scenario, week)
    staffing = compute_staffing(scenario, grid)
    m = build(scenario, grid, staffing)
    require_possible(scenario, grid, m.options)
    result = solve(m, time_limit, workers, seed, progress, config=search)
    rows = [row_from_plan(scenario, grid, s) for s in result.shifts]
    ev = evaluate(scenario, grid, staffing, rows)
    _check_plan(result, ev)
    if result.bound == result.bound and ev.total > 0:
        # The evaluated total is the exact objective of a plan the model admits (its shortfall variables may
        # sit loose in a non-optimal solution), so it gives the tighter, still valid, gap.
        result.gap = max(0.0, min(result.gap, (ev.total - result.bound) / ev.total))
    return Plan(scenario, grid, staffing, result, ev)


def _check_plan(result: SolveResult, ev: Evaluation) -> None:
    """Every plan is checked where it is made: the validator, which shares no code with the model, finds no
    broken rule, and its total is not above the solver's objective (to the cent per shift, as costs are
    rounded to cents on the Roster). Either failing is a bug in the model or the validator, not the input."""
    if ev.breaks:
        found = "; ".join(f"{b.rule} ({b.agent_id}, row {b.roster_row}): {b.detail}" for b in ev.breaks[:5])
        raise InternalError(f"the plan breaks {len(ev.breaks)} rules by the validator: {found}")
    if result.objective == result.objective and ev.total > result.objective + 0.01 * max(len(ev.shifts), 1):
        raise InternalError(f"the validator's total {ev.total:,.2f} is above the solver's objective "
                            f"{result.objective:,.2f}")


def output_paths(scenario: Scenario, grid: Grid, out_dir: Path, suffix: str = "") -> tuple[Path, Path]:
    y, w = grid.iso_week
    stem = f"{safe_name(scenario.name)}-{y}-W{w:02d}{suffix}"
    return out_dir / f"{stem}.xlsx", out_dir / f"{stem}-roster.csv"


def write_outputs(ev: Evaluation, info: RunInfo, workbook: Path, roster_csv: Path | None,
                  force: bool = False, with_breaks: bool = False) -> None:
    """Workbook and roster CSV, both or neither."""
    wb = build_workbook(ev, info, with_breaks=with_breaks)
    paths = [workbook] + ([roster_csv] if roster_csv else [])
    with atomic_outputs(*paths, force=force) as temps:
        save_workbook(wb, temps[0])
        if roster_csv:
            write_csv(roster_csv_frame(roster_records(ev)), temps[1])
