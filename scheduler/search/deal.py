"""Dealing a kind's shifts out among its agents: the last step of rounding a folded LP.

A dive of the LP folded over kinds of agent (`scheduler.search.rounding`)
ends with a whole number of each kind's agents on each shift, and every rule
holding for the kind's average agent: not for each of them. Which agent
works which of those shifts is a small problem per kind (a few agents, a
few dozen shifts), and a greedy one loses shifts to it: dealt round the kind
by day, regardless of rest, 145 of the 1,386 shifts of the 300-agent
`shared` week broke a rule; dealt earliest-first to whoever was rested
enough, 52 of its 300 agents were left below their contract minimum, and
the greedy that planned them again dropped 124. So each kind is dealt by
CP-SAT, alone: as many of its shifts as the rules let its agents take,
every agent up to the contract minimum if it can be, the cheapest first.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.model import RotaModel
from scheduler.shifts import contract_max_minutes, contract_min_minutes

SLOT = 1_000_000  # a shift dealt out
EXTRA = 1_500_000  # a shift taken beyond the kind's count (a long one for a short, to reach a minimum)
BELOW = 4_000_000  # an agent left below the contract minimum: the greedy plans them again, dropping the
# shifts dealt to them (about five), which costs more than a shift swapped for a longer one
SHORT = 1_000  # and each minute they are short
DEAL_SECONDS = 0.2  # deterministic seconds per kind, at most


def clash(o, q, rest_minutes: int) -> bool:
    """Two shifts no agent can both work: the same day, or too little rest between them."""
    if q.day == o.day:
        return True
    gap = o.start - q.end if o.start >= q.start else q.start - o.end
    return gap < rest_minutes


def deal(m: RotaModel, members: list[str], count: list[int], held_days: dict, frozen_paid: dict,
         frozen_days: dict, seed: int = 0) -> tuple[dict[str, list[int]], float]:
    """Each of `members`' option indexes (the kind's agents share their options) so that at most `count[j]`
    of them work option j: the dealing and the deterministic seconds it took."""
    sc = m.scenario
    opts = m.options[members[0]]
    rules = sc.policy.rules
    rest, run = rules.min_rest_hours * 60, rules.max_consecutive_days
    used = [j for j in range(len(opts)) if count[j] > 0]
    if len(members) == 1 or not used:  # one agent: the LP's rules are theirs, and hold
        return {a: used for a in members}, 0.0
    model = cp_model.CpModel()
    y = {(a, j): model.new_bool_var("") for a in members for j in used}
    objective = []
    for j in used:
        extra = model.new_int_var(0, len(members), "")
        model.add(sum(y[(a, j)] for a in members) <= count[j] + extra)
        objective.append(-EXTRA * extra)
    # Shifts that pairwise clash, as one at-most-one at each shift's start: a shift clashing with a later
    # one clashes with every shift between them (as the model's rest cliques).
    cliques = []
    for k in used:
        clique = [j for j in used if (opts[j].start, j) < (opts[k].start, k) and clash(opts[j], opts[k], rest)]
        if clique:
            cliques.append(clique + [k])
    days = sorted({opts[j].day for j in used})
    first_picks = _earliest_first(m, members, used, count, cliques, frozen_paid, frozen_days)
    for a in members:
        agent = sc.agents[a]
        for clique in cliques:
            model.add_at_most_one(y[(a, j)] for j in clique)
        mine = [y[(a, j)] for j in used]
        model.add(sum(mine) <= agent.max_days - frozen_days[a])
        paid = sum(opts[j].paid_minutes * y[(a, j)] for j in used)
        model.add(paid <= contract_max_minutes(agent) - frozen_paid[a])
        # No more than `run` days in a row, the days inherited from last week included.
        held = held_days.get(a, set())
        every = sorted(set(days) | held)
        for first in every:
            window = [first.toordinal() + i for i in range(run + 1)]
            inside = [y[(a, j)] for j in used if opts[j].day.toordinal() in window]
            fixed = sum(1 for d in held if d.toordinal() in window)
            if inside and fixed + len({opts[j].day for j in used if opts[j].day.toordinal() in window}) > run:
                model.add(sum(inside) <= run - fixed)
        low = contract_min_minutes(sc, m.grid, agent) - frozen_paid[a]
        if low > 0:
            short = model.new_int_var(0, low, "")
            below = model.new_bool_var("")
            model.add(short >= low - paid)
            model.add(short <= low * below)
            objective.extend([-SHORT * short, -BELOW * below])
        cents = round(agent.hourly_cost * 100)
        objective.extend(SLOT * y[(a, j)] - cents * opts[j].paid_minutes // 60 * y[(a, j)] for j in used)
    model.maximize(sum(objective))
    for (a, j), var in y.items():
        model.add_hint(var, j in first_picks[a])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = DEAL_SECONDS
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {a: sorted(first_picks[a]) for a in members}, solver.response_proto.deterministic_time
    picks = {a: [j for j in used if solver.value(y[(a, j)])] for a in members}
    return picks, solver.response_proto.deterministic_time


def _earliest_first(m: RotaModel, members: list[str], used: list[int], count: list[int], cliques: list[list[int]],
                    frozen_paid: dict, frozen_days: dict) -> dict[str, set[int]]:
    """A first dealing, CP-SAT's hint: the kind's shifts earliest first, each to the agent with the fewest
    days so far that it does not clash with (consecutive days are left to CP-SAT)."""
    sc = m.scenario
    opts = m.options[members[0]]
    clashing: dict[int, set[int]] = {j: set() for j in used}
    for clique in cliques:
        for j in clique:
            clashing[j].update(clique)
    picks: dict[str, set[int]] = {a: set() for a in members}
    paid = {a: frozen_paid[a] for a in members}
    for j in sorted(used, key=lambda j: (opts[j].start, j)):
        for _ in range(count[j]):
            for a in sorted(members, key=lambda a: len(picks[a])):
                agent = sc.agents[a]
                if (len(picks[a]) + frozen_days[a] < agent.max_days and not (clashing[j] & picks[a])
                        and paid[a] + opts[j].paid_minutes <= contract_max_minutes(agent)):
                    picks[a].add(j)
                    paid[a] += opts[j].paid_minutes
                    break
    return picks
