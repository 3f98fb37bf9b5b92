"""The chat log export (`history.csv`, or `.csv.gz`): loading, validation, and what it says.

One row per viewer question that reached the desk. Instants carry their
offset (or `Z`) and are kept in UTC; local clocks of a market are derived
with its IANA zone, so an arrival lands in the right local hour across a
daylight-saving change. Problems are reported like the scenario's: file,
row, column, all at once.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scheduler.domain import Scenario
from scheduler.errors import Problems, RotaError
from scheduler.io.tables import Column, table_from_records, parse_code, parse_instant, parse_language, parse_table

ESCALATION_SECONDS = 300  # the service SOP: unresolved questions escalate after 5 minutes


def parse_flag(text: str) -> int:
    if text.strip() in ("0", "1"):
        return int(text)
    raise ValueError("expected 0 or 1")


def load_history(path: str | Path, scenario: Scenario) -> pd.DataFrame:
    """The history as a frame: market, arrived, first_reply, ended (UTC), handled_by, complex, resolved, reply_language."""
    path = Path(path)
    if not path.exists():
        raise RotaError(f"{path}: no such history file")
    problems = Problems()
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise RotaError(f"{path.name}: not a readable gzip file ({e})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise RotaError(f"{path.name}, row {line}: not UTF-8 text; save the export as CSV UTF-8") from None
    import csv
    import io
    records = list(csv.reader(io.StringIO(text, newline="")))
    table = table_from_records("history", path.name, records, problems)
    if table is None:
        problems.raise_if_any()
    cols = [
        Column("market", parse_code), Column("arrived_at", parse_instant), Column("first_reply_at", parse_instant, None),
        Column("ended_at", parse_instant, None), Column("handled_by", str, ""), Column("complex", parse_flag, 0),
        Column("resolved", parse_flag, None), Column("reply_language", parse_language, ""),
    ]
    rows = []
    for r, v in parse_table(table, cols, problems):
        if v["market"] not in scenario.markets:
            problems.add(table.file, r, "market", v["market"], "unknown market; expected a market of markets.csv")
            continue
        if v["first_reply_at"] is not None and v["first_reply_at"] < v["arrived_at"]:
            problems.add(table.file, r, "first_reply_at", table_value(table, r, "first_reply_at"), "expected a time after arrived_at")
            continue
        rows.append(v)
    problems.raise_if_any()
    if not rows:
        raise RotaError(f"{path.name}: the history has no rows")
    f = pd.DataFrame(rows)
    return pd.DataFrame({
        "market": f["market"], "arrived": pd.to_datetime(f["arrived_at"], utc=True),
        "first_reply": pd.to_datetime(f["first_reply_at"], utc=True), "ended": pd.to_datetime(f["ended_at"], utc=True),
        "handled_by": f["handled_by"].astype(str), "complex": f["complex"].astype(int),
        "resolved": pd.to_numeric(f["resolved"]), "reply_language": f["reply_language"].astype(str),
    })


def table_value(table, row: int, column: str) -> str:
    return next((cells.get(column, "") for r, cells in table.rows if r == row), "")


def with_local(history: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Adds each question's market-local weekday, hour and week (the Monday it belongs to), and outcome flags."""
    parts = []
    for market, g in history.groupby("market", sort=False):
        local = g["arrived"].dt.tz_convert(scenario.markets[market].timezone)
        parts.append(g.assign(weekday=local.dt.day_of_week.to_numpy(), hour=local.dt.hour.to_numpy(),
                              minute_of_day=(local.dt.hour * 60 + local.dt.minute).to_numpy(),
                              week=(local.dt.tz_localize(None).dt.normalize()
                                    - pd.to_timedelta(local.dt.day_of_week, unit="D")).to_numpy()))
    f = pd.concat(parts).sort_index()
    bot = f["handled_by"] == "bot"
    human = ~bot
    answered = f["first_reply"].notna() & human
    wait = (f["first_reply"] - f["arrived"]).dt.total_seconds()
    language = f["market"].map({m: mk.language for m, mk in scenario.markets.items()})
    wrong = (f["reply_language"] != "") & (f["reply_language"] != language)
    duration = (f["ended"] - f["arrived"]).dt.total_seconds()
    resolved_here = (f["resolved"].fillna(answered.astype(float)) > 0) & ~wrong & (answered | bot)
    return f.assign(bot=bot, human=human, answered=answered, wait=wait.where(answered), abandoned=human & ~answered,
                    wrong_language=wrong, resolved_in_language=resolved_here,
                    escalated=human & ~resolved_here & (duration.fillna(math.inf) > ESCALATION_SECONDS))


@dataclass(frozen=True)
class MarketFacts:
    """What the history says about a market, beside markets.csv."""

    market: str
    questions: int
    aht_seconds: float
    bot_deflection: float
    complex_share: float
    patience_seconds: float  # NaN when nobody abandoned


def market_facts(f: pd.DataFrame) -> list[MarketFacts]:
    out = []
    for market, g in f.groupby("market", sort=False):
        human = g[g["human"]]
        general = human[human["complex"] == 0]  # markets.csv's aht_seconds is the general questions' handle time
        handle = (general["ended"] - general["first_reply"]).dt.total_seconds().dropna()
        # Exponential patience, censored at the answer: total time spent waiting / number who gave up.
        left = human[human["abandoned"] & human["ended"].notna()]
        exposure = human["wait"].fillna(0).sum() + (left["ended"] - left["arrived"]).dt.total_seconds().sum()
        patience = exposure / len(left) if len(left) else math.nan
        out.append(MarketFacts(market, len(g), float(handle.mean()) if len(handle) else math.nan,
                               float(g["bot"].mean()), float(human["complex"].mean()) if len(human) else math.nan,
                               patience))
    return out


def weekly_counts(f: pd.DataFrame, interval_minutes: int, zones: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Per market: a frame of question counts, rows = weeks (market-local Mondays), columns = typical-week slots.

    Slots the export does not cover (before its first or after its last
    question, in absolute time: a market-local week starts and ends at other
    instants than the export's) are missing (NaN), not zero.
    """
    slots_per_day = 1440 // interval_minutes
    first, last = f["arrived"].min(), f["arrived"].max()
    out = {}
    for market, g in f.groupby("market", sort=False):
        slot = g["weekday"] * slots_per_day + g["minute_of_day"] // interval_minutes
        table = pd.crosstab(g["week"], slot).reindex(columns=range(7 * slots_per_day), fill_value=0).astype(float)
        # A day with no question at all is a gap in the export, not a quiet day: it counts as missing.
        present = g.groupby(["week", "weekday"]).size().unstack(fill_value=0).reindex(columns=range(7), fill_value=0) > 0
        for week in table.index:
            for day in range(7):
                if not present.loc[week, day]:
                    table.loc[week, day * slots_per_day:(day + 1) * slots_per_day - 1] = np.nan
        if zones:
            for week in table.index:
                starts = (pd.Timestamp(week) + pd.to_timedelta(np.arange(7 * slots_per_day) * interval_minutes, unit="min"))
                utc = starts.tz_localize(zones[market], ambiguous="NaT", nonexistent="shift_forward")
                ends = utc + pd.Timedelta(minutes=interval_minutes)
                outside = np.asarray((utc < first) | (ends > last + pd.Timedelta(minutes=interval_minutes)) | utc.isna())
                row = table.loc[week].to_numpy().copy()
                row[outside] = np.nan
                table.loc[week] = row
        covered = table.notna().sum(axis=1) / (7 * slots_per_day)
        days = present.sum(axis=1)
        keep = (days >= 5) & (covered.reindex(days.index) >= 5 / 7)
        out[market] = table.loc[keep[keep].index]  # weeks with at least five days of data
    return out


def slot_label(slot: int, interval_minutes: int) -> str:
    per_day = 1440 // interval_minutes
    minutes = (slot % per_day) * interval_minutes
    return f"{('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[slot // per_day]} {minutes // 60:02d}:{minutes % 60:02d}"


def finite(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else x
