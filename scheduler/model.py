"""The rota as one CP-SAT model, assembled from one builder per rule family.

Decisions: per agent and agent-local day at most one `ShiftOption` (or none),
where in it the unpaid break goes, and per agent and grid interval which one
of the agent's queues the agent serves. Coverage is counted in agent-minutes
per interval, so breaks, shifts that start off the grid and half-hour time
zones count exactly what they give.

Every builder has the same signature, `build(m: RotaModel) -> objective
term`; hard rules return 0. `RULES` lists them and `objective()` sums their
terms in one place. Objective units are 1/UNITS of the scenario currency.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import numpy as np
from ortools.sat.python import cp_model

from scheduler.calendar import Grid
from scheduler.domain import Scenario
from scheduler.pay import PayClock
from scheduler.shifts import ShiftOption, all_options, contract_max_minutes, contract_min_minutes
from scheduler.staffing import Staffing

UNITS = 600_000  # objective units per currency unit: a cent-valued hourly rate is whole units per 1/100 minute
SCALE = 100  # coverage is counted in 1/100 agent-minutes: the requirement (to 1/100 agent) is then exact


def required_units(staffing: Staffing, interval: int) -> dict[str, np.ndarray]:
    """Each queue's requirement per interval in 1/SCALE agent-minutes, exactly (it is given to 1/100 agent)."""
    return {q: np.round(staffing.required(q) * interval * SCALE).astype(np.int64) for q in staffing.loads}


def overlap(a: int, b: int, c: int, d: int) -> int:
    return max(0, min(b, d) - max(a, c))


def interval_overlaps(a: int, b: int, interval: int, size: int):
    """(interval, minutes) pairs that the span [a, b) covers on the grid."""
    first, last = max(a, 0) // interval, min(b, size * interval) - 1
    for i in range(first, last // interval + 1 if last >= 0 else first):
        m = overlap(a, b, i * interval, (i + 1) * interval)
        if m:
            yield i, m


def worked_per_interval(o: ShiftOption, offset: int | None, interval: int, size: int) -> dict[int, int]:
    """Minutes the shift works in each grid interval, its break (starting `offset` after the start) left out."""
    out = dict(interval_overlaps(o.start, o.end, interval, size))
    if offset is not None:
        for i, mins in interval_overlaps(o.start + offset, o.start + offset + o.break_minutes, interval, size):
            out[i] -= mins
    return {i: v for i, v in out.items() if v > 0}


def eligible_queues(scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """Queues each agent can serve: those of a language the agent speaks, in the agent's language order."""
    out = {}
    for a in scenario.agents.values():
        out[a.agent_id] = tuple(q.queue for lang in a.languages for q in scenario.queues if q.language == lang)
    return out


def row_queues(scenario: Scenario, agent_id: str, languages: tuple[str, ...]) -> tuple[str, ...]:
    """The queues a roster row lets its agent serve: those of the row's languages that the agent speaks."""
    language = {q.queue: q.language for q in scenario.queues}
    return tuple(q for q in eligible_queues(scenario)[agent_id] if language[q] in languages)


@dataclass
class Coverage:
    """Result of `add_coverage`: the variables a solution is read back from."""

    serve: dict[tuple[str, int], list[tuple[str, object]]]  # (agent or pool, interval) -> [(queue, literal, minutes var or True)]
    shortfall: dict[tuple[str, int], cp_model.IntVar]
    need: dict[tuple[str, int], int]  # required 1/SCALE minutes where there is a shortfall variable
    term: object


def add_coverage(model: cp_model.CpModel, worked: dict[str, dict[int, object]],
                 eligible: Callable[[str, int], tuple[str, ...]], required: dict[str, np.ndarray],
                 interval: int, price_per_unit: int,
                 heads: dict[str, dict[int, object]] | None = None) -> Coverage:
    """Language assignment and shortfall: the rule shared by `plan` and `evaluate`.

    A multilingual agent serves one queue per interval, never two (a literal
    per queue, at most one true); the minutes served are capped by the minutes
    worked. Shortfall per queue and interval is what is below the
    requirement (`required_units`), priced per unit. `worked` values are linear expressions in
    the planning model and plain integers when evaluating a fixed roster.
    """
    cover: dict[tuple[str, int], list] = {}
    people: dict[tuple[str, int], list] = {}  # agents (whole heads) sent to each queue and interval, with pools
    serve: dict[tuple[str, int], list] = {}
    for agent, per_interval in worked.items():
        for i, w in per_interval.items():
            here = [q for q in eligible(agent, i) if required[q][i] > 0]
            if not here or (isinstance(w, int) and w <= 0):
                continue
            if len(here) == 1:
                cover.setdefault((here[0], i), []).append(w)
                serve[(agent, i)] = [(here[0], True)]
                if heads is not None:
                    people.setdefault((here[0], i), []).append(heads[agent][i])
                continue
            if heads is not None:
                flows, counts = [], []
                for q in here:
                    f = model.NewIntVar(0, 10**7, f"minutes(pool={agent}, i={i}, queue={q})")
                    k = model.NewIntVar(0, 10**4, f"agents(pool={agent}, i={i}, queue={q})")
                    model.Add(f <= interval * k)
                    flows.append(f)
                    counts.append(k)
                    cover.setdefault((q, i), []).append(f)
                    people.setdefault((q, i), []).append(k)
                model.Add(sum(flows) <= w)
                model.Add(sum(counts) <= heads[agent][i])
                serve[(agent, i)] = list(zip(here, flows, counts))
                continue
            literals = []
            for q in here:
                y = model.NewBoolVar(f"serves(agent={agent}, i={i}, queue={q})")
                served = model.NewIntVar(0, interval, f"minutes(agent={agent}, i={i}, queue={q})")
                model.Add(served <= w)
                model.Add(served <= interval * y)
                cover.setdefault((q, i), []).append(served)
                literals.append((q, y))
            model.AddAtMostOne(y for _, y in literals)
            # Redundant but tightens the LP: a half-present agent cannot count fully in two queues.
            model.Add(sum(cover[(q, i)][-1] for q in here) <= w)
            serve[(agent, i)] = literals
    shortfall, terms, needs = {}, [], {}
    for q, req in required.items():
        for i in np.flatnonzero(req > 0):
            i = int(i)
            need = int(req[i])
            s = model.NewIntVar(0, need, f"shortfall(queue={q}, i={i})")
            model.Add(s + SCALE * sum(cover.get((q, i), [])) >= need)
            whole, part = divmod(need, interval * SCALE)
            if heads is not None and part:
                # Rounding cut: minutes come in whole agents of at most `interval` each, so with K agents
                # the shortfall is at least part * (whole + 1 - K). Valid for every rota, and it gives the
                # relaxation the cost of rounding a fractional requirement to whole people.
                model.Add(s + part * sum(people.get((q, i), [])) >= part * (whole + 1))
            shortfall[(q, i)] = s
            needs[(q, i)] = need
            terms.append(s)
    return Coverage(serve, shortfall, needs, price_per_unit * sum(terms) if terms else 0)


class RotaModel:
    """The variables of the rota, with accessors named for what they mean."""

    def __init__(self, scenario: Scenario, grid: Grid, staffing: Staffing,
                 options: dict[str, list[ShiftOption]] | None = None):
        self.scenario, self.grid, self.staffing = scenario, grid, staffing
        self.model = cp_model.CpModel()
        self.options = options if options is not None else all_options(scenario, grid)
        self.pay = {s: PayClock(site, grid, scenario.policy.rules) for s, site in scenario.sites.items()}
        self.x: dict[tuple[str, int], cp_model.IntVar] = {}
        self.breaks: dict[tuple[str, int], list[tuple[int, cp_model.IntVar]]] = {}
        for a, opts in self.options.items():
            for j, o in enumerate(opts):
                x = self.model.NewBoolVar(f"works(agent={a}, day={o.day}, shift={o.template}, start={o.clock})")
                self.x[(a, j)] = x
                if o.break_minutes:
                    lits = [(k, self.model.NewBoolVar(f"break(agent={a}, day={o.day}, shift={o.template}, start={o.clock}, offset={k})"))
                            for k in o.break_offsets]
                    self.breaks[(a, j)] = lits
        self.coverage: Coverage | None = None

    def shift_cost(self, agent: str, j: int) -> int:
        """The shift's pay, break included, in objective units (the break's pay is taken off separately)."""
        a, o = self.scenario.agents[agent], self.options[agent][j]
        return int(round(self.pay[a.site].cost(a.hourly_cost, o.start, o.end) * UNITS))

    def break_cost(self, agent: str, j: int, offset: int) -> int:
        a, o = self.scenario.agents[agent], self.options[agent][j]
        s = o.start + offset
        return int(round(self.pay[a.site].cost(a.hourly_cost, s, s + o.break_minutes) * UNITS))

    def works(self, agent: str, j: int) -> cp_model.IntVar:
        return self.x[(agent, j)]

    def days(self, agent: str) -> dict[date, list[int]]:
        out: dict[date, list[int]] = {}
        for j, o in enumerate(self.options[agent]):
            out.setdefault(o.day, []).append(j)
        return out

    def worked_minutes(self) -> tuple[dict[str, dict[int, object]], dict[str, dict[int, object]]]:
        """Per agent and interval, the minutes worked (shift minus break) and whether on duty (0/1),
        as linear expressions; on duty = some minute of the interval worked."""
        I, n = self.grid.interval_minutes, self.grid.size
        minutes: dict[str, dict[int, list]] = {}
        duty: dict[str, dict[int, list]] = {}
        for (a, j), x in self.x.items():
            o = self.options[a][j]
            per, on = minutes.setdefault(a, {}), duty.setdefault(a, {})
            for i, mins in interval_overlaps(o.start, o.end, I, n):
                per.setdefault(i, []).append(mins * x)
                on.setdefault(i, []).append(x)
            for k, b in self.breaks.get((a, j), []):
                for i, mins in interval_overlaps(o.start + k, o.start + k + o.break_minutes, I, n):
                    per.setdefault(i, []).append(-mins * b)
                    if mins == overlap(o.start, o.end, i * I, (i + 1) * I):
                        on[i].append(-b)  # the break takes all the shift's minutes of this interval
        return ({a: {i: sum(t) for i, t in per.items()} for a, per in minutes.items()},
                {a: {i: sum(t) for i, t in per.items()} for a, per in duty.items()})


# ------------------------------------------------------------------ rule builders

def one_shift_per_day(m: RotaModel):
    """An agent works at most one shift per agent-local day."""
    for a in m.options:
        for js in m.days(a).values():
            m.model.AddAtMostOne(m.works(a, j) for j in js)
    return 0


def break_placement(m: RotaModel):
    """A worked shift with an unpaid break has exactly one break, not in its first or last hour."""
    for (a, j), lits in m.breaks.items():
        m.model.Add(sum(b for _, b in lits) == m.works(a, j))
    return 0


def weekly_hours(m: RotaModel):
    """Paid hours within the contract: min_hours (pro rata for leave) to max_hours."""
    for a, opts in m.options.items():
        agent = m.scenario.agents[a]
        paid = sum(o.paid_minutes * m.works(a, j) for j, o in enumerate(opts))
        m.model.Add(paid <= contract_max_minutes(agent))
        low = contract_min_minutes(m.scenario, m.grid, agent)
        if low > 0:
            m.model.Add(paid >= low)
    return 0


def max_days(m: RotaModel):
    """At most max_days shifts in the week."""
    for a, opts in m.options.items():
        if len(m.days(a)) > m.scenario.agents[a].max_days:
            m.model.Add(sum(m.works(a, j) for j in range(len(opts))) <= m.scenario.agents[a].max_days)
    return 0


def min_rest(m: RotaModel):
    """At least min_rest_hours between the end of one shift and the start of the next (absolute time)."""
    rest = int(round(m.scenario.policy.rules.min_rest_hours * 60))
    for a, opts in m.options.items():
        order = sorted(range(len(opts)), key=lambda j: opts[j].start)
        for p_idx, p in enumerate(order):
            for q in order[p_idx + 1:]:
                if opts[q].start - opts[p].end >= rest:
                    break  # later options start later still
                if opts[q].day != opts[p].day:
                    m.model.AddBoolOr([m.works(a, p).Not(), m.works(a, q).Not()])
    return 0


def max_consecutive_days(m: RotaModel):
    """No more than max_consecutive_days worked local days in a row."""
    k = m.scenario.policy.rules.max_consecutive_days
    for a in m.options:
        days = m.days(a)
        if not days:
            continue
        first, last = min(days), max(days)
        span = [first.fromordinal(first.toordinal() + d) for d in range((last - first).days + 1)]
        for s in range(len(span) - k):
            window = [m.works(a, j) for d in span[s:s + k + 1] for j in days.get(d, [])]
            if window:
                m.model.Add(sum(window) <= k)
    return 0


def wage_cost(m: RotaModel):
    """Paid minutes at the agent's rate with night and weekend premiums by the local clock; breaks unpaid."""
    terms = []
    for (a, j), x in m.x.items():
        terms.append(m.shift_cost(a, j) * x)
        for k, b in m.breaks.get((a, j), []):
            terms.append(-m.break_cost(a, j, k) * b)
    return sum(terms)


def coverage_shortfall(m: RotaModel):
    """Each interval's requirement per queue; every agent-minute below it costs shortfall_per_agent_hour / 60.

    Agents who can serve the same set of queues are pooled per interval: the
    pool sends whole agents to its queues and their minutes with them, which
    prices coverage with a tight linear relaxation instead of one literal per
    agent, queue and interval. The evaluator then picks each agent's single
    queue per interval exactly.
    """
    I = m.grid.interval_minutes
    required = required_units(m.staffing, I)
    price = int(round(m.scenario.policy.costs.shortfall_per_agent_hour / 60 / SCALE * UNITS))
    eligible = eligible_queues(m.scenario)
    worked, duty = m.worked_minutes()
    pooled: dict[str, dict[int, list]] = {}
    heads: dict[str, dict[int, list]] = {}
    for a, per in worked.items():
        pool = "+".join(eligible[a])
        for i, w in per.items():
            pooled.setdefault(pool, {}).setdefault(i, []).append(w)
            heads.setdefault(pool, {}).setdefault(i, []).append(duty[a][i])
    queues_of = {"+".join(eligible[a]): eligible[a] for a in worked}
    m.coverage = add_coverage(m.model, {p: {i: sum(ws) for i, ws in per.items()} for p, per in pooled.items()},
                              lambda p, i: queues_of[p], required, I, price,
                              heads={p: {i: sum(hs) for i, hs in per.items()} for p, per in heads.items()})
    return m.coverage.term


RULES: list[Callable[[RotaModel], object]] = [
    one_shift_per_day, break_placement, weekly_hours, max_days, min_rest, max_consecutive_days,
    wage_cost, coverage_shortfall,
]


def build(scenario: Scenario, grid: Grid, staffing: Staffing) -> RotaModel:
    m = RotaModel(scenario, grid, staffing)
    m.model.Minimize(sum(rule(m) for rule in RULES))
    return m


# ------------------------------------------------------------------ solving

@dataclass(frozen=True)
class PlannedShift:
    option: ShiftOption
    break_offset: int | None
    queues: tuple[str, ...]  # queues the agent served during the shift


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


class _Progress:
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


# The search runs on deterministic time, not the wall clock, so the same inputs and seed give the same
# rota on any machine; the time limit converts to a work budget at the rate measured per solver worker on
# 2 cores, and the wall clock only caps it. Per thread, on the sample, 150 and 300 agents, the 30-minute
# week and 1,000 agents (deterministic seconds per second):
FIXED_LNS_WORK_PER_SECOND = 0.43  # LNS with a plan's shifts fixed, in each of two threads: 0.38-0.61
BESIDE_LP_WORK_PER_SECOND = 0.55  # the same in one thread beside the LP: 0.53-0.75
SEARCH_WORK_PER_SECOND = 0.3  # a complete search, one thread: 0.20-0.61, mostly 0.34-0.44


def whole_lns_work_per_second(variables: int) -> float:
    """LNS on the whole model: 0.25, 0.22 and 0.19 at 17 k, 61 k and 186 k variables."""
    return 0.25 * min(1.0, (17_000 / variables) ** 0.11)


def restricted_lns_work_per_second(variables: int) -> float:
    """LNS on the LP-restricted model: 0.39 and 0.41 at 12.6 k and 17.9 k variables in a minute (slower over
    five: 300 agents' 300-s plan took 382 s at 0.41), 0.27 and 0.31 at 31 k (the 30-minute week) and 48 k."""
    return 0.35 * min(1.0, (18_000 / variables) ** 0.32)


# The LP (HiGHS's interior-point method and crossover, scheduler/relax.py) takes 50-80 interior-point
# iterations, each about 0.044 s x (variables / 16,870) ** 1.3 on 2 cores beside the search, and a few
# thousand crossover pivots at about 0.43 ms x (variables / 16,870) (alone, the sample: 51 and 706 in
# 2.5 s; 150 agents, 34 k variables: 59 and 1,556 in 6.9 s; 300 agents, 61 k: 65 and 2,454 in 17.9 s;
# their 30-minute week, 94 k: 76 and 3,784 in 32.3 s; 1,000 agents, 186 k: 79 and 7,592 in 97 s). It is
# started only when it should end within LP_SHARE of the time limit, leaving the rest to the search it
# guides; above that the plan reports no LP bound (benchmarks/run.py solves it to the end) and LNS on the
# whole model plans alone. Its time is counted from its iterations, not the clock, so the split is the
# same on any machine. (GLOP's simplex took 73 s at 300 agents.)
def lp_iteration_seconds(variables: int) -> float:
    return 0.044 * (variables / 16_870) ** 1.3


def lp_pivot_seconds(variables: int) -> float:
    return 0.00043 * variables / 16_870


def lp_expected_seconds(variables: int) -> float:
    # 51-79 interior-point iterations, and crossover pivots about 4 % of the variables (4.0-4.6 %)
    return 65 * lp_iteration_seconds(variables) + 0.042 * variables * lp_pivot_seconds(variables)


# Rounding the LP by diving (scheduler/rounding.py) re-solves it by dual simplex a dozen times: pivots about
# 0.4 x the variables (the sample 0.25, 150 agents 0.29, 300 agents 0.39 and their 30-minute week 0.39),
# each about 0.53 ms x (variables / 34,000) ** 0.85 (150 agents 0.53 ms, 300 agents 0.78, their 30-minute
# week 1.23). At 1,000 agents (185,954 variables) the first round's took 6.6 ms each, three times this:
# no dive above ROUNDING_MAX_VARIABLES, where the formula is not known to hold.
def rounding_pivot_seconds(variables: int) -> float:
    return 0.00053 * (variables / 34_000) ** 0.85


def rounding_expected_seconds(variables: int) -> float:
    return 0.4 * variables * rounding_pivot_seconds(variables)


def lp_seconds(lp, variables: int) -> float:
    """The LP's time and its dive's, from their iterations (deterministic), as the time limit counts it."""
    return (lp.iterations * lp_iteration_seconds(variables) + lp.pivots * lp_pivot_seconds(variables)
            + lp.dive_pivots * rounding_pivot_seconds(variables))


ROUNDING_MAX_VARIABLES = 120_000  # the largest model measured at the formula's pace: 93,573 variables
# Where the whole LP's dive does not fit, the restricted model's LP is solved and dived instead (1,000 agents:
# 59,125 variables, the LP 20 s, the dive 60,301 pivots in 60 s; 300 agents' 21,134: 19,737 pivots): about
# one pivot per variable.
RESTRICTED_PIVOTS = 1.0


LP_SHARE = 0.55  # the LP is started when it should end within this share of the time limit
ROUNDING_SHARE = 0.75  # and rounded by a dive when both should end within this share
WALL_CAP = 2.0  # a slower machine may take up to this multiple of the time limit rather than plan differently
EXACT = 0.05  # share of the budget for a complete search from the greedy plan (proves small weeks optimal)
STAGGER = 0.1  # share (at least) for the breaks and queues of those shifts (beside the LP, which takes a core)
ROUNDED = 0.1  # share for the breaks and queues of the LP rounded to a rota (dived, or in one go)
POLISH = 0.05  # share (at least) for LNS on the whole model when there is no LP solution or step 4 found nothing better


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


def solve(m: RotaModel, time_limit: float | None = None, workers: int | None = None, seed: int | None = None,
          report: Callable[[float, float, float], None] | None = None) -> SolveResult:
    """Greedy start, a complete search, breaks and queues by LNS, the LP rounded to a rota, LNS on its shifts.

    CP-SAT's default parallel search finds good rotas but a different one
    each run (workers share solutions as they happen to finish). Searches on
    deterministic time are reproducible: single-threaded ones, and
    interleaved LNS. Complete search proves small weeks optimal fast but
    barely improves large ones, and LNS improves them but proves nothing
    and needs a good start. The best start found is the LP relaxation
    rounded to whole shifts by diving (`scheduler.rounding`): better, at
    every size measured, than a greedy week, the LP rounded in one go, or
    CP-SAT searching like a MIP solver on the LP's shifts. So: a short
    complete search from the greedy plan (done if optimal), LNS with the
    shifts fixed beside the LP and its dive, the dived rota's breaks and
    queues by LNS, then LNS on the model restricted to the shifts the LP
    and the plan use (`lp_guided`), and a last LNS pass on the whole model
    if that found nothing. The LP relaxation gives the bound; CP-SAT's own
    proven bound is used where it is higher. docs/model.md has the figures.
    """
    from scheduler.greedy import dived_hint_values, hint_values, rounded_hint_values
    from scheduler.relax import LpBound
    from scheduler.rounding import ShiftDive, dive_share

    settings = m.scenario.policy.solver
    limit = float(time_limit if time_limit is not None else settings.time_limit_seconds)
    workers = int(workers or settings.workers)
    seed = int(seed if seed is not None else settings.seed)
    size = len(m.model.Proto().variables)
    share = dive_share(size)
    dive_seconds = ROUNDING_SHARE * limit - lp_expected_seconds(size)
    diving = size <= ROUNDING_MAX_VARIABLES and rounding_expected_seconds(size) <= dive_seconds
    # Its budget in pivots is all the time it may take, not what it should: past it, the LP is rounded in one go.
    lp = LpBound(m.model, start=lp_expected_seconds(size) <= LP_SHARE * limit,
                 dive=ShiftDive(m, share) if diving else None,
                 dive_pivots=int(dive_seconds / rounding_pivot_seconds(size)) if diving else 0)
    proven = [-math.inf]

    def best_bound() -> float:
        value = max(lp.result(wait=0) or -math.inf, proven[0])
        return value / UNITS if value > -math.inf else math.nan

    progress = _Progress(report, best_bound)
    deadline = progress.start + WALL_CAP * limit
    state = {"work": 0.0, "used": 0.0, "capped": False, "limit": limit}  # used: seconds of the limit, as work

    start = hint_values(m)
    best: list = []  # (model the plan is read from, its solver, status) of the last pass that found a plan

    def finish(interrupted: bool) -> SolveResult:
        if not best:
            if interrupted:
                raise KeyboardInterrupt
            result = _fallback(m, start, progress, False)
            return _with_bounds(result, result.objective * UNITS, lp, proven[0], state, deadline)
        holder, solver, status = best
        # Only the complete search on the full model proves optimality; a pass on a restricted model that
        # reports OPTIMAL is optimal for that restriction only.
        proof = status == cp_model.OPTIMAL and solver is state.get("exact")
        result = _plain_result(holder, solver, cp_model.OPTIMAL if proof else cp_model.FEASIBLE, progress, interrupted)
        bound = solver.ObjectiveValue() if proof else proven[0]
        return _with_bounds(result, solver.ObjectiveValue(), lp, bound, state, deadline)

    def run(holder: RotaModel, model: cp_model.CpModel, seconds: float, lns_only: bool, *, rate: float,
            threads: int = workers, hint: dict[str, int] | None = None) -> bool:
        """One pass from `start` with `seconds` of the time limit as work; True when the search should stop
        here (interrupted, or proven optimal). From another `hint`, its plan replaces the current one only
        if it is better. `rate`: the work per second of one of its threads on this model."""
        _hint(model, start if hint is None else hint)
        solver = cp_model.CpSolver()
        if lns_only:
            rate *= threads
        _params(solver, seconds * rate, deadline - time.monotonic(), threads, seed, lns_only)
        status, interrupted, capped = _solve_interruptibly(solver, model, progress)
        state["work"] += solver.response_proto.deterministic_time
        state["used"] += solver.response_proto.deterministic_time / rate
        state["capped"] |= capped
        state["interrupted"] = interrupted
        better = hint is None or not best or solver.ObjectiveValue() < best[1].ObjectiveValue()
        state["adopted"] = status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and better
        if state["adopted"]:
            best[:] = [holder, solver, status]
            start.clear()
            start.update(_named_solution(model, solver))
            if not lns_only:
                state["exact"] = solver
        return interrupted or (status == cp_model.OPTIMAL and not lns_only)

    def wait_for(lpb: LpBound) -> tuple[list[float] | None, list[float] | None]:
        """The LP's solution and its dive's (each None if there is none), waited for up to the wall cap; an
        LP or dive still at work then is cancelled, and the plan may not be reproducible."""
        solution = lpb.solution(wait=max(deadline - time.monotonic(), 0.0))
        dived = lpb.rounded(wait=max(deadline - time.monotonic(), 0.0)) if solution is not None else None
        if lpb.running():  # the wall clock, not the LP's iteration limits, decided
            state["capped"] = True
            lpb.cancel()
        return solution, dived

    def dive_restricted(guided: RotaModel) -> tuple[dict[str, int] | None, bool]:
        """Where the whole LP's dive did not fit: the restricted model's own LP, dived in a thread while LNS
        on that model has the other core (as in step 3), if both fit. The dived rota as a hint (None if
        there is none), and whether the search should stop here (interrupted)."""
        g = len(guided.model.Proto().variables)
        room = ROUNDING_SHARE * limit - state["used"]
        expected = lp_expected_seconds(g) + RESTRICTED_PIVOTS * g * rounding_pivot_seconds(g)
        if expected > room:
            return None, False
        sub = LpBound(guided.model, start=True, dive=ShiftDive(guided, share),
                      dive_pivots=int((room - lp_expected_seconds(g)) / rounding_pivot_seconds(g)))
        used = state["used"]
        try:
            if run(guided, guided.model, expected, lns_only=True, threads=workers - 1 if workers > 1 else workers,
                   rate=restricted_lns_work_per_second(g)):
                return None, True
            _, dived = wait_for(sub)
        finally:
            sub.cancel()
        state["used"] = max(state["used"], used + lp_seconds(sub, g))
        return (dived_hint_values(guided, dived) if dived is not None else None), False

    def passes() -> SolveResult:
        try:
            if run(m, m.model, EXACT * limit, lns_only=False, rate=SEARCH_WORK_PER_SECOND):
                return finish(interrupted=not (best and best[2] == cp_model.OPTIMAL))
            if best:
                proven[0] = best[1].BestObjectiveBound()
            # The shifts-fixed model has the full model's variables: its plan is read back through `m`. While the
            # LP has a core of its own, this pass leaves it that core, until the LP and its dive should be done
            # (so no core waits for them idle), and at least STAGGER.
            expected = lp_expected_seconds(size) + (rounding_expected_seconds(size) if diving else 0.0)
            stagger = max(STAGGER * limit, expected - state["used"] if lp.started else 0.0)
            beside = lp.started and workers > 1
            if run(m, _with_shifts_fixed(m, start), stagger, lns_only=True, threads=workers - 1 if beside else workers,
                   rate=BESIDE_LP_WORK_PER_SECOND if beside else FIXED_LNS_WORK_PER_SECOND):
                return finish(interrupted=True)
            solution, dived = wait_for(lp)
            if solution is not None:
                # The LP's time counts from its iterations (deterministic), so the search ends near the limit
                # on any machine without depending on how long the LP took there.
                state["used"] = max(state["used"], lp_seconds(lp, size))
                guided = lp_guided(m, solution, start)
                # LNS needs a start near the LP: the dive's shifts (where the whole LP's did not fit, the
                # restricted model's LP's; else the LP's rounded in one go), breaks and queues placed by LNS,
                # if that is better.
                rounded = dived_hint_values(m, dived) if dived is not None else None
                if rounded is None:
                    rounded, stop = dive_restricted(guided)
                    if stop:
                        return finish(interrupted=True)
                if rounded is None:
                    rounded = rounded_hint_values(m, solution)
                if run(m, _with_shifts_fixed(m, rounded), ROUNDED * limit, lns_only=True, hint=rounded,
                       rate=FIXED_LNS_WORK_PER_SECOND):
                    return finish(interrupted=True)
                if state["adopted"]:
                    guided = lp_guided(m, solution, start)  # with the rounded plan's shifts
                before, left = len(progress.events), max(limit - state["used"], 0.0)
                rate = restricted_lns_work_per_second(len(guided.model.Proto().variables))
                if run(guided, guided.model, left, lns_only=True, rate=rate):
                    return finish(interrupted=True)
                improved = len(progress.events) > before
            else:
                improved = False
            if not improved:  # no LP, or step 4 found nothing better: LNS on the whole model
                run(m, m.model, max(limit - state["used"], POLISH * limit), lns_only=True,
                    rate=whole_lns_work_per_second(size))
            stopped = state["interrupted"]
        except KeyboardInterrupt:
            # Ctrl-C between passes (building one, or waiting for the LP): the plan of the last pass is kept.
            stopped = True
        return finish(interrupted=stopped)

    try:
        return passes()
    finally:
        lp.cancel()  # an LP still running (Ctrl-C, the cap, an optimal first pass) must not hold a core


def lp_guided(m: RotaModel, solution: list[float], start: dict[str, int]) -> RotaModel:
    """The model restricted to the shifts the LP relaxation uses, pooled over interchangeable agents, and
    those of the current plan (so it stays feasible): a small model on which LNS moves fast.

    Agents with the same options, queues and contract are interchangeable, and the LP splits their work
    among them arbitrarily; each keeps every shift the LP gives any of them.
    """
    eligible = eligible_queues(m.scenario)
    used: dict[tuple, set[int]] = {}
    kinds: dict[str, tuple] = {}
    for a, opts in m.options.items():
        agent = m.scenario.agents[a]
        kinds[a] = (eligible[a], agent.hourly_cost, agent.min_hours, agent.max_hours, agent.max_days, agent.site,
                    tuple((o.day, o.template, o.start, o.break_offsets) for o in opts))
        used.setdefault(kinds[a], set()).update(j for j in range(len(opts)) if solution[m.x[(a, j)].Index()] > 1e-6)
    options = {}
    for a, opts in m.options.items():
        options[a] = [o for j, o in enumerate(opts) if j in used[kinds[a]] or start.get(m.x[(a, j)].Name(), 0)]
    guided = RotaModel(m.scenario, m.grid, m.staffing, options)
    guided.model.Minimize(sum(rule(guided) for rule in RULES))
    return guided


def _fallback(m: RotaModel, start: dict[str, int], progress, interrupted: bool) -> SolveResult:
    """No plan found in the time left: return the starting plan (greedy or an earlier pass), never an empty roster.

    Every shift and break is fixed to the start's values and its complete
    hint is accepted as it is.
    """
    fixed = _with_shifts_fixed(m, start)
    for lits in m.breaks.values():
        for _, b in lits:
            fixed.Add(fixed.get_int_var_from_proto_index(b.Index()) == int(start.get(b.Name(), 0)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 30.0
    solver.parameters.num_workers = 1
    solver.parameters.stop_after_first_solution = True  # the evaluator assigns queues exactly afterwards
    status = run_solver(solver, fixed)
    result = _plain_result(m, solver, status, progress, interrupted)
    result.status = "FEASIBLE" if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else result.status
    result.note = "no better plan found in the time limit: the starting plan (greedy or an earlier pass) is returned"
    return result


def _named_solution(model: cp_model.CpModel, solver: cp_model.CpSolver) -> dict[str, int]:
    return {v.name: solver.ResponseProto().solution[i] for i, v in enumerate(model.Proto().variables) if v.name}


def _with_shifts_fixed(m: RotaModel, start: dict[str, int]) -> cp_model.CpModel:
    """The full model with the given plan's shifts fixed: what is left is where breaks go and who serves what."""
    fixed = m.model.clone()
    for x in m.x.values():
        fixed.Add(fixed.get_int_var_from_proto_index(x.Index()) == int(start.get(x.Name(), 0)))
    _hint(fixed, start)
    return fixed


def run_solver(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None, stop_on_sigint: bool = False) -> int:
    """Every CP-SAT solve goes through here, so Ctrl-C keeps meaning what Python says it means.

    CP-SAT catches SIGINT by default and, once done, leaves the default action
    (terminate) behind, so a Ctrl-C after any solve (one of the evaluator's
    hundreds) would kill the process instead of raising KeyboardInterrupt.
    With `stop_on_sigint`, Ctrl-C stops the search and the best solution is
    kept; either way Python's handler is put back. Only the main thread owns
    SIGINT; a solve on a Dask worker thread is cancelled by the client.
    """
    main = threading.current_thread() is threading.main_thread()
    solver.parameters.catch_sigint_signal = main and stop_on_sigint
    handler = signal.getsignal(signal.SIGINT) if main else None
    try:
        return solver.Solve(model, callback)
    finally:
        if main:
            signal.signal(signal.SIGINT, handler)


def _solve_interruptibly(solver: cp_model.CpSolver, model: cp_model.CpModel, progress) -> tuple[int, bool, bool]:
    """Solve; Ctrl-C stops the search and keeps the best plan found so far. Returns (status, interrupted,
    stopped by the wall clock).

    CP-SAT catches SIGINT itself (see `run_solver`) and returns what it has;
    a Python handler could not run inside the native call. A search that
    ends short of both its work budget and its time limit without proving
    optimality was interrupted.
    """
    status = run_solver(solver, model, progress.callback(), stop_on_sigint=True)
    return (status, *_how_it_ended(solver, status))


def _how_it_ended(solver: cp_model.CpSolver, status: int) -> tuple[bool, bool]:
    """(stopped early: Ctrl-C, stopped by the wall clock) for a finished solve. A search that ends short
    of its work budget without proving anything was stopped by one or the other."""
    settled = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID)
    short_of_work = solver.response_proto.deterministic_time < 0.98 * solver.parameters.max_deterministic_time
    short_of_time = solver.WallTime() < solver.parameters.max_time_in_seconds - 0.5
    return short_of_work and short_of_time and not settled, short_of_work and not short_of_time and not settled


def _with_bounds(result: SolveResult, objective_units: float, lp, proven: float, state: dict,
                 deadline: float) -> SolveResult:
    """Bound and gap from the LP relaxation (waited for until the time limit) and CP-SAT's proven bound."""
    if result.interrupted:
        lp_value = lp.result(wait=0)
    else:
        lp_value = lp.result(wait=max(deadline - time.monotonic(), 0.0) + 5.0)
    bound = max(lp_value if lp_value is not None else -math.inf, proven)
    result.lp_bound = lp_value / UNITS if lp_value is not None else math.nan
    result.work, result.capped, result.time_limit = state["work"], state["capped"], state["limit"]
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


def _plain_result(m: RotaModel, solver: cp_model.CpSolver, status: int, progress, interrupted: bool) -> SolveResult:
    seconds = time.monotonic() - progress.start
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return SolveResult([], name, math.nan, math.nan, math.nan, seconds, progress=progress.events)
    return SolveResult(extract(m, solver), name, solver.ObjectiveValue() / UNITS, math.nan, math.nan, seconds,
                       interrupted=interrupted, progress=progress.events)


def _hint(target: cp_model.CpModel, by_name: dict[str, int]) -> None:
    """Hint every variable of `target` named in `by_name`; break positions not named are 0."""
    target.clear_hints()
    for i, v in enumerate(target.Proto().variables):
        if v.name in by_name or v.name.startswith("break("):
            target.add_hint(target.get_int_var_from_proto_index(i), int(by_name.get(v.name, 0)))


def extract(m: RotaModel, solver: cp_model.CpSolver) -> list[PlannedShift]:
    """Chosen shifts with their break and the queues the agent's pool served during them.

    Which single queue each agent serves per interval is decided by the
    evaluator (`validate.assign_queues`) among these.
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
