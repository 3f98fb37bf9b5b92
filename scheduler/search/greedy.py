"""A quick constructive rota: the starting point CP-SAT improves on.

CP-SAT alone finds good rotas of this shape slowly and unevenly (the same
60-agent week varied by 20 % across seeds after 12 s on 2 cores). A
problem-specific start removes most of that. Agents are taken scarcest first
(fewest queues with demand, then cheapest) and each adds, one at a time, the
shift worth most against what is still uncovered, within every rule the
model enforces, until shifts stop paying for themselves (below the contract
minimum, always; never so as to leave the minimum out of reach). Breaks sit
at mid-shift, unless given. (Rounds of ruin-and-recreate per agent were tried on the
sample and gained nothing over this; CP-SAT's neighbourhood search does
better from here.) The result is a complete assignment of the model's named
variables, so it seeds any model built from the same options.
"""

from __future__ import annotations

import numpy as np

from scheduler.continuity import longest_run, place_fixed
from scheduler.search.deal import clash, deal
from scheduler.domain import FixedShift
from scheduler.model import UNITS, RotaModel
from scheduler.week import SCALE, eligible_queues, held_minutes, required_units, row_queues, worked_per_interval
from scheduler.shifts import contract_max_minutes, contract_min_minutes


def inherited(m: RotaModel) -> tuple[dict, dict, dict]:
    """What last week's shifts leave each agent (`scheduler.continuity`): the days they hold, and this
    week's paid minutes and days already worked."""
    return ({a: {h.day for h in hs} for a, hs in m.held.items()},
            {a: sum(h.paid_minutes for h in m.frozen(a)) for a in m.options},
            {a: len({h.day for h in m.frozen(a)}) for a in m.options})


class GreedyRota:
    def __init__(self, m: RotaModel, breaks: dict[tuple[str, int], int] | None = None):
        """`breaks`: a break offset for some (agent, option), where not mid-shift."""
        self.m = m
        self.breaks = breaks or {}
        sc, grid = m.scenario, m.grid
        self.I, self.n = grid.interval_minutes, grid.size
        self.required = {q: r / SCALE for q, r in required_units(m.staffing, self.I).items()}
        self.residual = {q: r.copy() for q, r in self.required.items()}
        self.price = sc.policy.costs.shortfall_per_agent_hour / 60
        self.rest = sc.policy.rules.min_rest_hours * 60
        self.k_consec = sc.policy.rules.max_consecutive_days
        self.eligible = eligible_queues(sc)
        self.cost: dict[str, np.ndarray] = {}
        self.work: dict[str, list[list[tuple[int, int]]]] = {}
        for a, opts in m.options.items():
            offsets = [self.offset(a, j) for j in range(len(opts))]
            cost = [(m.shift_cost(a, j) - (m.break_cost(a, j, k) if k is not None else 0)) / UNITS
                    for j, k in enumerate(offsets)]
            self.cost[a] = np.array(cost, dtype=np.float64)
            self.work[a] = [list(worked_per_interval(o, k, self.I, self.n).items()) for o, k in zip(opts, offsets)]
        # The same minutes flat, to score all of an agent's options at once: option, interval, minutes.
        self.flat: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for a, work in self.work.items():
            rows = [(j, i, mins) for j, per in enumerate(work) for i, mins in per]
            self.flat[a] = (np.array([r[0] for r in rows], dtype=np.int64),
                            np.array([r[1] for r in rows], dtype=np.int64),
                            np.array([r[2] for r in rows], dtype=np.float64))
        self.picked: dict[str, list[int]] = {a: [] for a in m.options}
        self.served: dict[str, list[tuple[int, str, float]]] = {a: [] for a in m.options}  # minutes worked
        # Inherited shifts (`scheduler.continuity`): their days, this week's hours and days, and the minutes
        # they serve, each in the pool of its row's queues: (pool, interval, queue, minutes).
        self.held_days, self.frozen_paid, self.frozen_days = inherited(m)
        self.held_served: list[tuple[str, int, str, float]] = []
        for a, hs in m.held.items():
            for h in hs:
                qs = row_queues(sc, a, h.languages)
                for i, mins in held_minutes(h, self.I, self.n).items():
                    if qs:
                        q = max(qs, key=lambda q: self.residual[q][i])
                        self.residual[q][i] = max(0.0, self.residual[q][i] - mins)
                        self.held_served.append(("+".join(qs), i, q, mins))

    def offset(self, a: str, j: int) -> int | None:
        """Where the break of the agent's option `j` goes: as given, else mid-shift."""
        o = self.m.options[a][j]
        if (a, j) in self.breaks:
            return self.breaks[(a, j)]
        return o.break_offsets[len(o.break_offsets) // 2] if o.break_offsets else None

    def order(self) -> list[str]:
        sc = self.m.scenario
        def scarcity(a: str) -> int:
            return sum(1 for q in self.eligible[a] if self.residual[q].sum() > 0) or 99
        return [a.agent_id for a in sorted(sc.agents.values(), key=lambda a: (scarcity(a.agent_id), a.hourly_cost, a.agent_id))]

    def _values(self, a: str) -> np.ndarray:
        """What each of the agent's options is worth now: the minutes it would cover of what is still
        uncovered (in any of the agent's queues), at the shortfall price, less its cost."""
        owner, idx, mins = self.flat[a]
        qs, size = self.eligible[a], len(self.m.options[a])
        if not qs or not len(owner):
            return -self.cost[a]
        most = np.maximum.reduce([self.residual[q] for q in qs])
        gains = np.bincount(owner, weights=np.minimum(mins, most[idx]), minlength=size)
        return gains * self.price - self.cost[a]

    def _take(self, a: str, j: int) -> None:
        self.picked[a].append(j)
        for i, mins in self.work[a][j]:
            if not self.eligible[a]:
                continue
            q = max(self.eligible[a], key=lambda q: self.residual[q][i])
            used = min(mins, self.residual[q][i])
            self.residual[q][i] -= used
            self.served[a].append((i, q, mins))

    def _drop(self, a: str) -> None:
        """Take an agent's week out again. What is uncovered is counted again from everyone's minutes:
        while this agent was in, others were credited only with what it had left them."""
        self.picked[a], self.served[a] = [], []
        self.residual = {q: r.copy() for q, r in self.required.items()}
        for _, i, q, mins in self.held_served:
            self.residual[q][i] = max(0.0, self.residual[q][i] - mins)
        for rows in self.served.values():
            for i, q, mins in rows:
                self.residual[q][i] = max(0.0, self.residual[q][i] - mins)

    def insert(self, a: str) -> bool:
        """Add to an agent's week greedily against the current residual; whether it meets the contract minimum."""
        sc = self.m.scenario
        agent = sc.agents[a]
        opts = self.m.options[a]
        low, high = contract_min_minutes(sc, self.m.grid, agent), contract_max_minutes(agent)
        paid = self.frozen_paid[a] + sum(opts[j].paid_minutes for j in self.picked[a])
        longest = max((o.paid_minutes for o in opts), default=0)
        days = agent.max_days - self.frozen_days[a]
        while len(self.picked[a]) < days:
            best, best_value = None, -np.inf
            days_after = days - len(self.picked[a]) - 1
            values = self._values(a)
            for j in map(int, np.argsort(-values, kind="stable")):  # the best first, ties to the first option
                if paid + opts[j].paid_minutes + days_after * longest < low:
                    continue  # would leave the contract minimum out of reach
                if self._fits(a, j, paid, high):
                    best, best_value = j, values[j]
                    break
            if best is None or (best_value <= 0 and paid >= low):
                break
            self._take(a, best)
            paid += opts[best].paid_minutes
        return paid >= low

    def _fits(self, a: str, j: int, paid: int, high: int) -> bool:
        """Whether shift `j` can join the agent's week as it stands (`paid` minutes of at most `high`)."""
        return (j not in self.picked[a] and len(self.picked[a]) + self.frozen_days[a] < self.m.scenario.agents[a].max_days
                and paid + self.m.options[a][j].paid_minutes <= high and self._compatible(a, j))

    def _compatible(self, a: str, j: int) -> bool:
        opts = self.m.options[a]
        o = opts[j]
        if any(clash(o, opts[p], self.rest) for p in self.picked[a]):
            return False
        return longest_run(self.held_days.get(a, set()), {opts[p].day for p in self.picked[a]} | {o.day}) <= self.k_consec

    def run(self) -> None:
        for a in self.order():
            self.insert(a)

    def round(self, values: dict[tuple[str, int], float]) -> None:
        """A rota from the LP relaxation's shift values: each agent takes the shifts it works at least
        half of there (most often, fully), as far as the rules allow; then every agent adds shifts
        greedily as in `run`, and an agent whose rounded week cannot reach the contract minimum is
        planned again by the greedy, against everyone else's weeks. (Where the greedy itself cannot
        reach a minimum, for rest or consecutive days it does not look ahead to, the hint is infeasible
        and the search that starts from it keeps the plan it had.)

        Much of the LP's advantage over the greedy rota survives this: at 300 agents, its shifts with
        breaks and queues then placed by LNS cost 182.6 k against the greedy's 194.2 k (the LP: 171.3 k).
        """
        sc = self.m.scenario
        for a in self.order():
            opts, agent = self.m.options[a], sc.agents[a]
            paid, high = self.frozen_paid[a], contract_max_minutes(agent)
            half = [j for j in range(len(opts)) if values[(a, j)] >= 0.5]
            for j in sorted(half, key=lambda j: (-values[(a, j)], j)):
                if self._fits(a, j, paid, high):
                    self._take(a, j)
                    paid += opts[j].paid_minutes
        self.fill()

    def fill(self) -> None:
        """Every agent adds shifts greedily as in `run`; one whose week cannot reach the contract minimum so
        is planned again by the greedy, against everyone else's weeks."""
        for a in self.order():
            if not self.insert(a):
                self._drop(a)
                self.insert(a)

    def hint_values(self) -> dict[str, int]:
        """A complete assignment of the model's variables: shifts, breaks, the pools' minutes per queue, shortfall.

        CP-SAT uses a hint it can check whole and may drop a partial one.
        """
        m = self.m
        values: dict[str, int] = {}
        for (a, j), x in m.x.items():
            chosen = j in self.picked[a]
            values[x.name] = int(chosen)
            k = self.offset(a, j)
            for off, b in m.breaks.get((a, j), []):
                values[b.name] = int(chosen and off == k)
        pools: dict[tuple[str, int, str], int] = {}
        people: dict[tuple[str, int, str], int] = {}
        for pool, i, q, mins in self.held_served:
            pools[(pool, i, q)] = pools.get((pool, i, q), 0) + int(mins)
            people[(pool, i, q)] = people.get((pool, i, q), 0) + 1
        for a, rows in self.served.items():
            pool = "+".join(self.eligible[a])
            for i, q, mins in rows:
                pools[(pool, i, q)] = pools.get((pool, i, q), 0) + int(mins)
                people[(pool, i, q)] = people.get((pool, i, q), 0) + 1
        covered: dict[tuple[str, int], int] = {}
        for (pool, i), flows in m.coverage.serve.items():
            for q, var, *count in flows:
                got = pools.get((pool, i, q), 0)
                if var is not True:
                    values[var.name] = got
                    values[count[0].name] = people.get((pool, i, q), 0)
                covered[(q, i)] = covered.get((q, i), 0) + got
        for (q, i), var in m.coverage.shortfall.items():
            values[var.name] = max(0, m.coverage.need[(q, i)] - SCALE * covered.get((q, i), 0))
        values.update(m.spread_values(values))
        return values


def hint_values(m: RotaModel) -> dict[str, int]:
    g = GreedyRota(m)
    g.run()
    return g.hint_values()


def kept_hint_values(m: RotaModel, shifts: list[FixedShift]) -> dict[str, int]:
    """A rota that exists (the published week of a re-plan, a what-if's baseline) as a complete hint: each of
    its shifts that is still an option, with its break where that may go, as far as the rules allow; an
    agent then below the contract minimum adds shifts greedily. The rest of the week stays as it was, so a
    small change of inputs starts the search from a small change of rota."""
    where = {(a, o.start, o.end): j for a, opts in m.options.items() for j, o in enumerate(opts)}
    chosen, breaks = [], {}
    for f in shifts:
        h = place_fixed(f, m.grid)
        j = where.get((f.agent_id, h.start, h.end))
        if j is None:
            continue
        chosen.append((f.agent_id, j))
        o = m.options[f.agent_id][j]
        if o.break_offsets:
            want = h.brk[0] - h.start if h.brk else o.break_offsets[len(o.break_offsets) // 2]
            breaks[(f.agent_id, j)] = min(o.break_offsets, key=lambda k: (abs(k - want), k))
    g = GreedyRota(m, breaks)
    for a, j in sorted(chosen, key=lambda aj: (aj[0], m.options[aj[0]][aj[1]].start)):
        paid = g.frozen_paid[a] + sum(m.options[a][p].paid_minutes for p in g.picked[a])
        if g._fits(a, j, paid, contract_max_minutes(m.scenario.agents[a])):
            g._take(a, j)
    for a in g.order():
        agent = m.scenario.agents[a]
        paid = g.frozen_paid[a] + sum(m.options[a][p].paid_minutes for p in g.picked[a])
        if paid < contract_min_minutes(m.scenario, m.grid, agent) and not g.insert(a):
            g._drop(a)
            g.insert(a)
    return g.hint_values()


def rounded_hint_values(m: RotaModel, solution: list[float], kinds: list[list[str]] | None = None) -> dict[str, int]:
    """`GreedyRota.round` of an LP solution (values by proto index), as a complete hint. With `kinds` (the
    agents the LP was folded over, `scheduler.search.fold`), the kind's work is first dealt out among them
    (`spread_over_kinds`)."""
    values = {k: solution[x.index] for k, x in m.x.items()}
    g = GreedyRota(m, _lp_breaks(m, solution))
    g.round(spread_over_kinds(m, values, kinds) if kinds else values)
    return g.hint_values()


def dealt_hint_values(m: RotaModel, solution: list[float], kinds: list[list[str]]) -> tuple[dict[str, int], float]:
    """A folded LP's solution (dived: its counts of each kind's agents on each shift whole, or nearly) as a
    complete hint: each kind's shifts dealt out among its agents (`scheduler.search.deal`), and the breaks of
    each shift dealt out among those who work it as the LP spreads them (every agent of a kind at the kind's
    most used break would all be away at once); then `GreedyRota.fill`. And the deterministic seconds the
    dealing took."""
    held, paid, days = inherited(m)
    picks: dict[str, list[int]] = {}
    work = 0.0
    for members in kinds:
        opts = m.options[members[0]]
        count = [int(round(sum(solution[m.x[(a, j)].index] for a in members))) for j in range(len(opts))]
        dealt, seconds = deal(m, members, count, held, paid, days)
        picks.update(dealt)
        work += seconds
    breaks: dict[tuple[str, int], int] = {}
    for members in kinds:
        takers: dict[int, list[str]] = {}
        for a in members:
            for j in picks[a]:
                takers.setdefault(j, []).append(a)
        for j, who in takers.items():
            lits = m.breaks.get((members[0], j), [])
            mass = [(k, sum(solution[dict(m.breaks[(a, j)])[k].index] for a in members)) for k, _ in lits]
            total = sum(w for _, w in mass)
            if total <= 1e-6:
                continue  # the LP has no break here: mid-shift
            for i, a in enumerate(who):
                k = _under((i + 0.5) * total / len(who), mass)
                breaks[(a, j)] = k if k is not None else mass[-1][0]
    g = GreedyRota(m, breaks)
    for a, chosen in picks.items():
        for j in chosen:
            g._take(a, j)
    g.fill()
    return g.hint_values(), work


def spread_over_kinds(m: RotaModel, values: dict[tuple[str, int], float],
                      kinds: list[list[str]]) -> dict[tuple[str, int], float]:
    """A folded LP gives every agent of a kind the same fractions (a third of each of three shifts), which
    rounding at one half throws away. Here each day's work of a kind, `size x value` agents per shift, is
    dealt out whole: laid end to end, agent i takes the shift under the point i + 1/2, with the starting
    point moved on each day by what the days before took, so the days worked go round the kind."""
    out = dict(values)
    for agents in kinds:
        if len(agents) < 2:
            continue
        first = agents[0]
        if any(len(m.options[a]) != len(m.options[first]) for a in agents):
            continue  # (a kind's agents have the same options by construction)
        by_day: dict[object, list[int]] = {}
        for j, o in enumerate(m.options[first]):
            by_day.setdefault(o.day, []).append(j)
        size, offset = len(agents), 0.0
        for day in sorted(by_day):
            mass = [(j, size * values[(first, j)]) for j in by_day[day]]
            total = sum(w for _, w in mass)
            for i, a in enumerate(agents):
                taken = _under((i - offset) % size + 0.5, mass)
                for j in by_day[day]:
                    out[(a, j)] = 1.0 if j == taken else 0.0
            offset = (offset + total) % size
    return out


def _lp_breaks(m: RotaModel, solution, shifts=None) -> dict[tuple[str, int], int]:
    """Each shift's break where the LP puts most of it (of `shifts`, else of every shift the LP works)."""
    return {key: max(lits, key=lambda kb: solution[kb[1].index])[0] for key, lits in m.breaks.items()
            if (key in shifts if shifts is not None else solution[m.x[key].index] > 1e-6)}


def _under(point: float, mass: list[tuple[int, float]]) -> int | None:
    """With the masses laid end to end, the key of the one under `point` (None past their end): how a kind's
    shifts, and a shift's breaks, are dealt out in proportion."""
    edge = 0.0
    for key, w in mass:
        edge += w
        if point < edge:
            return key
    return None


def dived_hint_values(m: RotaModel, solution: list[float] | np.ndarray) -> dict[str, int]:
    """The shifts of an LP solution whose shifts are all whole (`scheduler.search.rounding`), as a complete hint:
    breaks where the LP puts most of them, queues as the greedy serves them. (Breaks at mid-shift instead
    cost 202.4 k against 187.0 k at 300 agents, and LNS with the shifts fixed did not make up for it in
    10 s: 176.4 k against 175.8 k.)"""
    chosen = {(a, j) for (a, j), x in m.x.items() if solution[x.index] > 0.5}
    g = GreedyRota(m, _lp_breaks(m, solution, chosen))
    for a in g.order():
        for j in range(len(m.options[a])):
            if (a, j) in chosen:
                g._take(a, j)
    return g.hint_values()
