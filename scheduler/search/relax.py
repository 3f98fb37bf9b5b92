"""The LP relaxation of the rota model: a lower bound no rota can beat.

It is read off the CP-SAT model itself (every linear constraint, at-most-one
and clause, with each variable's bounds), so it relaxes exactly the model
that is solved, rounding cuts included, and needs no second description of
the rules. The plan solves it with HiGHS's interior-point method (IPX) and
crossover in a thread beside the search (it releases the GIL): at 300 agents
that takes 18 s where GLOP's simplex took 73. The bound is not read off the
solver's objective but is the Lagrangian value of its duals, valid for any
duals whatever their accuracy, so no tolerance can make it claim too much.
`LpBound` can also round the LP to whole shifts by diving (re-solving by
dual simplex from its basis as shifts are fixed), for a start near it.
`lp_relaxation` gives the same LP to OR-Tools' linear solver, which
`benchmarks/run.py` uses to check the plan's bound independently.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

BIG = 2**62  # CP-SAT writes an unbounded side as +/- 2**63 - 1


@dataclass
class LinearProgram:
    """min cost.x + offset over lower <= x <= upper, row_lower <= A x <= row_upper; A row-wise (CSR)."""

    cost: np.ndarray
    offset: float
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray  # -inf where a row has no lower side
    row_upper: np.ndarray
    starts: np.ndarray  # row k's entries are index/value[starts[k]:starts[k + 1]]
    index: np.ndarray
    value: np.ndarray


def linear_program(model: cp_model.CpModel) -> LinearProgram:
    proto = model.Proto()
    n = len(proto.variables)
    # (list() first: OR-Tools' repeated fields read index -1 as 0.)
    domains = [list(v.domain) for v in proto.variables]
    lower = np.array([d[0] for d in domains], dtype=float)
    upper = np.array([d[-1] for d in domains], dtype=float)
    row_lower, row_upper, rows, cols, vals = [], [], [], [], []
    for c in proto.constraints:
        if list(c.enforcement_literal):
            raise ValueError("the LP relaxation reads plain constraints only (no enforcement literals)")
        k = len(row_lower)
        if c.has_linear():
            d = list(c.linear.domain)
            row_lower.append(float(d[0]) if d[0] > -BIG else -np.inf)
            row_upper.append(float(d[-1]) if d[-1] < BIG else np.inf)
            if any(ref < 0 for ref in c.linear.vars):
                raise ValueError("negated reference in a linear constraint")
            rows.extend([k] * len(c.linear.vars))
            cols.extend(c.linear.vars)
            vals.extend(c.linear.coeffs)
        elif c.has_at_most_one() or c.has_exactly_one() or c.has_bool_or():
            literals = list(c.at_most_one.literals if c.has_at_most_one() else
                            c.exactly_one.literals if c.has_exactly_one() else c.bool_or.literals)
            # A negated literal not(x) is 1 - x: move its constant to the right-hand side.
            one = 1.0 - sum(1 for ref in literals if ref < 0)
            row_lower.append(one if not c.has_at_most_one() else -np.inf)
            row_upper.append(one if not c.has_bool_or() else np.inf)
            rows.extend([k] * len(literals))
            cols.extend(ref if ref >= 0 else -ref - 1 for ref in literals)
            vals.extend(1.0 if ref >= 0 else -1.0 for ref in literals)
        else:
            raise ValueError("the LP relaxation reads linear constraints, at-most-one, exactly-one and clauses only")
    # One entry per row and variable (a variable named twice in a row has its coefficients summed).
    rows, cols, vals = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals, dtype=float)
    keys, inverse = np.unique(rows * n + cols, return_inverse=True)
    merged = np.bincount(inverse, weights=vals, minlength=len(keys))
    rows, cols = keys // n, keys % n
    starts = np.searchsorted(rows, np.arange(len(row_lower) + 1))
    cost = np.bincount(np.array(proto.objective.vars, dtype=np.int64),
                       weights=np.array(proto.objective.coeffs, dtype=float), minlength=n)
    return LinearProgram(cost, float(proto.objective.offset), lower, upper, np.array(row_lower),
                         np.array(row_upper), starts, cols, merged)


def lp_relaxation(model: cp_model.CpModel, solver: str = "GLOP") -> pywraplp.Solver:
    """The relaxation for OR-Tools' linear solver (GLOP, HiGHS, ...)."""
    p = linear_program(model)
    lp = pywraplp.Solver.CreateSolver(solver)
    inf = lp.infinity()
    xs = [lp.NumVar(lo, hi, "") for lo, hi in zip(p.lower, p.upper)]
    for k, (lo, hi) in enumerate(zip(p.row_lower, p.row_upper)):
        row = lp.Constraint(lo if lo > -np.inf else -inf, hi if hi < np.inf else inf)
        for j, a in zip(p.index[p.starts[k]:p.starts[k + 1]], p.value[p.starts[k]:p.starts[k + 1]]):
            row.SetCoefficient(xs[j], float(a))
    objective = lp.Objective()
    for j in np.flatnonzero(p.cost):
        objective.SetCoefficient(xs[j], float(p.cost[j]))
    objective.SetOffset(p.offset)
    objective.SetMinimization()
    return lp


def lagrangian_bound(p: LinearProgram, duals: np.ndarray) -> float:
    """min over the box of cost.x + y.(row side - A x): a lower bound for any duals y.

    A dual of the wrong sign for its row, or on a side the row does not
    have, is taken as zero; each variable then sits at whichever bound its
    reduced cost prefers. Exact at the LP optimum; below it otherwise, never above.
    """
    duals = np.where(np.isfinite(duals), duals, 0.0)
    y = np.where((duals > 0) & np.isfinite(p.row_lower), duals, 0.0) + \
        np.where((duals < 0) & np.isfinite(p.row_upper), duals, 0.0)
    rows = np.repeat(np.arange(len(p.row_lower)), np.diff(p.starts))
    reduced = p.cost - np.bincount(p.index, weights=p.value * y[rows], minlength=len(p.cost))
    sides = y * (np.where(y > 0, p.row_lower, 0.0) + np.where(y < 0, p.row_upper, 0.0))
    box = np.where(reduced > 0, reduced * p.lower, np.where(reduced < 0, reduced * p.upper, 0.0))
    return float(sides.sum() + box.sum() + p.offset)


_STDOUT = threading.Lock()


@contextlib.contextmanager
def _quiet_stdout():
    """HiGHS's Python class prints a banner on stdout when created, below the solver's own log switch."""
    with _STDOUT:
        sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no stdout to silence
            yield
            return
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def cost_scale(cost: np.ndarray) -> float:
    """A power of two that brings a largest cost above 256 down to 128-256, for HiGHS, whose tolerances
    are absolute.

    The model's costs are in 1/600,000 currency units (a shift's pay is about
    10^8), and with them the crossover's clean-up chased dual infeasibilities
    for minutes: on 300 agents' 30-minute week it was not done after 20,000
    simplex iterations, while in currency-sized units it needs none (crossover
    done in 31 s). A power of two, so the duals scale back exactly.
    """
    largest = float(np.abs(cost).max(initial=0.0))
    return 2.0 ** -max(0, math.ceil(math.log2(largest)) - 8) if largest > 0 else 1.0


IPM_ITERATION_LIMIT = 400  # the LPs seen take 50-80; a deterministic stop for one that does not converge
CLEANUP_LIMIT = 1_000  # simplex iterations after the crossover: a safeguard (with `cost_scale`, the ladder needs none)


class LpBound:
    """The relaxation solved in a background thread by HiGHS's interior-point method and crossover.

    The crossover's vertex uses far fewer shifts than the interior solution,
    which lies in the middle of all optimal ones (the sample: 530 against
    966), and the dives on a vertex's shifts found better rotas (42,740-43,443
    against 43,271-45,656 in 30 s on the sample; 179.8 k against 188.6 k
    in 60 s at 300 agents). HiGHS cleans up an imprecise crossover with
    simplex, which took minutes before the costs were scaled (`cost_scale`);
    stopped half-way, the basic solution is not even valid. So past
    CLEANUP_LIMIT iterations the LP is solved again without crossover, for
    the bound and the interior solution as a guide. (The crossover cannot be
    started from a first run's solution: HiGHS 1.16 crashes.)

    Given a `dive`, the same thread then rounds the vertex by diving from its
    basis (`scheduler/rounding.py`); the bound and the LP's solution are
    available as soon as the LP is done, the rounding when the dive is.
    """

    def __init__(self, model: cp_model.CpModel, start: bool,
                 dive: Callable[[np.ndarray, np.ndarray], tuple[list[int], list[int]]] | None = None,
                 dive_pivots: int = 0, prepared: tuple | None = None,
                 bound_fits: Callable[["LpBound", int], bool] | None = None):
        """`dive`: after the LP, round its solution by diving (`scheduler.rounding.ShiftDive`); it is
        given the LP's values and which columns are fixed, and names the columns to fix to 1 and to 0.
        `dive_pivots`: the dive's budget of simplex iterations in all (deterministic); past it, no rounding.
        `prepared`: `scheduler.search.fold.programs(model)`: the LP, its folding over kinds of agent (solved
        instead of it, then the whole LP too for a dive) and the cheapest-wage relaxation (solved first); without
        it, the whole LP alone. `bound_fits(self, columns)`: whether an LP solved only for the bound, after
        the dive, should still end within the limit; one that should not is not started (it would only take
        a core from the search: 1,000 agents with individual wages, the whole LP after the cheapest-wage one's
        dive, took the run to 382 s of a 300-s limit)."""
        self._value: float | None = None
        self._solution: list[float] | None = None
        self._rounded: list[float] | None = None
        self._dive_start: list[float] | None = None  # the LP's solution the dive started from
        self._raw: np.ndarray | None = None  # the last LP's own values (folded, if it was)
        self._solved = threading.Event()  # the LP that guides is done (the others and the dive may go on)
        self._exact = threading.Event()  # the exact LP is done (or given up)
        self._guide: list[float] | None = None
        self._done = threading.Event()  # the thread's work is done, dive included
        self._dived = threading.Event()  # the dive is done (or failed, or there is none)
        self.iterations = 0  # interior-point iterations: deterministic, unlike the wall time
        self.pivots = 0  # crossover and clean-up iterations
        self.cleanup = 0  # of which clean-up
        self.dive_pivots = 0  # the dive's dual simplex iterations
        self.dive_rounds = 0
        self.dive_columns = 0  # of the LP dived
        self.dive_folded = getattr(dive, "folding", None) is not None
        self.runs: list[tuple[int, int, int, float]] = []  # per LP solved: columns, interior-point iterations,
        # pivots, wall seconds (benchmarks compare them with SearchConfig's estimates)
        self.folding = None  # the exact folding solved, if it folded anything (scheduler.search.fold.Folding)
        self.relaxed_bound: float | None = None  # the cheapest-wage relaxation's bound, if solved
        self._dive = dive
        self._dive_budget = dive_pivots
        self._bound_fits = bound_fits
        self.skipped: list[int] = []  # the columns of the LPs not started, as they would not end in time
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._highs = None
        if not start:
            return  # no LP: results are None at once
        import highspy

        with _quiet_stdout():
            self._highs = highspy.Highs()
        self._highs.setOptionValue("output_flag", False)
        self._highs.HandleUserInterrupt = True  # else cancelSolve() is never looked at
        # Read here, before the search changes the model's hints.
        p, exact, cheap = prepared if prepared is not None else (linear_program(model), None, None)
        stages: list[tuple[LinearProgram, object]] = [(p, None)]
        dives = getattr(dive, "folding", None)  # the folding whose LP is dived (None: the whole LP)
        if exact is not None:
            self.folding = exact
            # A dive of the whole LP needs the whole LP, after the folded one.
            stages = [(exact.lp, exact)] + ([(p, None)] if dive is not None and dives is None else [])
        if cheap is not None:
            stages.insert(0, (cheap.lp, cheap))
        self.columns = len(p.cost)
        self.stages = [len(lp.cost) for lp, _ in stages]  # the LPs to solve, by columns, in order
        self.guide = stages[0][1]  # the folding of the LP whose solution the search is given (None: unfolded)
        self._dive_stage = next((k for k, (_, f) in enumerate(stages) if f is dives), None) if dive is not None else None
        self._thread = threading.Thread(target=self._run_and_dive, args=(stages,), daemon=True)
        self._thread.start()

    def _run_and_dive(self, stages) -> None:
        """Each stage's LP in turn (the cheapest-wage relaxation, the folded LP, the whole LP for the dive).
        The first stage's solution is the one the search is given (`solution`); the bound is the exact LP's
        once solved (`result`), the relaxation's until then. A dive starts from its LP's vertex: the whole
        LP's, after the others, or the folded LP that guides, at once (the exact LP is solved after it, for
        the bound)."""
        try:
            for k, (lp, folding) in enumerate(stages):
                if self._stopped:
                    break
                if (self._bound_fits is not None and self._dive_stage is not None and k > self._dive_stage
                        and not self._bound_fits(self, len(lp.cost))):
                    self.skipped.append(len(lp.cost))
                    break
                relaxed = folding is not None and folding.relaxed
                crossed = self._run(lp, folding)
                if relaxed:
                    self.relaxed_bound, self._value = self._value, None  # below the LP: not its bound
                elif self._value is not None:
                    self._exact.set()
                if k == 0:
                    self._guide = self._solution
                    self._solved.set()
                if self._solution is None:
                    break
                if k == self._dive_stage:
                    if crossed:
                        self._dive_start = self._solution
                        self.dive_columns = len(lp.cost)
                        rounded = self._diving(lp)
                        self._rounded = folding.unfold(rounded) if rounded is not None and folding else rounded
                    self._dived.set()
        finally:
            self._solved.set()
            self._exact.set()
            self._dived.set()
            self._done.set()

    def _run(self, p: LinearProgram, folding=None) -> bool:
        """Solve the LP (folded by `folding`, if given: its solution is unfolded); whether it ended on a
        vertex (with a basis the dive can start from)."""
        h = self._highs
        h.clearModel()
        h.HandleUserInterrupt = True  # (again: a cleared model may not keep it, and the cancel went unheard)
        iterations, pivots, began = self.iterations, self.pivots, time.monotonic()
        try:
            return self._solve(h, p, folding)
        finally:
            self.runs.append((len(p.cost), self.iterations - iterations, self.pivots - pivots,
                              time.monotonic() - began))

    def _solve(self, h, p: LinearProgram, folding) -> bool:
        import highspy

        inf = highspy.kHighsInf
        h.addVars(len(p.cost), np.clip(p.lower, -inf, inf), np.clip(p.upper, -inf, inf))
        scale = cost_scale(p.cost)
        h.changeColsCost(len(p.cost), np.arange(len(p.cost), dtype=np.int32), p.cost * scale)
        h.changeObjectiveOffset(p.offset * scale)
        h.addRows(len(p.row_lower), np.clip(p.row_lower, -inf, inf), np.clip(p.row_upper, -inf, inf),
                  len(p.index), p.starts[:-1].astype(np.int32), p.index.astype(np.int32), p.value)
        # IPX by name and one thread: "ipm" would take HiGHS's multi-threaded HiPO where it is installed,
        # whose iterations (hence the plan's time budget) differ.
        h.setOptionValue("solver", "ipx")
        h.setOptionValue("threads", 1)
        h.setOptionValue("ipm_iteration_limit", IPM_ITERATION_LIMIT)
        h.setOptionValue("simplex_iteration_limit", CLEANUP_LIMIT)
        for crossover in ("on", "off"):
            if self._stopped:
                return False
            h.clearSolver()
            h.setOptionValue("run_crossover", crossover)
            h.run()
            info = h.getInfo()
            self.iterations += int(info.ipm_iteration_count)
            self.pivots += int(info.crossover_iteration_count) + int(info.simplex_iteration_count)
            self.cleanup += int(info.simplex_iteration_count)
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal and not self._stopped:
                solution = h.getSolution()
                value = lagrangian_bound(p, np.array(solution.row_dual) / scale) if solution.dual_valid else math.nan
                if math.isfinite(value):
                    self._value = value if self._value is None else max(self._value, value)
                self._raw = np.array(solution.col_value)
                self._solution = folding.unfold(self._raw) if folding is not None else list(self._raw)
                return crossover == "on"
            if info.ipm_iteration_count >= IPM_ITERATION_LIMIT:
                return False  # the interior point itself did not converge: a second run would not either
        return False

    def _diving(self, p: LinearProgram) -> list[float] | None:
        """Fix what `dive` names, re-solve from the last basis (dual simplex), until it names nothing: the
        last solution, or None if the budget ran out, the dive named nothing new, or it was cancelled (a dive
        that is `partial` by then gives its last solution, unless cancelled: a folded LP's few counts still
        part are dealt out rounded).
        The dive's checks of an agent's week are necessary, not sufficient: where fixing its shifts to 1
        makes the LP infeasible, the first half of them is tried, and a single such shift is fixed to 0.
        A dive may fix columns at other values than 1 and 0 (a folded LP's counts): its `up` and `down`."""
        import highspy

        h = self._highs
        h.setOptionValue("solver", "simplex")
        fixed = np.zeros(len(p.cost), dtype=bool)
        values = np.array(self._raw)
        up = getattr(self._dive, "up", None)
        down = getattr(self._dive, "down", None)


        def level(cols, at):
            return at[cols] if at is not None else None

        def short():  # the budget or the LP ended the dive early
            return list(values) if getattr(self._dive, "partial", False) and not self._stopped else None
        while not self._stopped:
            ones, zeros = self._dive(values, fixed)
            if not ones and not zeros:
                return list(values)
            if fixed[ones].all() and fixed[zeros].all():
                return short()  # no progress: it would loop
            if self.dive_pivots >= self._dive_budget:
                return short()
            self._fix(zeros, level(zeros, down), 0.0)
            fixed[zeros] = True
            trial = [c for c in ones if not fixed[c]]
            while True:  # fixing `trial` to 1; an infeasible re-solve tries the first half, one shift fixes it to 0
                self._fix(trial, level(trial, up), 1.0)
                status = self._resolve()
                if status == highspy.HighsModelStatus.kOptimal:
                    fixed[trial] = True
                    break
                if status != highspy.HighsModelStatus.kInfeasible or self._stopped or not trial:
                    return short()
                if len(trial) == 1:
                    self._fix(trial, level(trial, down), 0.0)
                    fixed[trial] = True
                    if self._resolve() != highspy.HighsModelStatus.kOptimal:
                        return short()
                    break
                self._bounds(trial, p.lower[trial], p.upper[trial])
                trial = trial[:len(trial) // 2]
            self.dive_rounds += 1
            values = np.array(h.getSolution().col_value)
        return None

    def _fix(self, cols: list[int], at: np.ndarray | None, default: float) -> None:
        values = at if at is not None else np.full(len(cols), default)
        self._bounds(cols, values, values)

    def _bounds(self, cols: list[int], lower: np.ndarray, upper: np.ndarray) -> None:
        if cols:
            self._highs.changeColsBounds(len(cols), np.array(cols, dtype=np.int32), np.asarray(lower, dtype=float),
                                         np.asarray(upper, dtype=float))

    def _resolve(self):
        """Re-solve within what is left of the dive's budget; the model status."""
        h = self._highs
        h.setOptionValue("simplex_iteration_limit", max(self._dive_budget - self.dive_pivots, 0))
        h.run()
        self.dive_pivots += int(h.getInfo().simplex_iteration_count)
        return h.getModelStatus()

    def result(self, wait: float | None = None) -> float | None:
        """The bound, once the LP is done (the dive does not change it); until then the cheapest-wage
        relaxation's, if it was solved."""
        if self._thread is not None and self._exact.wait(wait) and self._value is not None:
            return self._value
        return self.relaxed_bound

    def _wait(self, wait: float | None) -> bool:
        """Wait up to `wait` seconds; whether the LP or its dive is still at work."""
        return self._thread is not None and not self._done.wait(wait)

    def solution(self, wait: float | None = None) -> list[float] | None:
        """The guiding LP's value of every model variable, by proto index (None if it was not solved); after
        a dive, the whole LP's vertex it started from."""
        if self._thread is None or not self._solved.wait(wait):
            return None
        return self._dive_start if self._rounded is not None else self._guide

    def rounded(self, wait: float | None = None) -> list[float] | None:
        """The dive's last solution, every shift whole (None if there was no dive, it failed or was
        cancelled, or it is not done after `wait` seconds)."""
        if self._dive is None or self._thread is None:
            return None  # (not waiting for LPs that only bound)
        return self._rounded if self._dived.wait(wait) else None

    def cancel(self) -> None:
        """Stop a solve still running (the wall cap, Ctrl-C, the plan done), so it does not hold a core."""
        if self._highs is not None:
            self._stopped = True
            self._highs.cancelSolve()

    def close(self, wait: float = 60.0) -> None:
        """Cancel, and wait for the thread to leave HiGHS: a process that exits (Ctrl-C before the first
        plan) while the thread is inside it aborts ("terminate called without an active exception")."""
        self.cancel()
        if self._thread is None:
            return
        interrupted = False
        while self._thread.is_alive() and wait > 0:
            try:
                self._thread.join(min(wait, 0.5))
                wait -= 0.5
            except KeyboardInterrupt:  # a second Ctrl-C while HiGHS stops: still wait for it, then pass it on
                interrupted = True
        if interrupted:
            raise KeyboardInterrupt

    @property
    def diving(self) -> bool:
        return self._dive is not None

    @property
    def exact_done(self) -> bool:
        """The exact LP (whole or folded) is solved: its bound, not the relaxation's, is the result."""
        return self._exact.is_set() and self._value is not None

    def dive_running(self) -> bool:
        """The LP the dive starts from, or the dive itself, is still at work."""
        return self._dive is not None and self._thread is not None and not self._dived.is_set()

    @property
    def started(self) -> bool:
        return self._thread is not None

    def running(self) -> bool:
        """The LP or its dive is still at work."""
        return self._wait(0)
