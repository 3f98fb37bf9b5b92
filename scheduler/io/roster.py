"""The Roster: one row per shift, the interface HR imports.

Columns, names, order and formats are a stable contract (docs/outputs.md);
`ROSTER_COLUMNS` is the one place they are written down. A roster can come
back hand-edited (`rota evaluate`), so reading it reuses the scenario
loaders' cell parsing and error reporting. Local columns (date, start, end,
break_start) are authoritative; UTC columns are derived for convenience.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytz

from scheduler.calendar import Grid, localize, to_local
from scheduler.domain import FixedShift, Scenario
from scheduler.errors import Problems, RotaError
from scheduler.io.tables import FORMULA_PREFIXES, Column, Table, read_csv_table, parse_clock, parse_code, parse_instant, parse_languages, parse_number, parse_table

ROSTER_COLUMNS = ["agent_id", "name", "site", "date", "start", "end", "timezone", "start_utc", "end_utc",
                  "paid_hours", "break_start", "break_minutes", "queues", "cost"]


@dataclass(frozen=True)
class RosterRow:
    agent_id: str
    date: date  # agent-local date the shift starts
    start: int  # agent-local clock, minutes
    end: int
    break_start: int | None
    break_minutes: int
    queues: tuple[str, ...]  # languages served (the spec's `queues` column)
    cost: float | None = None  # as written in the file (None when absent)
    row: int = 0  # spreadsheet row
    start_utc: datetime | None = None  # as written; only consulted when a local clock is ambiguous
    end_utc: datetime | None = None

    def span(self, scenario: Scenario, grid: Grid) -> tuple[int, int]:
        """Absolute [start, end) in week minutes; the local clocks say when, DST included.

        A clock in the hour that repeats when the clocks go back names two
        instants: the row's UTC column picks one, or else (for the end) the
        one that gives a shift of a template's length.
        """
        site = scenario.agents[self.agent_id].site
        tz = scenario.sites[site].timezone
        day = datetime.combine(self.date, datetime.min.time())
        a = _occurrences(day + timedelta(minutes=self.start), tz)
        a = next((x for x in a if x == self.start_utc), a[0])
        end_day = day + timedelta(days=1 if self.end <= self.start else 0)
        ends = [b for b in _occurrences(end_day + timedelta(minutes=self.end), tz) if b > a] or [a]
        lengths = {t.minutes for t in scenario.templates_for(site)}
        b = next((x for x in ends if x == self.end_utc), None) or \
            next((x for x in ends if (x - a).total_seconds() / 60 in lengths), ends[0])
        return grid.minute_of(a), grid.minute_of(b)

    def break_span(self, scenario: Scenario, grid: Grid) -> tuple[int, int] | None:
        if not self.break_minutes or self.break_start is None:
            return None
        tz = scenario.sites[scenario.agents[self.agent_id].site].timezone
        day = datetime.combine(self.date, datetime.min.time())
        if self.break_start < self.start:
            day += timedelta(days=1)
        start, end = self.span(scenario, grid)
        options = [grid.minute_of(x) for x in _occurrences(day + timedelta(minutes=self.break_start), tz)]
        a = next((x for x in options if start + 60 <= x and x + self.break_minutes <= end - 60), options[0])
        return a, a + self.break_minutes


def _occurrences(naive: datetime, tzname: str) -> list[datetime]:
    """The UTC instants a local wall time names: one, two in a repeated hour, or (skipped) the shifted one."""
    tz = pytz.timezone(tzname)
    try:
        return [tz.localize(naive, is_dst=None).astimezone(timezone.utc)]
    except pytz.AmbiguousTimeError:
        return [tz.localize(naive, is_dst=True).astimezone(timezone.utc), tz.localize(naive, is_dst=False).astimezone(timezone.utc)]
    except pytz.NonExistentTimeError:
        return [localize(naive, tzname)]


def roster_order(scenario: Scenario, agent_id: str, start: int) -> tuple:
    """Where a shift comes in the Roster: by site (in sites.csv order), agent, then start."""
    return list(scenario.sites).index(scenario.agents[agent_id].site), agent_id, start


def utc_text(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def row_from_plan(scenario: Scenario, grid: Grid, planned) -> RosterRow:
    """A planned shift as the Roster states it (local clocks)."""
    o = planned.option
    tz = scenario.sites[scenario.agents[o.agent_id].site].timezone
    end_local = to_local(grid.instant(o.end), tz)
    brk = None
    if planned.break_offset is not None:
        b = to_local(grid.instant(o.start + planned.break_offset), tz)
        brk = b.hour * 60 + b.minute
    language = {q.queue: q.language for q in scenario.queues}
    languages = tuple(dict.fromkeys(language[q] for q in planned.queues))  # the Roster's `queues` are languages
    return RosterRow(o.agent_id, o.day, o.clock, end_local.hour * 60 + end_local.minute, brk,
                     o.break_minutes if brk is not None else 0, languages,
                     start_utc=grid.instant(o.start).astimezone(timezone.utc), end_utc=grid.instant(o.end).astimezone(timezone.utc))


def read_roster(path: str | Path, scenario: Scenario) -> list[RosterRow]:
    """Read a `Roster` sheet (xlsx) or roster.csv; unreadable rows are input errors (exit 2)."""
    path = Path(path)
    problems = Problems()
    if not path.exists():
        raise RotaError(f"{path}: no such roster file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table = _read_roster_sheet(path, problems)
    elif path.suffix.lower() == ".csv":
        table = read_csv_table(path, "roster", problems)
    else:
        raise RotaError(f"{path}: expected a workbook (.xlsx) with a Roster sheet, or a roster .csv")
    if table is None:
        problems.raise_if_any()
        raise RotaError(f"{path}: no Roster sheet")
    table.file = path.name if path.suffix.lower() == ".csv" else f"{path.name}, sheet Roster"
    for _, cells in table.rows:  # our CSV quotes text a spreadsheet would run; read it back as written
        for k, v in cells.items():
            if v.startswith("'") and v[1:].startswith(FORMULA_PREFIXES):
                cells[k] = v[1:]
    cols = [
        Column("agent_id", parse_code), Column("date", _parse_date), Column("start", parse_clock),
        Column("end", lambda t: parse_clock(t, allow_24=True)), Column("break_start", parse_clock, None),
        Column("break_minutes", parse_number(0, 600, integer=True), 0),
        Column("queues", parse_languages, ()), Column("cost", parse_number(), None),
        Column("start_utc", parse_instant, None), Column("end_utc", parse_instant, None),
    ]
    rows = []
    for r, v in parse_table(table, cols, problems):
        if v["agent_id"] not in scenario.agents:
            problems.add(table.file, r, "agent_id", v["agent_id"], "unknown agent; expected an agent_id of agents.csv")
            continue
        if v["break_minutes"] and v["break_start"] is None:
            problems.add(table.file, r, "break_start", "", "a break of break_minutes needs a break_start")
            continue
        rows.append(RosterRow(v["agent_id"], v["date"], v["start"], v["end"] % 1440 if v["end"] != 1440 else 0,
                              v["break_start"], v["break_minutes"] if v["break_start"] is not None else 0,
                              v["queues"], v["cost"], r, v["start_utc"], v["end_utc"]))
    problems.raise_if_any()
    return rows


def fixed_shifts(scenario: Scenario, rows: list[RosterRow], file: str) -> list[FixedShift]:
    """Roster rows as shifts in absolute time (their local clocks placed, DST included), for a plan that
    inherits them: `--previous`, or the frozen part of a published week."""
    from scheduler.calendar import planning_grid

    grids: dict[date, Grid] = {}
    out = []
    for r in rows:
        grid = grids.setdefault(r.date, planning_grid(scenario, r.date))
        a, b = r.span(scenario, grid)
        brk = r.break_span(scenario, grid)
        out.append(FixedShift(r.agent_id, r.date, grid.instant(a).astimezone(timezone.utc),
                              grid.instant(b).astimezone(timezone.utc),
                              grid.instant(brk[0]).astimezone(timezone.utc) if brk else None,
                              grid.instant(brk[1]).astimezone(timezone.utc) if brk else None,
                              r.queues, r.row, file))
    return out


def read_previous(path: str | Path, scenario: Scenario) -> tuple[list[FixedShift], str]:
    """Last week's roster (`--previous`): our workbook or roster CSV, hand-edited or as worked. Its shifts
    and the name messages give its file by."""
    path = Path(path)
    rows = read_roster(path, scenario)
    label = path.name if path.suffix.lower() == ".csv" else f"{path.name}, sheet Roster"
    return fixed_shifts(scenario, rows, label), label


def _parse_date(text: str) -> date:
    try:
        value = date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise ValueError("expected a date YYYY-MM-DD") from None
    if not 1970 <= value.year <= 2200:
        raise ValueError("expected a date YYYY-MM-DD between 1970 and 2200")
    return value


def _read_roster_sheet(path: Path, problems: Problems) -> Table | None:
    from scheduler.io.tables import read_sheet
    return read_sheet(path, "roster", problems, book_label=path.name)


def roster_week(scenario: Scenario, rows: list[RosterRow], week: date | None = None) -> Grid:
    """The planning week holding most of the roster's shifts, unless `week` says."""
    from collections import Counter

    from scheduler.calendar import planning_grid, week_start_date
    if week or not rows:
        return planning_grid(scenario, week)
    counts: Counter = Counter()
    for r in rows:
        first = week_start_date(r.date, scenario.policy.plan.week_start)
        for candidate in (first - timedelta(days=7), first, first + timedelta(days=7)):
            g = planning_grid(scenario, candidate)
            if 0 <= r.span(scenario, g)[0] < g.minutes:
                counts[candidate] += 1
    return planning_grid(scenario, max(sorted(counts), key=lambda d: counts[d]) if counts else None)
