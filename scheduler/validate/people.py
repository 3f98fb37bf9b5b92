"""What the rota gives the people who work it, from the roster alone: each agent's nights, weekend shifts
and requests granted (the `People` sheet), each fairness group's spread, and the fairness and soft-request
terms of the objective recomputed (the model's `fairness` and `requests` builders price the same)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scheduler.calendar import Grid
from scheduler.continuity import Held
from scheduler.domain import Scenario
from scheduler.pay import PayClock
from scheduler.people import (breaks_request, fairness_groups, group_of, inside_minutes, is_night, is_weekend,
                              request_spans)
from scheduler.validate.placed import Break, RosterWeek, Shift, by_agent

PEOPLE_COLUMNS = ["agent_id", "name", "site", "fairness_group", "paid_hours", "shifts", "nights", "weekend_shifts",
                  "requests_granted", "requests_refused"]
GROUP_COLUMNS = ["fairness_group", "agents", "nights_fewest", "nights_most", "weekend_fewest", "weekend_most"]
WEEKS_BACK = 28 * 1440  # inherited shifts count toward fairness over the last four weeks


@dataclass
class People:
    agents: pd.DataFrame  # PEOPLE_COLUMNS
    groups: pd.DataFrame  # GROUP_COLUMNS: counts over this week and the four before, where known
    fairness_cost: float
    requests_cost: float  # soft requests: avoided minutes' cost less preferred minutes' reward


def _granted(r, spans: list, shifts: list[Shift]) -> bool:
    if r.must or r.kind == "avoid":
        return not any(breaks_request(r, spans, s.row.date, s.start, s.end) for s in shifts)
    return any(inside_minutes(spans, s.start, s.end) for s in shifts)


def _fewest_most(values: list[int]) -> tuple[int | None, int | None]:
    return (min(values), max(values)) if values else (None, None)


def people(scenario: Scenario, grid: Grid, shifts: list[Shift], previous: dict[str, list[Held]]) -> People:
    per = by_agent(shifts)
    pay = {s: PayClock(site, grid, scenario.policy.rules) for s, site in scenario.sites.items()}
    # Each request's windows in this week, once (a request of another week has none and is not counted).
    asked: dict[str, list] = {}
    for r in scenario.requests:
        spans = request_spans(scenario, grid, r) if r.agent_id in scenario.agents else []
        if spans:
            asked.setdefault(r.agent_id, []).append((r, spans))
    rows, counts = [], {}
    for agent_id, agent in scenario.agents.items():
        ss, clock = per.get(agent_id, []), pay[agent.site]
        nights = sum(1 for s in ss if is_night(clock, s.worked_spans()))
        weekends = sum(1 for s in ss if is_weekend(s.row.date))
        before = [h for h in previous.get(agent_id, []) if h.start >= -WEEKS_BACK]
        counts[agent_id] = (nights + sum(1 for h in before if is_night(clock, h.worked_spans())),
                            weekends + sum(1 for h in before if is_weekend(h.day)))
        mine = asked.get(agent_id, [])
        granted = sum(1 for r, spans in mine if _granted(r, spans, ss))
        rows.append([agent_id, agent.name, agent.site, group_of(agent), round(sum(s.paid_minutes for s in ss) / 60, 2),
                     len(ss), nights, weekends, granted, len(mine) - granted])
    groups, cost = [], 0.0
    f = scenario.policy.fairness
    night_groups, weekend_groups = fairness_groups(scenario, grid, "nights"), fairness_groups(scenario, grid, "weekends")
    for g in sorted(set(night_groups) | set(weekend_groups)):
        n = _fewest_most([counts[a][0] for a in night_groups.get(g, [])])
        w = _fewest_most([counts[a][1] for a in weekend_groups.get(g, [])])
        groups.append([g, len(set(night_groups.get(g, [])) | set(weekend_groups.get(g, []))), *n, *w])
        cost += sum(weight * (hi - lo) for weight, (lo, hi) in ((f.nights_weight, n), (f.weekends_weight, w))
                    if lo is not None)
    soft = 0.0
    for mine in asked.values():
        for r, spans in mine:
            if not r.must:
                minutes = sum(inside_minutes(spans, s.start, s.end) for s in per.get(r.agent_id, []))
                soft += (1 if r.kind == "avoid" else -1) * r.weight * minutes / 60
    return People(pd.DataFrame(rows, columns=PEOPLE_COLUMNS), pd.DataFrame(groups, columns=GROUP_COLUMNS),
                  round(cost, 2), round(soft, 2))


def requests(w: RosterWeek) -> list[Break]:
    """A hard request (must = yes) is a rule: no minute in an avoided window; on a preferred day, a shift
    only within the window."""
    out = []
    per = by_agent(w.shifts)
    for r in w.scenario.requests:
        if not r.must:
            continue
        spans = request_spans(w.scenario, w.grid, r)
        for s in per.get(r.agent_id, []):
            if breaks_request(r, spans, s.row.date, s.start, s.end):
                out.append(Break("requests", r.agent_id, s.row.row,
                                 f"goes against the hard request '{r.describe()}' (requests.csv row {r.row})"))
    return out
