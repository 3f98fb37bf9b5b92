"""The search: a list of named passes over the model, each on a share of the time limit.

CP-SAT's default parallel search finds good rotas but a different one each
run (workers share solutions as they happen to finish). Searches on
deterministic time are reproducible: single-threaded ones, and interleaved
LNS. Complete search proves small weeks optimal fast but barely improves
large ones, and LNS improves them but proves nothing and needs a good start.
The best start found is the LP relaxation rounded to whole shifts by diving
(`scheduler.search.rounding`): better, at every size measured, than a greedy
week, the LP rounded in one go, or CP-SAT searching like a MIP solver on the
LP's shifts. The LP relaxation gives the bound; CP-SAT's own proven bound is
used where it is higher. docs/model.md has the figures.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

from ortools.sat.python import cp_model

from scheduler.cpsat import run_solver, run_stoppable
from scheduler.model import UNITS, RotaModel
from scheduler.search.config import SearchConfig
from scheduler.domain import FixedShift
from scheduler.search.greedy import dealt_hint_values, dived_hint_values, hint_values, kept_hint_values, rounded_hint_values
from scheduler.search.models import apply_hint, lp_guided, named_solution, with_shifts_fixed
from scheduler.search.fold import programs
from scheduler.search.relax import LpBound
from scheduler.search.result import PassRecord, Progress, SolveResult, plain_result
from scheduler.search.rounding import ShiftDive


def solve(m: RotaModel, time_limit: float | None = None, workers: int | None = None, seed: int | None = None,
          report: Callable[[float, float, float], None] | None = None,
          config: SearchConfig = SearchConfig(), start: list[FixedShift] | None = None) -> SolveResult:
    """Plan `m` within `time_limit` seconds (default: policy.toml), reporting each better plan to `report`.
    `start`: a rota to start from (a published week, a baseline) instead of the greedy one."""
    search = Search(m, config, time_limit, workers, seed, report, start)
    try:
        return search.plan()
    finally:
        search.lp.close()  # an LP still running (Ctrl-C, the cap, an optimal first pass) must not hold a core


@dataclass(frozen=True)
class Incumbent:
    """The current plan: the model it is read back through, the solver holding it, and its status."""

    model: RotaModel
    solver: cp_model.CpSolver
    status: int


class Search:
    """One search's state: the plan so far (`start`, by variable name), the work spent, the LP beside it."""

    def __init__(self, m: RotaModel, config: SearchConfig, time_limit: float | None, workers: int | None,
                 seed: int | None, report: Callable[[float, float, float], None] | None,
                 start: list[FixedShift] | None = None):
        settings = m.scenario.policy.solver
        self.m, self.config = m, config
        self.asked = float(time_limit if time_limit is not None else settings.time_limit_seconds)
        self.size = len(m.model.Proto().variables)
        # The search's share of the limit: what building, the LP's reading and the evaluation take besides is
        # estimated from the size (deterministic), so a whole plan ends near the limit it was given.
        self.limit = config.search_seconds(self.asked, self.size)
        self.workers = int(workers or settings.workers)
        self.seed = int(seed if seed is not None else settings.seed)
        self.share = config.share_per_round(self.size)
        # The LP is always solved, over kinds of agent (`search.fold`): for the bound, and to guide the search
        # where it should be done within lp_share of the limit. Where it should not, the cheapest-wage
        # relaxation is solved first, for a bound within seconds. The LP reads the model now, before any pass
        # changes its hints.
        # A dive rounds the whole LP, from its basis: where the whole LP and its dive fit, the whole LP is
        # solved (its bound is the folded one's). Else the LP folded over kinds of agent guides the search if
        # it fits; else the cheapest-wage relaxation, folded further, if that fits (the exact LP follows it,
        # for the bound); else neither guides and the search runs beside the LPs.
        program, exact, cheap = programs(m.model, relaxed=True)
        self.kinds = exact.kinds if exact is not None else len(m.options)
        fits = config.lp_share * self.limit
        self.lp_time = config.lp_expected_seconds(self.size)
        dive_seconds = config.rounding_share * self.limit - self.lp_time
        self.diving = (self.lp_time <= fits and self.size <= config.rounding_max_variables
                       and config.dive_expected_seconds(self.size) <= dive_seconds)
        first = None  # the cheapest-wage relaxation, solved first
        if self.diving:
            exact = None
        else:
            self.lp_time = config.lp_expected_seconds(len(exact.lp.cost)) if exact is not None else self.lp_time
            if self.lp_time > fits and cheap is not None:
                first = cheap
                cheap_time = config.lp_expected_seconds(len(cheap.lp.cost))
                self.lp_time = cheap_time if cheap_time <= fits else self.lp_time + cheap_time
        self.guiding = self.lp_time <= fits
        # Where the whole LP's dive does not fit, the folded LP that guides is dived itself (its counts of each
        # kind's agents on each shift made whole) for as long as fold_dive_share of the limit lets it, and its
        # counts are dealt out among each kind's agents (`search.deal`). Its budget decides, not an estimate of
        # its length: a dive cut short with few counts left part is dealt out as it is, else the LP's shifts
        # are rounded in one go.
        self.folded = None  # the folding dived
        self.dive_time = config.dive_expected_seconds(self.size) if self.diving else 0.0
        dived_columns = self.size
        guide = first if first is not None else exact
        if not self.diving and self.guiding and guide is not None and config.fold_dive:
            self.folded = guide
            dived_columns = len(guide.lp.cost)
            dive_seconds = max(config.fold_dive_share * self.limit - self.lp_time, 0.0)
            self.dive_time = min(config.dive_expected_seconds(dived_columns, folded=True), dive_seconds)
        # The dive's budget in pivots is all the time it may take, not what it should: past it, the whole LP is
        # rounded in one go.
        dive = (ShiftDive(m, self.share) if self.diving else
                ShiftDive(m, config.share_per_round(dived_columns), self.folded) if self.folded is not None else None)
        pivot = config.dive_pivot_seconds(dived_columns, folded=self.folded is not None)
        self.lp = LpBound(m.model, start=True, dive=dive, dive_pivots=int(dive_seconds / pivot) if dive else 0,
                          prepared=(program, exact, first), bound_fits=self.bound_fits)
        self.proven = -math.inf  # CP-SAT's own bound, from the complete search
        self.progress = Progress(report, self.best_bound)
        self.deadline = self.progress.start + config.wall_cap * self.asked
        self.work = 0.0  # deterministic seconds spent
        self.used = 0.0  # seconds of the limit, as work
        self.capped = self.interrupted = self.adopted = False
        self.exact: cp_model.CpSolver | None = None  # the complete search's solver, if it found the plan
        self.best: Incumbent | None = None
        self.how = ""  # where the LNS on the LP's shifts started
        self.passes: list[PassRecord] = []  # as they ran
        try:
            self.start = kept_hint_values(m, start) if start is not None else hint_values(m)
        except BaseException:
            self.lp.close()  # Ctrl-C (or a bug) in the greedy start: the LP's thread must not outlive it
            raise

    # ------------------------------------------------------------------ the passes, in order

    def plan(self) -> SolveResult:
        """A short complete search from the greedy plan (done if optimal); LNS with the shifts fixed beside
        the LP and its dive; the LP rounded to a rota, its breaks and queues by LNS; LNS on the model
        restricted to the shifts the LP and the plan use; LNS on the whole model if that found nothing."""
        c = self.config
        try:
            if self.run("complete search", self.m, self.m.model, c.exact_share * self.limit, lns_only=False, rate=c.search_rate):
                return self.finish(interrupted=not (self.best and self.best.status == cp_model.OPTIMAL))
            if self.best:
                self.proven = self.best.solver.BestObjectiveBound()
            if self.shifts_fixed_beside_lp():
                return self.finish(interrupted=True)
            if not self.guiding:
                # The LP should not be done in time to guide the search (by its size): LNS on the whole model
                # beside it, whose bound is reported if it is done by the limit (the cheapest-wage one if not).
                self.run("whole-model LNS beside the LP", self.m, self.m.model, max(self.limit - self.used, 0.0),
                         lns_only=True, threads=max(self.workers - 1, 1), rate=c.whole_beside_rate)
                return self.finish(interrupted=self.interrupted)
            solution, dived = self.wait_for(self.lp)
            improved = False
            if solution is not None:
                # The LP's time counts from its iterations (deterministic), so the search ends near the limit
                # on any machine without depending on how long the LP took there.
                self.used = max(self.used, c.lp_seconds(self.lp))
                stop, improved = self.lns_from_the_lp(solution, dived)
                if stop:
                    return self.finish(interrupted=True)
            if not improved:  # no LP, or nothing better from it: LNS on the whole model
                self.run("whole-model LNS", self.m, self.m.model, max(self.limit - self.used, c.polish_share * self.limit),
                         lns_only=True, rate=c.whole_lns_rate(self.size))
            stopped = self.interrupted
        except KeyboardInterrupt:
            # Ctrl-C between passes (building one, or waiting for the LP): the plan of the last pass is kept.
            stopped = True
        return self.finish(interrupted=stopped)

    def shifts_fixed_beside_lp(self) -> bool:
        """The plan's breaks and queues by LNS with its shifts fixed. While the LP has a core of its own, this
        pass leaves it that core, until the LP and its dive should be done (so no core waits for them idle),
        and at least stagger_share. The shifts-fixed model has the whole model's variables: its plan is read
        back through `m`."""
        c = self.config
        expected = self.lp_time + self.dive_time
        stagger = max(c.stagger_share * self.limit, expected - self.used if self.guiding else 0.0)
        beside = self.lp.started and self.workers > 1
        return self.run("shifts fixed", self.m, with_shifts_fixed(self.m, self.start), stagger, lns_only=True,
                        threads=self.workers - 1 if beside else self.workers,
                        rate=c.beside_lp_rate if beside else c.fixed_lns_rate)

    def lns_from_the_lp(self, solution: list[float], dived: list[float] | None) -> tuple[bool, bool]:
        """LNS needs a start near the LP: the dive's shifts (where the whole LP's did not fit, the restricted
        model's LP's; else the LP's rounded in one go), breaks and queues placed by LNS, if that is better;
        then LNS on the restricted model. (Stop, improved)."""
        c = self.config
        guided = lp_guided(self.m, solution, self.start)
        self.used += c.build_seconds(len(guided.model.Proto().variables))
        if dived is not None and self.folded is not None:
            rounded, work = dealt_hint_values(self.m, dived, self.folded.members)
            self.how = "folded dive"
            self.used += work / c.deal_rate
        elif dived is not None:
            rounded, self.how = dived_hint_values(self.m, dived), "dived"
        else:
            rounded = None
        if rounded is None:
            rounded, stop = self.dive_restricted(guided)
            if stop:
                return True, False
            self.how = "restricted dive" if rounded is not None else ""
        if rounded is None:
            kinds = self.lp.guide.members if self.lp.guide is not None else None
            rounded, self.how = rounded_hint_values(self.m, solution, kinds), "rounded"
        self.used += c.build_seconds(self.size)  # the start's hint, and the model with its shifts fixed
        if self.run(f"{self.how} start", self.m, with_shifts_fixed(self.m, rounded), c.rounded_share * self.limit, lns_only=True,
                    hint=rounded, rate=c.fixed_lns_rate):
            return True, False
        if self.limit - self.used < c.polish_share * self.limit:
            return False, True  # no time left for LNS (a long dive): the start is the plan
        if self.adopted:
            guided = lp_guided(self.m, solution, self.start)  # with the rounded plan's shifts
            self.used += c.build_seconds(len(guided.model.Proto().variables))
        before, left = len(self.progress.events), max(self.limit - self.used, 0.0)
        rate = c.restricted_lns_rate(len(guided.model.Proto().variables))
        if self.run("restricted LNS", guided, guided.model, left, lns_only=True, rate=rate):
            return True, False
        return False, len(self.progress.events) > before

    def dive_restricted(self, guided: RotaModel) -> tuple[dict[str, int] | None, bool]:
        """Where the whole LP's dive did not fit: the restricted model's own LP, dived in a thread while LNS
        on that model has the other core, if both fit. The dived rota as a hint (None if there is none),
        and whether the search should stop here (interrupted)."""
        c = self.config
        g = len(guided.model.Proto().variables)
        room = c.rounding_share * self.limit - self.used
        expected = c.lp_expected_seconds(g) + c.restricted_pivots * g * c.dive_pivot_seconds(g)
        if expected > room:
            return None, False
        sub = LpBound(guided.model, start=True, dive=ShiftDive(guided, self.share),
                      dive_pivots=int((room - c.lp_expected_seconds(g)) / c.dive_pivot_seconds(g)))
        used = self.used
        try:
            if self.run("restricted LNS beside its dive", guided, guided.model, expected, lns_only=True,
                        threads=self.workers - 1 if self.workers > 1 else self.workers, rate=c.restricted_lns_rate(g)):
                return None, True
            _, dived = self.wait_for(sub)
        finally:
            sub.close()
        self.used = max(self.used, used + c.lp_seconds(sub))
        return (dived_hint_values(guided, dived) if dived is not None else None), False

    # ------------------------------------------------------------------ running one pass

    def run(self, name: str, holder: RotaModel, model: cp_model.CpModel, seconds: float, lns_only: bool, *, rate: float,
            threads: int | None = None, hint: dict[str, int] | None = None) -> bool:
        """One pass from `start` with `seconds` of the time limit as work; True when the search should stop
        here (interrupted, or proven optimal). From another `hint`, its plan replaces the current one only
        if it is better. `rate`: the work per second of one of its threads on this model."""
        threads = self.workers if threads is None else threads
        apply_hint(model, self.start if hint is None else hint)
        solver = cp_model.CpSolver()
        if lns_only:
            rate *= threads
        setup = self.config.setup_seconds(len(model.Proto().variables))
        _params(solver, max(seconds - setup, 0.0) * rate, self.deadline - time.monotonic(), threads, self.seed, lns_only)
        began = time.monotonic()
        status, interrupted, capped = _solve_interruptibly(solver, model, self.progress)
        wall = time.monotonic() - began
        self.work += solver.response_proto.deterministic_time
        self.used += solver.response_proto.deterministic_time / rate + setup
        self.capped |= capped
        self.interrupted = interrupted
        better = hint is None or not self.best or solver.ObjectiveValue() < self.best.solver.ObjectiveValue()
        self.adopted = status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and better
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        self.passes.append(PassRecord(name, solver.response_proto.deterministic_time / rate,
                                      solver.ObjectiveValue() / UNITS if found else math.nan, self.adopted, wall,
                                      len(model.Proto().variables)))
        if self.adopted:
            self.best = Incumbent(holder, solver, status)
            self.start = named_solution(model, solver)
            if not lns_only:
                self.exact = solver
        return interrupted or (status == cp_model.OPTIMAL and not lns_only)

    def bound_fits(self, lpb: LpBound, columns: int) -> bool:
        """An LP after the dive, for the bound alone, is started only if it should end within the limit,
        on the LP thread's own (deterministic) time so far: the search, no longer waiting, has both cores."""
        c = self.config
        return c.lp_seconds(lpb) + c.lp_expected_seconds(columns) <= self.limit

    def wait_for(self, lpb: LpBound) -> tuple[list[float] | None, list[float] | None]:
        """The LP's solution and its dive's (each None if there is none), waited for up to the wall cap; an
        LP or dive still at work then is cancelled, and the plan may not be reproducible."""
        solution = lpb.solution(wait=max(self.deadline - time.monotonic(), 0.0))
        dived = lpb.rounded(wait=max(self.deadline - time.monotonic(), 0.0)) if solution is not None else None
        if dived is not None:
            solution = lpb.solution(wait=0)  # the vertex the dive started from
        # (An LP after a folded dive only bounds, and may go on.)
        if lpb.running() and (solution is None or lpb.dive_running()):  # the wall clock, not the LP's limits, decided
            self.capped = True
            lpb.cancel()
        return solution, dived

    def best_bound(self) -> float:
        value = max(self.lp.result(wait=0) or -math.inf, self.proven)
        return value / UNITS if value > -math.inf else math.nan

    # ------------------------------------------------------------------ the result

    def finish(self, interrupted: bool) -> SolveResult:
        if not self.best:
            if interrupted:
                raise KeyboardInterrupt
            result = self.fallback()
            return self.with_bounds(result, result.objective * UNITS, self.proven)
        holder, solver, status = self.best.model, self.best.solver, self.best.status
        # Only the complete search on the whole model proves optimality; a pass on a restricted model that
        # reports OPTIMAL is optimal for that restriction only.
        proof = status == cp_model.OPTIMAL and solver is self.exact
        result = plain_result(holder, solver, cp_model.OPTIMAL if proof else cp_model.FEASIBLE, self.progress,
                              interrupted)
        return self.with_bounds(result, solver.ObjectiveValue(), solver.ObjectiveValue() if proof else self.proven)

    def bound_from(self, lp_value: float | None, proven: float) -> str:
        """What proved the bound, for Summary: the LP (over how many kinds of agent), the cheapest-wage
        relaxation, or CP-SAT's complete search."""
        if lp_value is None and proven == -math.inf:
            return ""
        if lp_value is None or proven > lp_value:
            return "CP-SAT's complete search"
        agents = len(self.m.options)
        if not self.lp.exact_done and lp_value == self.lp.relaxed_bound:
            return f"LP relaxation at each kind's cheapest wage, {self.lp.guide.kinds} kinds of {agents} agents"
        if self.kinds < agents:
            return f"LP relaxation, {self.kinds} kinds of {agents} agents"
        return f"LP relaxation ({agents} agents)"

    def fallback(self) -> SolveResult:
        """No plan found in the time left: the starting plan (greedy or an earlier pass), never an empty
        roster. Every shift and break is fixed to the start's values and its complete hint is accepted."""
        m = self.m
        fixed = with_shifts_fixed(m, self.start)
        for lits in m.breaks.values():
            for _, b in lits:
                fixed.add(fixed.get_int_var_from_proto_index(b.index) == int(self.start.get(b.name, 0)))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = 30.0
        solver.parameters.num_workers = 1
        solver.parameters.stop_after_first_solution = True  # the evaluator assigns queues exactly afterwards
        status = run_solver(solver, fixed)
        result = plain_result(m, solver, status, self.progress, False)
        result.status = "FEASIBLE" if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else result.status
        result.note = "no better plan found in the time limit: the starting plan (greedy or an earlier pass) is returned"
        return result

    def with_bounds(self, result: SolveResult, objective_units: float, proven: float) -> SolveResult:
        """Bound and gap from the LP relaxation (waited for until the time limit) and CP-SAT's proven bound."""
        if result.interrupted:
            lp_value = self.lp.result(wait=0)
        else:
            # Up to the limit (an LP that guided the search is done by now): a run ends near its limit.
            lp_value = self.lp.result(wait=max(self.progress.start + self.limit - time.monotonic(), 0.0))
        bound = max(lp_value if lp_value is not None else -math.inf, proven)
        result.bound_from = self.bound_from(lp_value, proven)
        result.lp_bound = lp_value / UNITS if lp_value is not None else math.nan
        result.work, result.capped, result.time_limit, result.start = self.work, self.capped, self.asked, self.how
        result.passes = list(self.passes)
        result.lp_runs, result.variables = list(self.lp.runs), self.size
        result.kinds = self.kinds
        result.path = "LP guides" if self.guiding else "LNS beside the LP"
        if bound > -math.inf and objective_units == objective_units:
            bound = min(bound, objective_units)
            result.bound = bound / UNITS
            result.gap = max(0.0, (objective_units - bound) / max(abs(objective_units), 1e-9))
            if result.gap < 1e-4 and result.status == "FEASIBLE":
                result.status = "OPTIMAL"  # the plan meets its bound
        if result.capped and not result.note:
            result.note = ("the time limit stopped the search before its work budget (a slow or busy machine): "
                           "a rerun may give a different plan")
        return result


def _params(solver: cp_model.CpSolver, work: float, seconds: float, workers: int, seed: int, lns_only: bool) -> None:
    p = solver.parameters
    p.max_deterministic_time = max(work, 0.05)
    p.max_time_in_seconds = max(seconds, 0.1)
    # One worker for complete search (its deterministic time limit is tight; interleaved, it overran it
    # threefold on the sample); interleaved workers for LNS, whose results merge in a fixed order.
    p.num_workers = workers if lns_only else 1
    p.interleave_search = lns_only
    p.use_lns_only = lns_only
    p.random_seed = seed
    p.relative_gap_limit = 1e-4


def _solve_interruptibly(solver: cp_model.CpSolver, model: cp_model.CpModel, progress: Progress) -> tuple[int, bool, bool]:
    """Solve; Ctrl-C stops the search and keeps the best plan found so far. Returns (status, interrupted,
    stopped by the wall clock)."""
    status, stopped = run_stoppable(solver, model, progress.callback())
    early, capped = _how_it_ended(solver, status)
    return status, stopped or early, capped


def _how_it_ended(solver: cp_model.CpSolver, status: int) -> tuple[bool, bool]:
    """(stopped early: Ctrl-C, stopped by the wall clock) for a finished solve. A search that ends short
    of its work budget without proving anything was stopped by one or the other."""
    settled = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID)
    short_of_work = solver.response_proto.deterministic_time < 0.98 * solver.parameters.max_deterministic_time
    short_of_time = solver.WallTime() < solver.parameters.max_time_in_seconds - 0.5
    return short_of_work and short_of_time and not settled, short_of_work and not short_of_time and not settled
