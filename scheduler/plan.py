"""The main job as a library call: scenario -> staffing -> rota -> evaluated plan.

The CLI, what-if and the tests all plan through `make_plan`, and every figure
a plan reports comes from `validate.evaluate` on its own roster rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Callable

import pandas as pd

from scheduler.calendar import Grid, planning_grid
from scheduler.continuity import check_previous
from scheduler.domain import FixedShift, Scenario
from scheduler.errors import InternalError
from scheduler.io.files import CSV_ENCODING, atomic_outputs, safe_name, write_csv
from scheduler.model import build
from scheduler.search import SearchConfig, SolveResult, solve
from scheduler.shifts import require_possible
from scheduler.io.workbook import RunInfo, build_workbook, roster_csv_frame, roster_records, save_workbook
from scheduler.io.roster import RosterRow, roster_order, row_from_plan
from scheduler.staffing import Staffing, compute_staffing
from scheduler.validate import Evaluation, evaluate


@dataclass
class Plan:
    scenario: Scenario
    grid: Grid
    staffing: Staffing
    result: SolveResult
    evaluation: Evaluation
    kept_rows: list[RosterRow] = field(default_factory=list)  # a re-plan's frozen rows, as published

    @property
    def roster(self) -> pd.DataFrame:
        """The Roster sheet's rows, the HR import: one row per shift, in the documented column order."""
        return roster_csv_frame(roster_records(self.evaluation))

    @property
    def coverage(self) -> pd.DataFrame:
        """Per queue and interval (planning time zone): required, scheduled, shortfall and predicted KPIs."""
        return self.evaluation.coverage

    @property
    def markets(self) -> pd.DataFrame:
        """The same per market, in the market's local time."""
        return self.evaluation.markets

    @property
    def agents(self) -> pd.DataFrame:
        """Per agent: days, hours, nights, weekend shifts and cost against the contract."""
        return self.evaluation.agents

    @property
    def total(self) -> float:
        """Wages plus the shortfall at its price, as the validator recomputes them."""
        return self.evaluation.total

    @property
    def bound(self) -> float:
        """The proven lower bound on the total (NaN where none was proven in the time limit)."""
        return self.result.bound

    @property
    def gap(self) -> float:
        """(total - bound) / total, a fraction."""
        return self.result.gap

    @property
    def info(self) -> RunInfo:
        r = self.result
        return RunInfo(r.status, r.objective, r.bound, r.gap, r.seconds, r.interrupted, "plan", r.note, r.lp_bound,
                       r.time_limit, r.bound_from)


def make_plan(scenario: Scenario, week: date | None = None, *, time_limit: float | None = None,
              workers: int | None = None, seed: int | None = None,
              progress: Callable[[float, float, float], None] | None = None,
              search: SearchConfig = SearchConfig(), start: list[FixedShift] | None = None,
              kept_rows: list[RosterRow] = (), requirement: Staffing | None = None) -> Plan:
    """Plan the week holding `week` (default: the coming one): staffing, the rota, and its evaluation.
    `progress(seconds, objective, bound)` hears of each better plan while the search runs. `start`: a rota
    to start the search from (published, or a baseline). `kept_rows`: a re-plan's frozen rows, written back
    as they were published (the model holds them as `scenario.continuity.frozen`). `requirement`: the
    staffing the model plans against, where it is not the forecast's (a correction round's raised one); the
    plan is evaluated against the forecast's all the same."""
    grid = planning_grid(scenario, week)
    check_previous(scenario, grid)
    staffing = compute_staffing(scenario, grid)
    m = build(scenario, grid, requirement if requirement is not None else staffing)
    require_possible(scenario, grid, m.options)
    result = solve(m, time_limit, workers, seed, progress, config=search, start=start)
    rows = list(kept_rows) + [row_from_plan(scenario, grid, s) for s in result.shifts]
    kept = set()
    if kept_rows:
        # Numbered as the new Roster will show them, so a break on a frozen row names its row there.
        order = sorted(range(len(rows)), key=lambda k: roster_order(scenario, rows[k].agent_id, rows[k].span(scenario, grid)[0]))
        renumbered = {k: replace(rows[k], row=n) for n, k in enumerate(order, start=2)}
        kept = {renumbered[k].row for k in range(len(kept_rows))}
        rows = [renumbered[k] for k in order]
    ev = evaluate(scenario, grid, staffing, rows)
    _check_plan(result, ev, kept=kept)
    objective = ev.objective
    if result.bound == result.bound and objective > 0:
        # The evaluated total is the exact objective of a plan the model admits (its shortfall variables may
        # sit loose in a non-optimal solution), so it gives the tighter, still valid, gap.
        result.gap = max(0.0, min(result.gap, (objective - result.bound) / objective))
    return Plan(scenario, grid, staffing, result, ev, list(kept_rows))


def without_people_terms(scenario: Scenario) -> Scenario:
    """The scenario with fairness off and only hard requests: what `--compare-unfair` plans beside."""
    policy = replace(scenario.policy, fairness=replace(scenario.policy.fairness, nights_weight=0.0, weekends_weight=0.0))
    return replace(scenario, policy=policy, requests=[r for r in scenario.requests if r.must])


def unfair_items(fair: Plan, unfair: Plan) -> list[tuple[str, object, str | None]]:
    """What fairness and soft requests cost: the plan's wages and total against a plan of the same limit
    without them."""
    return [("wages_without_fairness", unfair.evaluation.cost, "#,##0.00"),
            ("total_without_fairness", round(unfair.evaluation.total, 2), "#,##0.00"),
            ("fairness_wage_cost", round(fair.evaluation.cost - unfair.evaluation.cost, 2), "#,##0.00")]


def _check_plan(result: SolveResult, ev: Evaluation, kept: set[int] = frozenset()) -> None:
    """Every plan is checked where it is made: the validator, which shares no code with the model, finds no
    broken rule, and its costs are not above the solver's objective (to the cent per shift, as costs are
    rounded to cents on the Roster). Either failing is a bug in the model or the validator, not the input.
    A re-plan's frozen rows (`kept`) are the published past: a break there (new leave over a shift already
    begun) is the inputs', reported in the workbook, not the plan's.

    The shortfall may come out above the model's without a bug: the evaluator's assignment of a crowded
    interval may not be proven optimal within its limit (300 agents with start ranges at 300 s: 153,890.62
    evaluated against 153,853.31 before such intervals got a second, longer solve), and the model's pooled
    count of who serves which queue is a relaxation where agents work different minutes of an interval.
    The evaluated total is then the plan's, and the note says by how much."""
    breaks = [b for b in ev.breaks if b.roster_row not in kept]
    if breaks:
        found = "; ".join(f"{b.rule} ({b.agent_id}, row {b.roster_row}): {b.detail}" for b in breaks[:5])
        raise InternalError(f"the plan breaks {len(breaks)} rules by the validator: {found}")
    if result.objective != result.objective:
        return
    tolerance = 0.01 * max(len(ev.shifts), 1)
    costs = ev.objective - ev.shortfall_cost
    if costs > result.objective + tolerance:
        raise InternalError(f"the validator's costs {costs:,.2f} without shortfall are above the solver's "
                            f"objective {result.objective:,.2f}")
    above = ev.objective - result.objective
    if above > tolerance:
        note = (f"the evaluated total is {above:,.2f} above the solver's objective: agent by agent, the "
                f"evaluator's assignment covers less than the model's pooled count of who serves which queue")
        result.note = f"{result.note}; {note}" if result.note else note


def output_stem(scenario: Scenario, grid: Grid) -> str:
    """`<scenario>-<ISO year>-W<week>`: every output of a week carries it, so one week's file never
    replaces another's."""
    y, w = grid.iso_week
    return f"{safe_name(scenario.name)}-{y}-W{w:02d}"


def output_paths(scenario: Scenario, grid: Grid, out_dir: Path, suffix: str = "") -> tuple[Path, Path]:
    stem = output_stem(scenario, grid) + suffix
    return out_dir / f"{stem}.xlsx", out_dir / f"{stem}-roster.csv"


def write_outputs(ev: Evaluation, info: RunInfo, workbook: Path, roster_csv: Path | None,
                  force: bool = False, with_breaks: bool = False, csv_encoding: str = CSV_ENCODING,
                  more_sheets: Callable | None = None) -> None:
    """Workbook and roster CSV, both or neither. `more_sheets(workbook)` adds sheets after the plan's own
    (the play's)."""
    wb = build_workbook(ev, info, with_breaks=with_breaks)
    if more_sheets is not None:
        more_sheets(wb)
    paths = [workbook] + ([roster_csv] if roster_csv else [])
    with atomic_outputs(*paths, force=force) as temps:
        save_workbook(wb, temps[0])
        if roster_csv:
            write_csv(roster_csv_frame(roster_records(ev)), temps[1], csv_encoding)


def write_workbook(plan: Plan, out_dir: Path | str = "outputs", force: bool = False,
                   csv_encoding: str = CSV_ENCODING) -> tuple[Path, Path]:
    """Write the plan's workbook and roster CSV (`<scenario>-<year>-W<week>.xlsx` and `...-roster.csv`) into
    `out_dir`, both or neither; an existing file is replaced only with `force`. Returns both paths."""
    workbook, roster_csv = output_paths(plan.scenario, plan.grid, Path(out_dir))
    write_outputs(plan.evaluation, plan.info, workbook, roster_csv, force=force, csv_encoding=csv_encoding)
    return workbook, roster_csv


def evaluate_roster(scenario: Scenario, roster, week: date | None = None) -> Evaluation:
    """Score a roster (a path to our workbook or a roster CSV, or RosterRows): every broken rule, coverage,
    targets, cost recomputed. The week defaults to the one holding most of its shifts."""
    from scheduler.io.roster import read_roster, roster_week

    rows = read_roster(roster, scenario) if isinstance(roster, (str, Path)) else list(roster)
    grid = roster_week(scenario, rows, week)
    return evaluate(scenario, grid, compute_staffing(scenario, grid), rows)
