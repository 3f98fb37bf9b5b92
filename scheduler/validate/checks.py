"""One check per rule, named as the model's builder of that rule (`scheduler.model.rules`) or, for the
rules that decide which shifts exist, as in `scheduler.shifts.OPTION_RULES`. No solver, no model: a check
reads the placed roster and names the row that breaks the rule.
"""

from __future__ import annotations

from typing import Callable

from scheduler.calendar import leave_spans
from scheduler.domain import clock_text
from scheduler.shifts import EDGE_MINUTES, contract_min_minutes, fits_window
from scheduler.validate.people import requests
from scheduler.validate.placed import Break, RosterWeek, Shift, by_agent


def week(w: RosterWeek) -> list[Break]:
    """Shifts must start inside the planned week; others are ignored."""
    grid, shifts = w.grid, w.shifts
    return [Break("outside_week", s.row.agent_id, s.row.row,
                  f"starts {s.row.date} {clock_text(s.row.start)}, outside the week {grid.label}; ignored")
            for s in shifts if not 0 <= s.start < grid.minutes]


def template(w: RosterWeek) -> list[Break]:
    """A shift is one of its site's templates: start, length, break and weekday."""
    sc, shifts = w.scenario, w.shifts
    out = []
    for s in shifts:
        site = sc.agents[s.row.agent_id].site
        length = s.end - s.start
        ok = any(t.applies_to(site) and s.row.date.weekday() in t.weekdays and s.row.start in t.starts
                 and t.minutes == length and t.break_minutes == s.row.break_minutes
                 for t in sc.templates)
        if not ok:
            out.append(Break("template", s.row.agent_id, s.row.row,
                             f"{clock_text(s.row.start)}-{clock_text(s.row.end)} ({length / 60:g} h, break "
                             f"{s.row.break_minutes} min) on {s.row.date:%a} matches no shift template of site {site}"))
    return out


def break_placement(w: RosterWeek) -> list[Break]:
    """A shift with an unpaid break has it inside the shift, not in its first or last hour."""
    shifts = w.shifts
    out = []
    for s in shifts:
        if s.row.break_minutes and (s.brk is None or s.brk[0] < s.start + EDGE_MINUTES or s.brk[1] > s.end - EDGE_MINUTES):
            out.append(Break("break_placement", s.row.agent_id, s.row.row,
                             f"break at {clock_text(s.row.break_start)} is not inside the shift away from its first and last hour"))
    return out


def language(w: RosterWeek) -> list[Break]:
    """A row serves only languages its agent speaks and some market of the scenario is served in."""
    sc, shifts = w.scenario, w.shifts
    served = {q.language for q in sc.queues}
    out = []
    for s in shifts:
        agent = sc.agents[s.row.agent_id]
        for lang in s.row.queues:
            if lang not in agent.languages:
                out.append(Break("language", agent.agent_id, s.row.row,
                                 f"{agent.agent_id} does not speak {lang} (speaks {', '.join(agent.languages)})"))
            elif lang not in served:
                out.append(Break("language", agent.agent_id, s.row.row, f"no market of this scenario is served in {lang}"))
    return out


def leave(w: RosterWeek) -> list[Break]:
    """No minute worked inside the agent's leave."""
    sc, grid, shifts = w.scenario, w.grid, w.shifts
    out = []
    for s in shifts:
        for a, b in leave_spans(sc, grid, s.row.agent_id):
            clash = sum(max(0, min(b, e) - max(a, st)) for st, e in s.worked_spans())
            if clash:
                out.append(Break("leave", s.row.agent_id, s.row.row, f"works {clash} min during leave"))
                break
    return out


def daily_window(w: RosterWeek) -> list[Break]:
    """The shift lies within the agent's daily window (earliest start to latest end, local clock)."""
    sc, shifts = w.scenario, w.shifts
    out = []
    for s in shifts:
        agent = sc.agents[s.row.agent_id]
        if not fits_window(agent, s.row.start, s.end - s.start):
            out.append(Break("daily_window", agent.agent_id, s.row.row,
                             f"{clock_text(s.row.start)}-{clock_text(s.row.end)} is outside the daily window "
                             f"{clock_text(agent.earliest_start)}-{clock_text(agent.latest_end)}"))
    return out


def _timeline(w: RosterWeek, agent: str, ss: list[Shift]) -> list[tuple[int, int, object, str, int | None]]:
    """An agent's shifts in time order, last week's first: (start, end, local date, where, row of this week)."""
    before = [(h.start, h.end, h.day, f"{h.where()}, the week before", None) for h in w.previous.get(agent, [])]
    return sorted(before + [(s.start, s.end, s.row.date, f"row {s.row.row}", s.row.row) for s in ss],
                  key=lambda t: (t[0], t[4] or 0))


def one_shift_per_day(w: RosterWeek) -> list[Break]:
    """At most one shift per agent-local day (the second is the break), last week's shifts included."""
    out = []
    per = by_agent(w.shifts)
    for agent in sorted(set(per) | set(w.previous)):
        seen = {}
        for _, _, day, where, row in _timeline(w, agent, per.get(agent, [])):
            if day in seen and row is not None:
                out.append(Break("one_shift_per_day", agent, row, f"second shift on {day}; first on {seen[day]}"))
            else:
                seen.setdefault(day, where)
    return out


def min_rest(w: RosterWeek) -> list[Break]:
    """At least min_rest_hours between one shift's end and the next one's start, in absolute time, from
    last week's last shift too."""
    rest = w.scenario.policy.rules.min_rest_hours * 60
    per = by_agent(w.shifts)
    out = []
    for agent in sorted(per):
        line = _timeline(w, agent, per[agent])
        for p, q in zip(line, line[1:]):
            gap = q[0] - p[1]
            if q[4] is not None and gap < rest and p[2] != q[2]:
                what = "overlaps the previous shift" if gap < 0 else f"only {gap / 60:g} h after the previous shift"
                out.append(Break("min_rest", agent, q[4], f"{what} ({p[3]}); at least {rest / 60:g} h of rest required"))
    return out


def max_consecutive_days(w: RosterWeek) -> list[Break]:
    """No more than max_consecutive_days worked local days in a row, last week's days included (the first
    day of this week too many is the break)."""
    k = w.scenario.policy.rules.max_consecutive_days
    per = by_agent(w.shifts)
    out = []
    for agent in sorted(per):
        run, last, before = 0, None, {h.day for h in w.previous.get(agent, [])}
        for day, row in sorted({(d, None) for d in before} | {(s.row.date, s.row.row) for s in per[agent]},
                               key=lambda t: (t[0], t[1] or 0)):
            if last is not None and day == last:
                continue
            run = run + 1 if last is not None and (day - last).days == 1 else 1
            last = day
            if run == k + 1 and row is not None:
                carried = sum(1 for d in before if (day - d).days in range(1, run))
                out.append(Break("max_consecutive_days", agent, row,
                                 f"day {run} in a row ({day}); at most {k} allowed"
                                 + (f" ({carried} of them in the week before)" if carried else "")))
            elif run == k + 1:
                run = k  # a run already too long last week is last week's break; it still counts on
    return out


def max_days(w: RosterWeek) -> list[Break]:
    """At most max_days shifts in the week."""
    sc, shifts = w.scenario, w.shifts
    out = []
    for agent, ss in by_agent(shifts).items():
        limit = sc.agents[agent].max_days
        days = sorted({s.row.date for s in ss})
        if len(days) > limit:
            row = next(s.row.row for s in ss if s.row.date == days[limit])
            out.append(Break("max_days", agent, row, f"works {len(days)} days; contract allows {limit}"))
    return out


def weekly_hours(w: RosterWeek) -> list[Break]:
    """Paid hours within the contract: min_hours (pro rata for leave) to max_hours."""
    sc, grid, shifts = w.scenario, w.grid, w.shifts
    per = by_agent(shifts)
    out = []
    for agent_id, agent in sc.agents.items():
        ss = per.get(agent_id, [])
        paid = sum(s.paid_minutes for s in ss)
        last_row = ss[-1].row.row if ss else None
        if paid > round(agent.max_hours * 60):
            out.append(Break("max_hours", agent_id, last_row, f"{paid / 60:g} paid hours; contract maximum {agent.max_hours:g}"))
        low = contract_min_minutes(sc, grid, agent)
        if paid < low:
            out.append(Break("min_hours", agent_id, last_row,
                             f"{paid / 60:g} paid hours; contract minimum {low / 60:g}" +
                             (" (pro rata for leave)" if low < round(agent.min_hours * 60) else "")))
    return out


def wage_cost(w: RosterWeek) -> list[Break]:
    """A cost written on the row equals the one the pay rules give (a stale, hand-edited cost is a finding)."""
    shifts = w.shifts
    return [Break("stale_cost", s.row.agent_id, s.row.row, f"cost {s.row.cost:.2f} in the file; the rules give {s.cost:.2f}")
            for s in shifts if s.row.cost is not None and abs(s.row.cost - s.cost) > 0.005]


# The order rule breaks are listed in; `week` (rows outside the planned week) runs first, on every row.
CHECKS: dict[str, Callable[[RosterWeek], list[Break]]] = {f.__name__: f for f in (
    template, break_placement, language, leave, daily_window, requests, one_shift_per_day, min_rest,
    max_consecutive_days, max_days, weekly_hours, wage_cost)}
