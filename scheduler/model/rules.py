"""The rota's rules, one builder per rule family, each `build(m: RotaModel) -> objective term`.

Hard rules return 0, objective terms their cost in 1/UNITS currency; `RULES`
lists them and `build` sums them into the objective in one place. Every
builder has a check of the same name in `scheduler.validate.checks`, which
tests walk to keep the two in step. The rules that decide which shifts exist
at all (templates, leave, the daily window) are applied when the options are
made (`scheduler.shifts.OPTION_RULES`).
"""

from __future__ import annotations

from typing import Callable

from scheduler.calendar import Grid
from scheduler.domain import Scenario
from scheduler.model.coverage import pooled_coverage
from scheduler.model.variables import UNITS, RotaModel
from scheduler.people import fairness_groups, inside_minutes, is_night, is_weekend, request_spans
from scheduler.shifts import ShiftOption, contract_max_minutes, contract_min_minutes
from scheduler.staffing import Staffing
from scheduler.week import SCALE, eligible_queues, held_minutes, required_units, row_queues


def one_shift_per_day(m: RotaModel):
    """An agent works at most one shift per agent-local day."""
    for a in m.options:
        for js in m.days(a).values():
            m.model.add_at_most_one(m.works(a, j) for j in js)
    return 0


def break_placement(m: RotaModel):
    """A worked shift with an unpaid break has exactly one break, not in its first or last hour."""
    for (a, j), lits in m.breaks.items():
        m.model.add(sum(b for _, b in lits) == m.works(a, j))
    return 0


def weekly_hours(m: RotaModel):
    """Paid hours within the contract: min_hours (pro rata for leave) to max_hours."""
    for a, opts in m.options.items():
        agent = m.scenario.agents[a]
        paid = sum(o.paid_minutes * m.works(a, j) for j, o in enumerate(opts)) + sum(h.paid_minutes for h in m.frozen(a))
        m.model.add(paid <= contract_max_minutes(agent))
        low = contract_min_minutes(m.scenario, m.grid, agent)
        if low > 0:
            m.model.add(paid >= low)
    return 0


def max_days(m: RotaModel):
    """At most max_days shifts in the week (frozen ones included)."""
    for a, opts in m.options.items():
        left = max(m.scenario.agents[a].max_days - len({h.day for h in m.frozen(a)}), 0)
        if len(m.days(a)) > left:
            m.model.add(sum(m.works(a, j) for j in range(len(opts))) <= left)
    return 0


def min_rest(m: RotaModel):
    """At least min_rest_hours between the end of one shift and the start of the next (absolute time).

    Two shifts clash when the later starts less than the rest after the earlier ends: when their spans,
    each extended by the rest, overlap. Spans are intervals, so the shifts whose spans hold a point are a
    clique, and one at-most-one per maximal clique says all the pairs say: with start ranges, a few dozen
    rows an agent instead of thousands of pairs, and a tighter LP (three shifts pairwise in conflict sum
    to at most 1, not 1.5). Same-day shifts may share a clique; one_shift_per_day excludes them anyway."""
    rest = int(round(m.scenario.policy.rules.min_rest_hours * 60))
    for a, opts in m.options.items():
        spans = sorted((o.start, o.end + rest, j) for j, o in enumerate(opts))
        starts = sorted({start for start, _, _ in spans})
        cliques = [[j for start, end, j in spans if start <= t < end] for t in starts]
        for k, clique in enumerate(cliques):
            if k + 1 < len(cliques) and set(clique) <= set(cliques[k + 1]):
                continue  # not maximal: the next point's clique holds it
            if len({opts[j].day for j in clique}) > 1:
                m.model.add_at_most_one(m.works(a, j) for j in clique)
    return 0


def max_consecutive_days(m: RotaModel):
    """No more than max_consecutive_days worked local days in a row, inherited days (last week's, frozen)
    included: each window of k + 1 days holds at most k worked ones."""
    k = m.scenario.policy.rules.max_consecutive_days
    for a in m.options:
        days = m.days(a)
        if not days:
            continue
        fixed = {h.day for h in m.held.get(a, [])}
        first, last = min(set(days) | fixed), max(set(days) | fixed)
        span = [first.fromordinal(first.toordinal() + d) for d in range((last - first).days + 1)]
        for s in range(len(span) - k):
            window = [m.works(a, j) for d in span[s:s + k + 1] for j in days.get(d, [])]
            if window:
                m.model.add(sum(window) <= max(k - sum(1 for d in span[s:s + k + 1] if d in fixed), 0))
    return 0


def wage_cost(m: RotaModel):
    """Paid minutes at the agent's rate with night and weekend premiums by the local clock; breaks unpaid."""
    terms = [m.held_cost(h) for a in m.options for h in m.frozen(a)]
    for (a, j), x in m.x.items():
        terms.append(m.shift_cost(a, j) * x)
        for k, b in m.breaks.get((a, j), []):
            terms.append(-m.break_cost(a, j, k) * b)
    return sum(terms)


def coverage_shortfall(m: RotaModel):
    """Each interval's requirement per queue; every agent-minute below it costs shortfall_per_agent_hour / 60.
    A multilingual agent counts toward one queue per interval, never two (pooled: `model.coverage`)."""
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
    # Inherited shifts work constant minutes, each in the pool of the queues its row names.
    for a, held in m.held.items():
        for h in held:
            qs = row_queues(m.scenario, a, h.languages)
            pool = "+".join(qs)
            queues_of[pool] = qs
            for i, mins in held_minutes(h, I, m.grid.size).items():
                pooled.setdefault(pool, {}).setdefault(i, []).append(mins)
                heads.setdefault(pool, {}).setdefault(i, []).append(1)
    m.coverage = pooled_coverage(m.model, {p: {i: sum(ws) for i, ws in per.items()} for p, per in pooled.items()},
                                 {p: {i: sum(hs) for i, hs in per.items()} for p, per in heads.items()},
                                 queues_of, required, I, price)
    return m.coverage.term


def change_cost(m: RotaModel):
    """A re-plan's changes to the published shifts from `--from` on, each at change_cost: per agent and local
    day, the published shift not kept as it was (removed, moved or given other hours), or a shift where none
    was published. Breaks and queues are not changes."""
    published = m.scenario.continuity.published
    if not published:
        return 0
    price = int(round(m.scenario.policy.costs.change_cost * UNITS))
    by_day = {(p.agent_id, p.day): p for p in published}
    terms = []
    for a, opts in m.options.items():
        for day, js in m.days(a).items():
            p = by_day.get((a, day))
            if p is None:
                terms += [price * m.works(a, j) for j in js]
                continue
            start, end = m.grid.minute_of(p.start), m.grid.minute_of(p.end)
            kept = [j for j in js if (opts[j].start, opts[j].end) == (start, end)]
            terms.append(price * (1 - m.works(a, kept[0])) if kept else price)
    option_days = {(a, o.day) for a, opts in m.options.items() for o in opts}
    terms += [price for key in by_day if key not in option_days]  # no shift that day may be worked now
    return sum(terms)


def fairness(m: RotaModel):
    """Within each fairness group, the spread (most minus fewest) of night shifts and of weekend shifts,
    at nights_weight and weekends_weight per unit (`scheduler.people` defines both). Inherited shifts count:
    a re-plan's frozen ones, and with --previous last four weeks', so one agent does not draw every hard
    week. Whether a shift with a break is a night can depend on where the break goes: then the count
    reads the break's literals."""
    f = m.scenario.policy.fairness
    terms = []
    since = -28 * 1440
    for what, weight in (("nights", f.nights_weight), ("weekends", f.weekends_weight)):
        if weight <= 0:
            continue
        price = int(round(weight * UNITS))
        for g, agents in fairness_groups(m.scenario, m.grid, what).items():
            counts = {a: _fair_count(m, a, what, since) for a in agents}
            hi = m.model.new_int_var(0, 60, f"most_{what}(group={g})")
            lo = m.model.new_int_var(0, 60, f"fewest_{what}(group={g})")
            for const, t in counts.values():
                count = const + sum(k * v for v, k in t)
                m.model.add(count <= hi)
                m.model.add(count >= lo)
            m.spreads.append((hi, lo, counts))
            terms.append(price * (hi - lo))
    return sum(terms)


def _fair_count(m: RotaModel, a: str, what: str, since: int) -> tuple[int, list]:
    clock = m.pay[m.scenario.agents[a].site]
    const = sum(1 for h in m.held.get(a, []) if h.start >= since and
                (is_night(clock, h.worked_spans()) if what == "nights" else is_weekend(h.day)))
    terms = []
    for j, o in enumerate(m.options[a]):
        if what == "weekends":
            if is_weekend(o.day):
                terms.append((m.works(a, j), 1))
            continue
        lits = m.breaks.get((a, j))
        if not lits:
            if is_night(clock, [(o.start, o.end)]):
                terms.append((m.works(a, j), 1))
            continue
        nights = [b for k, b in lits if is_night(clock, [(o.start, o.start + k), (o.start + k + o.break_minutes, o.end)])]
        terms += [(m.works(a, j), 1)] if len(nights) == len(lits) else [(b, 1) for b in nights]
    return const, terms


def requests(m: RotaModel):
    """Soft requests (requests.csv, must = no): the minutes of a shift inside the window, times weight per
    hour: a cost for `avoid`, a reward for `prefer`. Hard ones leave shifts out (`scheduler.shifts`)."""
    terms = []
    for r in m.scenario.requests:
        if r.must or r.agent_id not in m.options or r.weight <= 0:
            continue
        spans = request_spans(m.scenario, m.grid, r)
        sign = 1 if r.kind == "avoid" else -1
        for j, o in enumerate(m.options[r.agent_id]):
            minutes = inside_minutes(spans, o.start, o.end)
            if minutes:
                terms.append(sign * int(round(r.weight * minutes / 60 * UNITS)) * m.works(r.agent_id, j))
    return sum(terms)


RULES: list[Callable[[RotaModel], object]] = [
    one_shift_per_day, break_placement, weekly_hours, max_days, min_rest, max_consecutive_days,
    wage_cost, coverage_shortfall, change_cost, fairness, requests,
]


def build(scenario: Scenario, grid: Grid, staffing: Staffing,
          options: dict[str, list[ShiftOption]] | None = None) -> RotaModel:
    """The whole model: every rule of `RULES`, their terms summed into the objective (with `options`, on
    those shifts only)."""
    m = RotaModel(scenario, grid, staffing, options)
    m.model.minimize(sum(rule(m) for rule in RULES))
    return m
