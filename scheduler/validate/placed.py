"""A roster row placed on the week: its span in grid minutes, its break, its cost recomputed from the rules.

Every check and the coverage read these facts, never the row's own figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from scheduler.calendar import Grid
from scheduler.continuity import Held, WorkedSpan
from scheduler.domain import Scenario
from scheduler.io.roster import RosterRow
from scheduler.pay import PayClock

BREAK_COLUMNS = ["rule", "agent_id", "roster_row", "detail"]


@dataclass(frozen=True)
class Break:
    rule: str
    agent_id: str
    roster_row: int | None
    detail: str


@dataclass
class Shift(WorkedSpan):
    """A roster row placed on the week: the facts every rule reads."""

    row: RosterRow
    start: int
    end: int
    brk: tuple[int, int] | None
    cost: float  # recomputed, rounded to cents as HR sees it


@dataclass(frozen=True)
class RosterWeek:
    """What every check reads: the scenario, the week's grid and the shifts placed on it, and last week's
    shifts (`--previous`) for the rules that run across the week's start."""

    scenario: Scenario
    grid: Grid
    shifts: list[Shift]
    previous: dict[str, list[Held]] = field(default_factory=dict)


def place(scenario: Scenario, grid: Grid, rows: list[RosterRow]) -> list[Shift]:
    pay = {s: PayClock(site, grid, scenario.policy.rules) for s, site in scenario.sites.items()}
    out = []
    for r in rows:
        agent = scenario.agents[r.agent_id]
        a, b = r.span(scenario, grid)
        brk = r.break_span(scenario, grid)
        clock = pay[agent.site]
        cost = clock.cost(agent.hourly_cost, a, b)
        if brk and a <= brk[0] and brk[1] <= b:
            cost -= clock.cost(agent.hourly_cost, *brk)
        elif brk:
            brk = (max(brk[0], a), min(brk[1], b)) if brk[0] < b and a < brk[1] else None
            if brk:
                cost -= clock.cost(agent.hourly_cost, *brk)
        out.append(Shift(r, a, b, brk, round(cost, 2)))
    return out


def by_agent(shifts: list[Shift]) -> dict[str, list[Shift]]:
    """Each agent's shifts in time order."""
    per = defaultdict(list)
    for s in sorted(shifts, key=lambda s: (s.row.agent_id, s.start, s.row.row)):
        per[s.row.agent_id].append(s)
    return per
