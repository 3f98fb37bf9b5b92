"""What the rota owes the people who work it: fair nights and weekends, and their requests.

Shared by the options (a hard request leaves shifts out), the model (the
spread of nights and weekend shifts per fairness group, soft requests in the
objective), the greedy start and the validator, which each apply these
definitions in their own way.

- A night shift has at least half its paid minutes in the night window of
  `policy.toml`, by the agent's local clock; a weekend shift starts on the
  agent's local Saturday or Sunday.
- A fairness group: the agents of `fairness_group` in agents.csv, else of
  one site with the same contract hours and languages. An agent on leave for
  half the week or more is left out of their group's spread (an absent
  agent would otherwise set its "fewest" at zero).
- A request's window is on the agent's clock, every local date of the week
  it names; a whole-day request is that local day. A soft request weighs the
  minutes of a shift (break included) inside its window, per hour.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from scheduler.calendar import Grid, leave_fraction, localize
from scheduler.domain import Agent, Request, Scenario
from scheduler.pay import PayClock, in_night


def is_night(clock: PayClock, worked: list[tuple[int, int]]) -> bool:
    paid = sum(b - a for a, b in worked)
    return paid > 0 and 2 * sum(clock.night_minutes(a, b) for a, b in worked) >= paid


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def group_of(agent: Agent) -> str:
    """The agent's fairness group: as given, else `site/min-max h/languages`."""
    if agent.fairness_group:
        return agent.fairness_group
    return f"{agent.site}/{agent.min_hours:g}-{agent.max_hours:g}h/{'+'.join(sorted(agent.languages))}"


def fairness_groups(scenario: Scenario, grid: Grid, what: str) -> dict[str, list[str]]:
    """Each group's agents who share in `what` ("nights" or "weekends"; two or more: a group of one has no
    spread). Left out: those on leave half the week or more, and those whose templates and daily window
    give them no such shift at all (a day-only window keeps its agent off nights; counted, they would
    hold the group's fewest at zero)."""
    capable = can_work_night if what == "nights" else can_work_weekend
    out: dict[str, list[str]] = {}
    for a in scenario.agents.values():
        if leave_fraction(scenario, grid, a.agent_id) < 0.5 and capable(scenario, a):
            out.setdefault(group_of(a), []).append(a.agent_id)
    return {g: ids for g, ids in out.items() if len(ids) > 1}


def can_work_night(scenario: Scenario, agent: Agent) -> bool:
    """Some template of the agent's site, at a start within the daily window, is a night shift by the
    clock (its break left out as at mid-shift)."""
    rules = scenario.policy.rules
    for t in scenario.templates_for(agent.site):
        for c in t.starts:
            if agent.fits_window(c, t.minutes):
                clock = np.arange(c, c + t.minutes) % 1440
                if 2 * int(in_night(clock, rules).sum()) >= t.minutes + t.break_minutes:
                    return True
    return False


def can_work_weekend(scenario: Scenario, agent: Agent) -> bool:
    return any(t.weekdays & {5, 6} and any(agent.fits_window(c, t.minutes) for c in t.starts)
               for t in scenario.templates_for(agent.site))


def request_spans(scenario: Scenario, grid: Grid, r: Request) -> list[tuple[date, int, int]]:
    """Each local date of the week the request names, with its window in week minutes [a, b)."""
    tz = scenario.sites[scenario.agents[r.agent_id].site].timezone
    out = []
    for d in grid.local_dates(tz):
        if (r.day is not None and d != r.day) or (r.weekday is not None and d.weekday() != r.weekday):
            continue
        midnight = datetime.combine(d, datetime.min.time())
        lo, hi = (r.start, r.end) if r.start is not None else (0, 1440)
        if hi <= lo:
            hi += 1440
        a = grid.minute_of(localize(midnight + timedelta(minutes=lo), tz))
        b = grid.minute_of(localize(midnight + timedelta(minutes=hi), tz))
        out.append((d, a, b))
    return out


def breaks_request(r: Request, spans: list[tuple[date, int, int]], day: date, start: int, end: int) -> bool:
    """Whether a shift (local `day`, [start, end)) goes against the request: for `avoid`, it has a minute in
    a window; for `prefer`, it starts on a named day but does not lie within that day's window."""
    if r.kind == "avoid":
        return any(start < b and a < end for _, a, b in spans)
    return any(d == day and not (a <= start and end <= b) for d, a, b in spans)


def inside_minutes(spans: list[tuple[date, int, int]], start: int, end: int) -> int:
    return sum(max(0, min(end, b) - max(start, a)) for _, a, b in spans)


def hard_requests(scenario: Scenario, agent_id: str) -> list[Request]:
    return [r for r in scenario.requests if r.agent_id == agent_id and r.must]
