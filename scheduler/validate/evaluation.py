"""The solver-free evaluator: every rule of the rota checked on Roster rows, costs recomputed.

`rota evaluate` runs it on a (possibly hand-edited) roster and `rota plan`
runs it on its own roster, so a planned roster evaluates to exactly what plan
reported. Rule checks and costs use no solver; which of a row's queues an
agent serves per interval is decided by `coverage.assign_queues`, on a model
of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scheduler.calendar import Grid
from scheduler.continuity import check_previous, held_shifts
from scheduler.domain import Scenario
from scheduler.io.roster import RosterRow
from scheduler.pay import PayClock
from scheduler.people import is_night
from scheduler.shifts import contract_min_minutes
from scheduler.staffing import Staffing
from scheduler.validate.changes import Change, change_cost
from scheduler.validate.people import People, people
from scheduler.validate.checks import CHECKS, week
from scheduler.validate.coverage import coverage_shortfall, markets_frame
from scheduler.validate.placed import BREAK_COLUMNS, Break, RosterWeek, Shift, by_agent, place


@dataclass
class Evaluation:
    scenario: Scenario
    grid: Grid
    staffing: Staffing
    shifts: list[Shift]
    breaks: list[Break]
    coverage: pd.DataFrame  # per queue and interval
    markets: pd.DataFrame  # per market and interval, market-local
    agents: pd.DataFrame  # per agent
    assignment_status: str = "OPTIMAL"
    extra: dict = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)  # a re-plan's, against the published week
    people: People | None = None  # nights, weekends and requests per agent; fairness per group

    @property
    def cost(self) -> float:
        return round(sum(s.cost for s in self.shifts), 2)

    def cost_by_site(self) -> dict[str, float]:
        out = {s: 0.0 for s in self.scenario.sites}
        for s in self.shifts:
            out[self.scenario.agents[s.row.agent_id].site] += s.cost
        return {k: round(v, 2) for k, v in out.items()}

    @property
    def shortfall_hours(self) -> float:
        return float(self.coverage["shortfall_hours"].sum())

    def shortfall_by_queue(self) -> dict[str, float]:
        return self.coverage.groupby("queue", sort=False)["shortfall_hours"].sum().to_dict()

    def targets_met_by_queue(self) -> dict[str, float]:
        """Share of intervals with questions whose every target is met."""
        busy = self.coverage[self.coverage["arrivals"] > 0]
        return busy.groupby("queue", sort=False)["targets_met"].mean().reindex(self.staffing.loads, fill_value=1.0).to_dict()

    def asa_by_queue(self) -> dict[str, float]:
        """ASA of each queue over the week, weighted by answered questions, in the intervals someone staffs."""
        out = {}
        for q, g in self.coverage.groupby("queue", sort=False):
            w = g["arrivals"] * (1 - g["abandon_rate"])
            finite = np.isfinite(g["asa_seconds"])
            out[q] = float((g["asa_seconds"][finite] * w[finite]).sum() / w[finite].sum()) if w[finite].sum() else math.nan
        return out

    def unstaffed_hours_by_queue(self) -> dict[str, float]:
        """Hours with questions and nobody to answer them (ASA undefined there)."""
        busy = self.coverage[(self.coverage["arrivals"] > 0) & ~np.isfinite(self.coverage["asa_seconds"])]
        hours = busy.groupby("queue", sort=False).size() * self.grid.interval_minutes / 60
        return {q: float(hours.get(q, 0.0)) for q in self.staffing.loads}

    @property
    def shortfall_cost(self) -> float:
        return self.shortfall_hours * self.scenario.policy.costs.shortfall_per_agent_hour

    @property
    def total(self) -> float:
        return self.cost + self.shortfall_cost

    @property
    def changes_cost(self) -> float:
        """What a re-plan's changes cost at change_cost each (0 outside a re-plan): with `total`, what the
        re-plan minimised."""
        return len(self.changes) * self.scenario.policy.costs.change_cost

    @property
    def people_cost(self) -> float:
        """The fairness and soft-request terms of the objective, recomputed."""
        return (self.people.fairness_cost + self.people.requests_cost) if self.people else 0.0

    @property
    def objective(self) -> float:
        """What the plan minimised, recomputed: `total`, and a re-plan's changes, fairness and requests."""
        return self.total + self.changes_cost + self.people_cost

    @property
    def breaks_frame(self) -> pd.DataFrame:
        return pd.DataFrame([b.__dict__ for b in self.breaks], columns=BREAK_COLUMNS)


def evaluate(scenario: Scenario, grid: Grid, staffing: Staffing, rows: list[RosterRow]) -> Evaluation:
    """Every rule checked, coverage and costs recomputed, for the rows of the planned week."""
    check_previous(scenario, grid)
    placed = place(scenario, grid, rows)
    inside = [s for s in placed if 0 <= s.start < grid.minutes]
    # Rows of other weeks are reported and then ignored by every weekly rule, as they are by coverage.
    # Last week's shifts (`--previous`) bound the first days, and work the minutes they run into the week.
    previous = {a: [h for h in hs if not h.this_week] for a, hs in held_shifts(scenario, grid).items()}
    the_week = RosterWeek(scenario, grid, inside, {a: hs for a, hs in previous.items() if hs})
    breaks = week(RosterWeek(scenario, grid, placed)) + [b for check in CHECKS.values() for b in check(the_week)]
    coverage, status = coverage_shortfall(scenario, grid, staffing, inside,
                                          [h for hs in previous.values() for h in hs])
    return Evaluation(scenario, grid, staffing, inside, breaks, coverage,
                      markets_frame(scenario, grid, staffing, coverage), agents_frame(scenario, grid, inside),
                      assignment_status=status, changes=change_cost(scenario, grid, inside),
                      people=people(scenario, grid, inside, previous))


def agents_frame(scenario: Scenario, grid: Grid, shifts: list[Shift]) -> pd.DataFrame:
    """Per agent: days, hours, nights, weekend shifts and cost against the contract."""
    per = by_agent(shifts)
    pay = {s: PayClock(site, grid, scenario.policy.rules) for s, site in scenario.sites.items()}
    rows = []
    for agent_id, agent in scenario.agents.items():
        ss = per.get(agent_id, [])
        clock = pay[agent.site]
        night = sum(clock.night_minutes(a, b) for s in ss for a, b in s.worked_spans())
        paid = sum(s.paid_minutes for s in ss) / 60
        rows.append({
            "agent_id": agent_id, "name": agent.name, "site": agent.site, "languages": ",".join(agent.languages),
            "days": len({s.row.date for s in ss}), "paid_hours": round(paid, 2),
            "night_hours": round(night / 60, 2),
            "nights": sum(1 for s in ss if is_night(clock, s.worked_spans())),
            "weekend_shifts": sum(1 for s in ss if s.row.date.weekday() >= 5),
            "cost": round(sum(s.cost for s in ss), 2),
            "min_hours": round(contract_min_minutes(scenario, grid, agent) / 60, 2), "max_hours": agent.max_hours,
            "max_days": agent.max_days,
        })
    return pd.DataFrame(rows)
