"""Concrete shifts an agent could work in the planned week.

Templates are expanded per agent and agent-local day into `ShiftOption`s
with absolute start and end (week minutes). The rules that concern a single
shift (template weekdays, the agent's daily window, leave, belonging to the
week) are applied here by leaving options out; the rules between shifts are
the model's. A shift belongs to the week whose grid holds its start instant.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduler.calendar import Grid, leave_fraction, leave_spans, localize
from scheduler.continuity import Held, clashes, held_shifts
from scheduler.domain import Agent, Scenario, clock_text
from scheduler.people import breaks_request, hard_requests, request_spans

EDGE_MINUTES = 60  # no break in the first or last hour of a shift
# The rules kept by which shifts exist at all, rather than by a builder of the model: a shift of no template,
# one inside leave or outside the agent's daily window is never an option; a language the agent does not
# speak is never among its queues (`scheduler.week.eligible_queues`). The validator checks each by this name.
OPTION_RULES = ("template", "leave", "daily_window", "language", "requests")
BREAK_SPREAD_MINUTES = 60  # the optimiser staggers breaks within an hour either side of mid-shift


@dataclass(frozen=True)
class ShiftOption:
    agent_id: str
    day: date  # agent-local date the shift starts
    template: str
    clock: int  # agent-local start, minutes after midnight
    start: int  # week minutes
    end: int
    break_minutes: int
    break_offsets: tuple[int, ...]  # allowed break starts, minutes after the shift start

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def paid_minutes(self) -> int:
        return self.length - self.break_minutes


def break_offsets(length: int, break_minutes: int, step: int) -> tuple[int, ...]:
    """Where the optimiser may start a break: on a `step` raster, never in the first or last hour,
    and within BREAK_SPREAD_MINUTES of mid-shift (a break at the second hour of a nine-hour
    night is legal, and a hand-edited roster may have it, but no planner would choose it)."""
    if break_minutes <= 0:
        return ()
    last = length - EDGE_MINUTES - break_minutes
    legal = range(EDGE_MINUTES, last + 1, step)
    middle = min(legal, key=lambda k: (abs(2 * k + break_minutes - length), k))
    return tuple(k for k in legal if abs(k - middle) <= BREAK_SPREAD_MINUTES)


def break_step(grid: Grid) -> int:
    return min(max(grid.interval_minutes, 15), 60)


def fits_window(agent: Agent, clock: int, length: int) -> bool:
    """Whether a shift starting at local `clock` lies inside the agent's daily window."""
    return agent.fits_window(clock, length)


def options_for(scenario: Scenario, grid: Grid, agent: Agent, held: list[Held] = ()) -> list[ShiftOption]:
    """The agent's shifts to choose from. Inherited shifts (`scheduler.continuity`) leave out those on their
    local day or too close to them for the rest, and a re-plan those that start before its `--from`: a rule
    between a chosen and an inherited shift is then kept by which shifts exist."""
    tz = scenario.sites[agent.site].timezone
    blocked = leave_spans(scenario, grid, agent.agent_id)
    step = break_step(grid)
    rest = int(round(scenario.policy.rules.min_rest_hours * 60))
    since = scenario.continuity.replan_from
    earliest = grid.minute_of(since) if since is not None else 0
    musts = [(r, request_spans(scenario, grid, r)) for r in hard_requests(scenario, agent.agent_id)]
    out = []
    for day in grid.local_dates(tz):
        for t in scenario.templates_for(agent.site):
            if day.weekday() not in t.weekdays:
                continue
            for clock in t.starts:
                if not fits_window(agent, clock, t.minutes):
                    continue
                start = grid.minute_of(_local_instant(day, clock, tz))
                if not max(earliest, 0) <= start < grid.minutes:
                    continue
                end = start + t.minutes
                if held and clashes(held, day, start, end, rest):
                    continue
                if any(breaks_request(r, spans, day, start, end) for r, spans in musts):
                    continue
                offsets = break_offsets(t.minutes, t.break_minutes, step)
                clash = [(max(a, start), min(b, end)) for a, b in blocked if a < end and start < b]
                if clash:
                    # The agent works no minute of leave: only a break that covers it all can save the shift.
                    offsets = tuple(k for k in offsets
                                    if all(start + k <= a and b <= start + k + t.break_minutes for a, b in clash))
                    if not offsets:
                        continue
                # A break starting in the hour that repeats when clocks go back could not be written
                # unambiguously as a local clock in the Roster: leave those positions out.
                clear = tuple(k for k in offsets if not _ambiguous(grid, start + k, tz))
                out.append(ShiftOption(agent.agent_id, day, t.shift, clock, start, end, t.break_minutes, clear or offsets))
    return out


@functools.lru_cache(maxsize=65536)
def _local_instant(day: date, clock: int, tz: str) -> datetime:
    """The instant of a local clock time on a local day (cached: every agent of a site asks the same)."""
    return localize(datetime.combine(day, datetime.min.time()) + timedelta(minutes=clock), tz)


def _ambiguous(grid: Grid, minute: int, tzname: str) -> bool:
    return _ambiguous_at(grid.instant(minute), tzname)


@functools.lru_cache(maxsize=65536)
def _ambiguous_at(instant, tzname: str) -> bool:
    """(Cached: every agent of a site asks about the same few hundred instants.)"""
    import pytz
    from scheduler.calendar import to_local
    naive = to_local(instant, tzname).replace(tzinfo=None)
    try:
        pytz.timezone(tzname).localize(naive, is_dst=None)
    except pytz.AmbiguousTimeError:
        return True
    except pytz.NonExistentTimeError:
        return False
    return False


def all_options(scenario: Scenario, grid: Grid) -> dict[str, list[ShiftOption]]:
    held = held_shifts(scenario, grid)
    return {a: options_for(scenario, grid, agent, held.get(a, [])) for a, agent in scenario.agents.items()}


def contract_max_minutes(agent: Agent) -> int:
    """The weekly maximum of paid minutes (leave does not lower it)."""
    return round(agent.max_hours * 60)


def contract_min_minutes(scenario: Scenario, grid: Grid, agent: Agent) -> int:
    """The weekly minimum, reduced pro rata for leave: a week off owes no hours."""
    return int(round(agent.min_hours * 60 * (1 - leave_fraction(scenario, grid, agent.agent_id))))


def diagnose(scenario: Scenario, grid: Grid, options: dict[str, list[ShiftOption]]) -> list[str]:
    """Contracts the rules make impossible, found before solving; each names the agent and the rules in conflict.

    Short headcount is not among them (that is a shortfall in the plan). The
    hours check is a relaxation (rest between shifts ignored), so what it
    reports is certainly impossible.
    """
    out = []
    held = held_shifts(scenario, grid)
    for agent in scenario.agents.values():
        opts = options[agent.agent_id]
        frozen = [h for h in held.get(agent.agent_id, []) if h.this_week]
        where = f"agent {agent.agent_id} (agents.csv row {agent.row})"
        site_templates = scenario.templates_for(agent.site)
        if agent.earliest_start is not None and not any(
                fits_window(agent, clock, t.minutes) for t in site_templates for clock in t.starts):
            out.append(f"{where}: no shift template of site {agent.site} fits the daily window "
                       f"{clock_text(agent.earliest_start)}-{clock_text(agent.latest_end)}")
            continue
        low = contract_min_minutes(scenario, grid, agent)
        if low <= 0:
            continue
        best_per_day: dict[date, int] = {}
        for o in opts:
            best_per_day[o.day] = max(best_per_day.get(o.day, 0), o.paid_minutes)
        days_left = max(agent.max_days - len({h.day for h in frozen}), 0)
        musts = hard_requests(scenario, agent.agent_id)
        reachable = sum(h.paid_minutes for h in frozen) + sum(sorted(best_per_day.values(), reverse=True)[:days_left])
        if reachable < low:
            out.append(f"{where}: min_hours {low / 60:g} cannot be reached: at most {reachable / 60:g} paid hours fit "
                       f"in max_days {agent.max_days} with the templates of site {agent.site}"
                       + (", the daily window" if agent.earliest_start is not None else "")
                       + (", hard requests (requests.csv rows " + ", ".join(str(r.row) for r in musts) + ")"
                          if musts else "")
                       + (", leave" if leave_spans(scenario, grid, agent.agent_id) else ""))
    return out


def require_possible(scenario: Scenario, grid: Grid, options: dict[str, list[ShiftOption]]) -> None:
    """Raise the diagnosed conflicts as one input error (exit 2), before any solving."""
    from scheduler.errors import RotaError

    conflicts = diagnose(scenario, grid, options)
    if conflicts:
        raise RotaError("the rules cannot all hold:\n" + "\n".join(f"  {c}" for c in conflicts))
