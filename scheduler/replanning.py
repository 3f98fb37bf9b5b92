"""A mid-week re-plan: the rest of a published week against today's inputs, the past left as it was.

Every published shift that starts before `--from` is frozen: it is written
back row for row, and the model holds it as a constant (it covers, it counts
toward the agent's hours and days, and it bounds rest). Later shifts may
change, each change at `change_cost`, and the search starts from the
published rota, so a small change of inputs gives a small change of rota.
The published week is also evaluated against today's inputs, as it would
now be worked (shifts that fall in new leave, or of agents no longer in
agents.csv, dropped), so the terminal can say what the changes bought.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from scheduler.calendar import Grid, leave_spans, localize, to_local
from scheduler.domain import WEEKDAYS, Continuity, Scenario
from scheduler.errors import RotaError
from scheduler.io.roster import RosterRow, fixed_shifts, read_roster, roster_week
from scheduler.plan import Plan, make_plan
from scheduler.staffing import compute_staffing
from scheduler.validate import Evaluation, evaluate, place
from scheduler.validate.changes import Change, describe
from scheduler.week import interval_overlaps, row_queues


@dataclass
class Replan:
    plan: Plan
    before: Evaluation  # the published week as it would now be worked, against today's inputs
    since: datetime  # UTC
    frozen: int  # shifts kept as published
    changes: list[dict]  # the Changes sheet's rows (`scheduler.io.workbook.CHANGE_COLUMNS`)

    @property
    def since_text(self) -> str:
        return local_text(self.since, self.plan.grid)

    @property
    def agents_changed(self) -> int:
        return len({c["agent_id"] for c in self.changes})


def parse_from(text: str | None, grid: Grid, now: datetime | None = None) -> datetime:
    """`--from`: a local time of the planning zone, `YYYY-MM-DD[ HH:MM]` or a weekday of the published week
    (`Wed`, `Wed 14:00`); default now. Returns the UTC instant."""
    tz = grid.timezone
    if text is None:
        return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    t = text.strip()
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2}))?", t)
    w = re.fullmatch(r"([A-Za-z]{3})[a-z]*(?:\s+(\d{1,2}):(\d{2}))?", t)
    try:
        if m:
            day = date.fromisoformat(m.group(1))
            hour, minute = int(m.group(2) or 0), int(m.group(3) or 0)
        elif w and w.group(1).title() in WEEKDAYS:
            k = WEEKDAYS.index(w.group(1).title())
            day = next(grid.first_day + timedelta(days=d) for d in range(7)
                       if (grid.first_day + timedelta(days=d)).weekday() == k)
            hour, minute = int(w.group(2) or 0), int(w.group(3) or 0)
        else:
            raise ValueError
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise RotaError(f"--from {text!r}: expected a local time of {tz}, YYYY-MM-DD HH:MM or a weekday of "
                        f"the published week such as 'Wed 00:00'") from None
    return localize(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=minute), tz) \
        .astimezone(timezone.utc)


def local_text(since: datetime, grid: Grid) -> str:
    return f"{to_local(since, grid.timezone):%Y-%m-%d %H:%M} {grid.timezone}"


def output_suffix(since: datetime, grid: Grid) -> str:
    """`-replan-20261209-0000`: a re-plan never replaces the published plan, nor another re-plan's."""
    return f"-replan-{to_local(since, grid.timezone):%Y%m%d-%H%M}"


def summary_items(r: Replan) -> list[tuple[str, object, str | None]]:
    """The re-plan's rows of Summary: from when, what was kept, what changed and what it bought."""
    ev, before = r.plan.evaluation, r.before
    return [("replan_from", local_text(r.since, ev.grid), None), ("frozen_shifts", r.frozen, "0"),
            ("changes", len(r.changes), "0"), ("agents_changed", r.agents_changed, "0"),
            ("change_cost", round(ev.changes_cost, 2), "#,##0.00"),
            ("published_cost", before.cost, "#,##0.00"),
            ("published_shortfall_hours", round(before.shortfall_hours, 2), "0.00"),
            ("published_total", round(before.total, 2), "#,##0.00")]


def replan(scenario: Scenario, published: str | Path, since: datetime | None = None, *,
           time_limit: float | None = None, workers: int | None = None, seed: int | None = None,
           progress: Callable[[float, float, float], None] | None = None) -> Replan:
    """Re-plan the published roster's week from `since` (UTC; default now) against `scenario` (today's
    inputs, with its `--previous` if any)."""
    path = Path(published)
    rows = read_roster(path, scenario)
    grid = roster_week(scenario, rows)
    since = since or datetime.now(timezone.utc)
    start = grid.minute_of(since)
    if start >= grid.minutes:
        raise RotaError(f"--from {to_local(since, grid.timezone):%Y-%m-%d %H:%M}: after the published week "
                        f"{grid.label}; nothing is left to re-plan (plan the next week with --previous)")
    label = path.name if path.suffix.lower() == ".csv" else f"{path.name}, sheet Roster"
    placed = place(scenario, grid, rows)
    inside = [(r, s) for r, s in zip(rows, placed) if 0 <= s.start < grid.minutes]
    frozen_rows = [r for r, s in inside if s.start < start]
    later_rows = [r for r, s in inside if s.start >= start]
    c = scenario.continuity
    sc = replace(scenario, continuity=Continuity(c.previous, c.previous_file, fixed_shifts(scenario, frozen_rows, label),
                                                 fixed_shifts(scenario, later_rows, label), since))
    plan = make_plan(sc, grid.first_day, time_limit=time_limit, workers=workers, seed=seed, progress=progress,
                     start=sc.continuity.published, kept_rows=frozen_rows)
    before = as_worked_now(replace(scenario, continuity=Continuity(c.previous, c.previous_file)), grid, rows)
    changes = [change_row(sc, grid, ch, before) for ch in plan.evaluation.changes]
    return Replan(plan, before, since, len(frozen_rows), changes)


def with_plan(r: Replan, plan: Plan) -> Replan:
    """The re-plan with another rota of the same week (a correction round's), its changes counted again."""
    sc, grid = plan.scenario, plan.grid
    return replace(r, plan=plan, changes=[change_row(sc, grid, ch, r.before) for ch in plan.evaluation.changes])


def as_worked_now(scenario: Scenario, grid: Grid, rows: list[RosterRow]) -> Evaluation:
    """The published rows as they would now be worked: a shift with a minute in today's leave is not."""
    placed = place(scenario, grid, rows)
    kept = []
    for r, s in zip(rows, placed):
        spans = leave_spans(scenario, grid, r.agent_id)
        if not any(a < e and st < b for a, b in spans for st, e in s.worked_spans()):
            kept.append(r)
    return evaluate(scenario, grid, compute_staffing(scenario, grid), kept)


def change_row(scenario: Scenario, grid: Grid, ch: Change, before: Evaluation) -> dict:
    """A change as the Changes sheet shows it, with why: `leave` (the published shift now falls in leave),
    `agent removed`, `demand` (the new hours cover what the published week as now worked leaves short in
    the agent's queues), else `cost` (it saves more than it costs)."""
    agent = scenario.agents.get(ch.agent_id)
    if agent is None:
        why = "agent removed"
    elif ch.before is not None and any(a < ch.before[1] and ch.before[0] < b
                                       for a, b in leave_spans(scenario, grid, ch.agent_id)):
        why = "leave"
    elif ch.after is not None and _covers_shortfall(scenario, grid, ch, before):
        why = "demand"
    else:
        why = "cost"
    return {"agent_id": ch.agent_id, "name": agent.name if agent else "", "date": ch.day, "change": ch.kind,
            "before": describe(scenario, grid, ch.agent_id, ch.before),
            "after": describe(scenario, grid, ch.agent_id, ch.after), "why": why}


def _covers_shortfall(scenario: Scenario, grid: Grid, ch: Change, before: Evaluation) -> bool:
    agent = scenario.agents[ch.agent_id]
    queues = set(row_queues(scenario, ch.agent_id, agent.languages))
    cov = before.coverage
    short = cov[(cov["shortfall_hours"] > 0) & cov["queue"].isin(queues)]
    wanted = {int(i) for i in short["interval"]}
    return any(i in wanted for i, _ in interval_overlaps(ch.after[0], ch.after[1], grid.interval_minutes, grid.size))
