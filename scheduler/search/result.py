"""What a search returns, and how a solution is read back into planned shifts."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from ortools.sat.python import cp_model

from scheduler.model import UNITS, RotaModel
from scheduler.shifts import ShiftOption
from scheduler.week import eligible_queues, interval_overlaps


@dataclass(frozen=True)
class PlannedShift:
    option: ShiftOption
    break_offset: int | None
    queues: tuple[str, ...]  # queues the agent served during the shift


@dataclass(frozen=True)
class PassRecord:
    """One pass of the search as it ran: what it was, the seconds of the limit it used (as work), the
    objective it ended on (NaN if it found no plan), whether its plan became the current one, and the wall
    seconds it took (benchmarks compare the two to check the rates of `SearchConfig`)."""

    name: str
    seconds: float
    objective: float
    adopted: bool
    wall: float = math.nan
    variables: int = 0  # of the model the pass searched


@dataclass
class SolveResult:
    shifts: list[PlannedShift]
    status: str
    objective: float  # currency
    bound: float  # the best lower bound: the LP relaxation's or the one CP-SAT proved, whichever is higher
    gap: float
    seconds: float
    interrupted: bool = False
    note: str = ""  # said beside the status when the plan is not the full model's own
    progress: list[tuple[float, float, float]] = field(default_factory=list)  # (seconds, objective, bound)
    lp_bound: float = math.nan  # the LP relaxation alone
    work: float = 0.0  # deterministic seconds of search spent
    capped: bool = False  # the wall clock stopped the search before its work budget: a rerun may differ
    time_limit: float = math.nan  # seconds, as asked (or from policy.toml)
    start: str = ""  # where the LNS on the LP's shifts started: "dived", "folded dive", "restricted dive", "rounded",
    # or "" (no LP)
    passes: list[PassRecord] = field(default_factory=list)
    # How the LP went: each LP solved (columns, interior-point iterations, pivots, wall seconds), the kinds of
    # agent it was folded over (the agents, if none are alike), and whether it guided the search.
    lp_runs: list[tuple[int, int, int, float]] = field(default_factory=list)
    kinds: int = 0
    variables: int = 0
    path: str = ""  # "LP guides" (after the LP, the search works on its shifts) or "LNS beside the LP"
    bound_from: str = ""  # what proved the bound, in words (Summary's bound_from)


class Progress:
    """Reports each better plan: seconds since the start, objective, and the best bound known so far
    (NaN until the LP relaxation has been solved). Searches running side by side share one, so what is
    reported is the best of them all."""

    def __init__(self, report: Callable[[float, float, float], None] | None, bound: Callable[[], float]):
        self.report = report
        self.bound = bound
        self.start = time.monotonic()
        self.events: list[tuple[float, float, float]] = []
        self._lock = threading.Lock()

    def callback(self) -> cp_model.CpSolverSolutionCallback:
        """A fresh callback for one solve (a callback reads the solve it is attached to)."""
        progress = self

        class Forward(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                progress.found(self.ObjectiveValue() / UNITS)
        return Forward()

    def found(self, objective: float) -> None:
        with self._lock:
            if self.events and objective >= self.events[-1][1]:
                return
            event = (time.monotonic() - self.start, objective, self.bound())
            self.events.append(event)
            if self.report:
                self.report(*event)


def extract(m: RotaModel, solver: cp_model.CpSolver) -> list[PlannedShift]:
    """Chosen shifts with their break and the queues the agent's pool served during them.

    Which single queue each agent serves per interval is decided by the
    evaluator (`scheduler.validate.coverage`) among these.
    """
    I, n = m.grid.interval_minutes, m.grid.size
    eligible = eligible_queues(m.scenario)
    out = []
    for (a, j), x in m.x.items():
        if not solver.BooleanValue(x):
            continue
        o = m.options[a][j]
        offset = next((k for k, b in m.breaks.get((a, j), []) if solver.BooleanValue(b)), None)
        served: list[str] = []
        pool = "+".join(eligible[a])
        for i, _ in interval_overlaps(o.start, o.end, I, n):
            for q, var, *_ in m.coverage.serve.get((pool, i), []):
                if (var is True or solver.Value(var) > 0) and q not in served:
                    served.append(q)
        if not served:
            served = list(eligible[a][:1])
        out.append(PlannedShift(o, offset, tuple(sorted(served, key=eligible[a].index))))
    return sorted(out, key=lambda s: (s.option.agent_id, s.option.start))


def plain_result(m: RotaModel, solver: cp_model.CpSolver, status: int, progress: Progress,
                 interrupted: bool) -> SolveResult:
    """The plan of one solve, before bounds are added."""
    seconds = time.monotonic() - progress.start
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return SolveResult([], name, math.nan, math.nan, math.nan, seconds, progress=progress.events)
    return SolveResult(extract(m, solver), name, solver.ObjectiveValue() / UNITS, math.nan, math.nan, seconds,
                       interrupted=interrupted, progress=progress.events)
