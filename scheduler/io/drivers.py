"""Reading what drives the questions: `streams.csv` and `events.csv`, in a scenario folder (or its
workbook) or as files given to `rota forecast` and `rota review` for the weeks of a chat history.

Both are optional. Every row is checked as the other tables are (file, row, column, all problems at once);
a dated row outside the planned week is not an error (the week is not known here): staffing says so.
"""

from __future__ import annotations

from pathlib import Path

from scheduler.domain import Event, Stream
from scheduler.errors import Problems, RotaError
from scheduler.io.tables import Column, Table, parse_code, parse_moment, parse_number, parse_table, parse_text, read_csv_table

STREAM_COLUMNS = ("market", "start", "end", "factor", "extra_per_hour", "tail_minutes")
EVENT_COLUMNS = ("market", "date", "end_date", "factor", "name")


def read_streams(table: Table | None, markets: set[str], problems: Problems) -> list[Stream]:
    if table is None:
        return []
    cols = [Column("market", parse_code), Column("start", parse_moment), Column("end", parse_moment),
            Column("factor", parse_number(0), 1.0), Column("extra_per_hour", parse_number(0), 0.0),
            Column("tail_minutes", parse_number(0, 1440, integer=True), 0)]
    out = []
    for row, v in parse_table(table, cols, problems):
        s, e = v["start"], v["end"]
        bad = _span_problem(s, e)
        if markets and v["market"] not in markets:
            problems.add(table.file, row, "market", v["market"], "unknown market; expected a market of markets.csv")
        elif bad:
            problems.add(table.file, row, "end", _cell(table, row, "end"), bad)
        else:
            out.append(Stream(v["market"], s, e, float(v["factor"]), float(v["extra_per_hour"]), int(v["tail_minutes"]),
                              row, table.file))
    return out


def read_events(table: Table | None, markets: set[str], problems: Problems) -> list[Event]:
    if table is None:
        return []
    cols = [Column("market", lambda t: t.strip() if t.strip() == "*" else parse_code(t)),
            Column("date", parse_moment), Column("end_date", parse_moment, None), Column("factor", parse_number(0)),
            Column("name", parse_text, "")]
    out = []
    for row, v in parse_table(table, cols, problems):
        first, last = v["date"], v["end_date"] or v["date"]
        dates_only = "expected a date such as 2026-11-11 (an event is whole local days)"
        if markets and v["market"] != "*" and v["market"] not in markets:
            problems.add(table.file, row, "market", v["market"],
                         "unknown market; expected a market of markets.csv, or * for every market")
        elif first.weekday is not None or first.has_time:
            problems.add(table.file, row, "date", _cell(table, row, "date"), dates_only)
        elif last.weekday is not None or last.has_time:
            problems.add(table.file, row, "end_date", _cell(table, row, "end_date"), dates_only)
        elif last.naive < first.naive:
            problems.add(table.file, row, "end_date", _cell(table, row, "end_date"), "expected a date on or after date")
        else:
            out.append(Event(v["market"], first.naive.date(), last.naive.date(), float(v["factor"]), v["name"], row,
                             table.file))
    return out


def load_drivers_file(path: str | Path, markets: set[str], kind: str) -> list:
    """A streams or events CSV given on the command line (`kind`: "streams" or "events")."""
    if not Path(path).is_file():
        raise RotaError(f"{path}: no such file (expected a {kind}.csv)")
    problems = Problems()
    table = read_csv_table(Path(path), kind, problems)
    found = (read_streams if kind == "streams" else read_events)(table, markets, problems)
    problems.raise_if_any()
    return found


def _span_problem(s, e) -> str | None:
    """Why a stream's end cannot follow its start, or None."""
    if (s.weekday is None) != (e.weekday is None):
        return "expected the same form as start (both dated, or both weekdays such as Fri 20:00)"
    if s.weekday is None and e.as_end() <= s.naive:
        return "expected a moment after start"
    if s.weekday is not None and s.weekday == e.weekday and e.has_time and e.minutes <= s.minutes:
        return "expected a moment after start (a typical-week stream may run past midnight, as Sun 23:00 to Mon 01:00)"
    return None


def _cell(table: Table, row: int, column: str) -> str:
    return next((cells.get(column, "") for r, cells in table.rows if r == row), "")
