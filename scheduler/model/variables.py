"""The rota's decision variables, with accessors named for what they mean.

Decisions: per agent and agent-local day at most one `ShiftOption` (or none),
where in it the unpaid break goes, and per agent and grid interval which one
of the agent's queues the agent serves (pooled over agents who serve the same
queues: `scheduler.model.coverage`). Objective units are 1/UNITS of the
scenario currency.
"""

from __future__ import annotations

from datetime import date

from ortools.sat.python import cp_model

from scheduler.calendar import Grid
from scheduler.continuity import Held, held_shifts
from scheduler.domain import Scenario
from scheduler.pay import PayClock
from scheduler.shifts import ShiftOption, all_options
from scheduler.staffing import Staffing
from scheduler.week import interval_overlaps, overlap

UNITS = 600_000  # objective units per currency unit: a cent-valued hourly rate is whole units per 1/100 minute


class RotaModel:
    """The variables of the rota; `coverage` is set by the coverage rule's builder."""

    def __init__(self, scenario: Scenario, grid: Grid, staffing: Staffing,
                 options: dict[str, list[ShiftOption]] | None = None):
        self.scenario, self.grid, self.staffing = scenario, grid, staffing
        self.model = cp_model.CpModel()
        self.options = options if options is not None else all_options(scenario, grid)
        # Inherited shifts (last week's, a re-plan's frozen ones): constants of the rules, not decisions.
        self.held: dict[str, list[Held]] = held_shifts(scenario, grid)
        self.pay = {s: PayClock(site, grid, scenario.policy.rules) for s, site in scenario.sites.items()}
        self.x: dict[tuple[str, int], cp_model.IntVar] = {}
        self.breaks: dict[tuple[str, int], list[tuple[int, cp_model.IntVar]]] = {}
        for a, opts in self.options.items():
            for j, o in enumerate(opts):
                x = self.model.new_bool_var(f"works(agent={a}, day={o.day}, shift={o.template}, start={o.clock})")
                self.x[(a, j)] = x
                if o.break_minutes:
                    lits = [(k, self.model.new_bool_var(f"break(agent={a}, day={o.day}, shift={o.template}, start={o.clock}, offset={k})"))
                            for k in o.break_offsets]
                    self.breaks[(a, j)] = lits
        self.coverage = None  # scheduler.model.coverage.Coverage, once built
        # The fairness rule's spreads: (most, fewest, each agent's count as (constant, [(variable, coef)])),
        # so a hint built from shifts alone can be completed (`spread_values`).
        self.spreads: list[tuple[cp_model.IntVar, cp_model.IntVar, dict[str, tuple[int, list]]]] = []

    def shift_cost(self, agent: str, j: int) -> int:
        """The shift's pay, break included, in objective units (the break's pay is taken off separately)."""
        a, o = self.scenario.agents[agent], self.options[agent][j]
        return int(round(self.pay[a.site].cost(a.hourly_cost, o.start, o.end) * UNITS))

    def break_cost(self, agent: str, j: int, offset: int) -> int:
        a, o = self.scenario.agents[agent], self.options[agent][j]
        s = o.start + offset
        return int(round(self.pay[a.site].cost(a.hourly_cost, s, s + o.break_minutes) * UNITS))

    def held_cost(self, h: Held) -> int:
        """A frozen shift's pay, break unpaid, in objective units (a constant of the week's wages)."""
        a = self.scenario.agents[h.agent_id]
        pay = self.pay[a.site]
        cost = pay.cost(a.hourly_cost, h.start, h.end) - (pay.cost(a.hourly_cost, *h.brk) if h.brk else 0.0)
        return int(round(cost * UNITS))

    def frozen(self, agent: str) -> list[Held]:
        """The agent's inherited shifts of this week (a re-plan's frozen ones)."""
        return [h for h in self.held.get(agent, []) if h.this_week]

    def spread_values(self, values: dict[str, int]) -> dict[str, int]:
        """The fairness spreads' most and fewest for a plan given by its shift and break values (by name)."""
        out = {}
        for hi, lo, counts in self.spreads:
            totals = [c + sum(k * int(values.get(v.name, 0)) for v, k in terms) for c, terms in counts.values()]
            out[hi.name], out[lo.name] = max(totals), min(totals)
        return out

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
