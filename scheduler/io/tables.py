"""Reading tables a user prepares: CSV files or sheets of a workbook, every cell as text, parsed here.

A problem always names file, row (as a spreadsheet shows it) and column, and
problems are collected across all files and reported together. Shared by
every reader: the scenario, rosters, chat history.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Callable

import pytz
from defusedxml import DefusedXmlException

from scheduler.domain import (
    WEEKDAYS, LocalMoment,
)
from scheduler.errors import Problems

TABLES = ("sites", "agents", "markets", "shifts", "forecast", "leave", "streams", "events", "requests")
REQUIRED_TABLES = ("sites", "agents", "markets", "shifts", "forecast")
WORKBOOK = "scenario.xlsx"
_MISSING = object()


# A text cell that starts with one of these is a formula to a spreadsheet (OWASP's CSV injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- cells

def parse_number(lo: float | None = None, hi: float | None = None, integer: bool = False):
    def parse(text: str) -> float | int:
        if re.fullmatch(r"\s*-?\d{1,3}(,\d{3})+\s*", text):
            raise ValueError("ambiguous: a thousands separator or a decimal comma? write 1200 or 1.2")
        try:
            value = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
        except ValueError:
            raise ValueError(number_expectation(lo, hi, integer)) from None
        if not math.isfinite(value) or (integer and value != int(value)):
            raise ValueError(number_expectation(lo, hi, integer))
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(number_expectation(lo, hi, integer))
        return int(value) if integer else value
    return parse


def number_expectation(lo, hi, integer) -> str:
    kind = "a whole number" if integer else "a number"
    if lo is not None and hi is not None:
        return f"expected {kind} from {lo:g} to {hi:g}"
    if lo is not None:
        return f"expected {kind} >= {lo:g}"
    return f"expected {kind}"


def parse_timezone(text: str) -> str:
    if text in pytz.all_timezones_set:
        return text
    raise ValueError("expected an IANA time zone such as Europe/Paris or America/New_York")


def parse_clock(text: str, allow_24: bool = False) -> int:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", text.strip())
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if (h < 24 and mi < 60) or (allow_24 and h == 24 and mi == 0):
            return h * 60 + mi
    raise ValueError("expected a clock time HH:MM" + (" (00:00-24:00)" if allow_24 else " (00:00-23:59)"))


def parse_language(text: str) -> str:
    code = text.strip().lower()
    if re.fullmatch(r"[a-z]{2,3}", code):
        return code
    raise ValueError("expected an ISO 639-1 language code such as fr")


def parse_languages(text: str) -> tuple[str, ...]:
    parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
    if not parts:
        raise ValueError("expected one or more language codes separated by ',' or ';'")
    codes: list[str] = []
    for p in parts:
        try:
            code = parse_language(p)
        except ValueError:
            raise ValueError(f"expected language codes such as fr;en, got {p!r}") from None
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with its offset (or Z), as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("expected ISO 8601 with an offset, e.g. 2026-11-30T20:15:03+01:00 or ...Z") from None
    if value.tzinfo is None:
        raise ValueError("expected an offset or Z: a time without one is ambiguous across time zones")
    return value.astimezone(timezone.utc)


def parse_code(text: str) -> str:
    if text and not any(ch in text for ch in "\r\n\t") and len(text) <= 64:
        return text
    raise ValueError("expected a code of at most 64 characters, no line breaks or tabs")


def parse_text(text: str) -> str:
    return text


_DAY = r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*"


def parse_weekday(text: str) -> int:
    m = re.fullmatch(_DAY, text.strip().lower())
    if not m:
        raise ValueError("expected a weekday such as Mon")
    return [d.lower() for d in WEEKDAYS].index(m.group(1))


def parse_weekdays(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in re.split(r"[,;]", text):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                a, b = (parse_weekday(x) for x in part.split("-", 1))
                d = a
                days.add(d)
                while d != b:
                    d = (d + 1) % 7
                    days.add(d)
            else:
                days.add(parse_weekday(part))
        except ValueError:
            raise ValueError("expected weekdays such as Mon-Fri or Sat,Sun") from None
    if not days:
        raise ValueError("expected weekdays such as Mon-Fri or Sat,Sun")
    return frozenset(days)


def parse_starts(text: str) -> tuple[int, ...]:
    """`06:00` or a range with a step, `06:00-14:00/30` (both ends included)."""
    m = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*/\s*(\d+)\s*", text)
    if not m:
        return (parse_clock(text),)
    a, b, step = parse_clock(m.group(1)), parse_clock(m.group(2)), int(m.group(3))
    if step <= 0 or b < a:
        raise ValueError("expected a range START-END/STEP with END after START, e.g. 06:00-14:00/30")
    return tuple(range(a, b + 1, step))


WEEKDAY_TIME = re.compile(_DAY + r"(?:\s+(\d{1,2}:\d{2}))?", re.I)


def parse_moment(text: str) -> LocalMoment:
    """A leave boundary: `2026-12-01`, `2026-12-01 13:00`, or `Wed` / `Tue 13:00`."""
    text = text.strip()
    m = WEEKDAY_TIME.fullmatch(text.lower())
    if m:
        minutes = parse_clock(m.group(2), allow_24=True) if m.group(2) else 0
        return LocalMoment(parse_weekday(m.group(1)), None, minutes, m.group(2) is not None)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("expected a date 2026-12-01, a date and time 2026-12-01 13:00, or a weekday such as Wed") from None
    if value.tzinfo is not None:
        raise ValueError("expected an agent-local date or time without an offset")
    has_time = bool(re.search(r"\d[ T]\d", text))
    return LocalMoment(None, value, value.hour * 60 + value.minute, has_time)


# --------------------------------------------------------------------------- tables

@dataclass
class Table:
    name: str
    file: str  # as shown in messages: "agents.csv" or "scenario.xlsx, sheet agents"
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row, cells by column)


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    default: Any = _MISSING  # _MISSING: the column and a value are required

    @property
    def required(self) -> bool:
        return self.default is _MISSING


def read_table(folder: Path, name: str, problems: Problems) -> Table | None:
    path = folder / f"{name}.csv"
    if path.exists():
        return read_csv_table(path, name, problems)
    book = folder / WORKBOOK
    if book.exists():
        return read_sheet(book, name, problems)
    return None


def read_csv_table(path: Path, name: str, problems: Problems) -> Table | None:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        problems.add(path.name, line, None, None,
                     f"not UTF-8 text (byte {e.start}); save the file as CSV UTF-8")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as e:
        problems.add(path.name, reader.line_num, None, None, f"not a readable CSV file ({e})")
        return None
    return table_from_records(name, path.name, records, problems)


# A real scenario or roster workbook unpacks to a few MB; refuse far larger ones before unpacking.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def read_sheet(book: Path, name: str, problems: Problems, book_label: str = WORKBOOK) -> Table | None:
    """One sheet as text. Formulas are never evaluated: their cached value is used with a warning
    naming the cell, and a formula with no cached value is an error."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    label = f"{book_label}, sheet {name}"
    try:
        with zipfile.ZipFile(book) as z:
            unpacked = sum(i.file_size for i in z.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            problems.add(book_label, None, None, None,
                         f"unpacks to {unpacked / 2**20:,.0f} MB, far beyond any real scenario; refused unopened")
            return None
        values = openpyxl.load_workbook(book, read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(book, read_only=True, data_only=False)
        try:
            title = next((s for s in values.sheetnames if s.strip().lower() == name), None)
            if title is None:
                return None
            records = _sheet_records(values[title], formulas[title], label, problems)
        finally:
            values.close()
            formulas.close()
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, DefusedXmlException) as e:
        # openpyxl parses through defusedxml, which stops entity bombs; it may wrap that in a ValueError.
        if any(isinstance(x, DefusedXmlException) for x in (e, e.__cause__, e.__context__)):
            problems.add(book_label, None, None, None, "refused: the file declares XML entities (an entity-expansion attack)")
        else:
            problems.add(book_label, None, None, None, f"cannot be opened as an .xlsx workbook ({type(e).__name__})")
        return None
    return table_from_records(name, label, records, problems)


def _sheet_records(values, formulas, label: str, problems: Problems) -> list[list[str]]:
    records: list[list[str]] = []
    for r, (row, raw) in enumerate(zip(values.iter_rows(values_only=True), formulas.iter_rows(values_only=True)), start=1):
        record = []
        for c, (v, f) in enumerate(zip(row, raw), start=1):
            if isinstance(f, str) and f.startswith("="):
                column = _header_name(records, c)
                if v is None:
                    problems.add(label, r, column, f, "a formula with no saved result; expected a value "
                                 "(formulas are not evaluated: save the workbook in Excel, or paste values)")
                else:
                    problems.warn(label, r, column, f, f"a formula; its saved result {v!r} is used")
            record.append(_cell_text(v))
        records.append(record)
    return records


def _header_name(records: list[list[str]], column: int) -> str:
    if records and column <= len(records[0]) and records[0][column - 1]:
        return records[0][column - 1].strip().lower()
    from openpyxl.utils import get_column_letter
    return get_column_letter(column)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def table_from_records(name: str, label: str, records: list[list[str]], problems: Problems) -> Table | None:
    if not records or not any(c.strip() for c in records[0]):
        problems.add(label, 1, None, None, "expected a header row with the column names")
        return None
    header = [c.strip().lower() for c in records[0]]
    rows = []
    for i, record in enumerate(records[1:], start=2):
        if not any(str(c).strip() for c in record):
            continue
        cells = {h: (record[j].strip() if j < len(record) else "") for j, h in enumerate(header) if h}
        rows.append((i, cells))
    return Table(name, label, header, rows)


def parse_table(table: Table, columns: list[Column], problems: Problems) -> list[tuple[int, dict[str, Any]]]:
    """Parse every cell; rows with any bad cell are reported and left out."""
    missing = [c.name for c in columns if c.required and c.name not in table.columns]
    for name in missing:
        problems.add(table.file, 1, name, None, "missing required column")
    if missing:
        return []
    out = []
    for row, cells in table.rows:
        values: dict[str, Any] = {}
        ok = True
        for col in columns:
            text = cells.get(col.name, "")
            if text == "":
                if col.required:
                    problems.add(table.file, row, col.name, "", "a value is required")
                    ok = False
                else:
                    values[col.name] = col.default
                continue
            try:
                values[col.name] = col.parse(text)
            except ValueError as e:
                problems.add(table.file, row, col.name, text, str(e))
                ok = False
        if ok:
            out.append((row, values))
    return out


def unique_rows(table: Table, rows, key: str, problems: Problems) -> list:
    seen: dict[str, int] = {}
    kept = []
    for row, v in rows:
        if v[key] in seen:
            problems.add(table.file, row, key, v[key], f"duplicate; already on row {seen[v[key]]}")
        else:
            seen[v[key]] = row
            kept.append((row, v))
    return kept


