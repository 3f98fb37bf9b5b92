"""What drives the questions beyond the typical week: live streams and event days.

A stream multiplies its market's questions by `factor` while it runs, adds
`extra_per_hour`, and fades back to the forecast linearly over
`tail_minutes`; an event day multiplies the market's whole local day; a stream
on an event day takes both factors. They are laid out minute by minute on the
market's local clock, so a stream from 20:30 to 22:00 touches three hourly
intervals in the right shares, and a +05:30 market or a daylight-saving change
needs nothing special. An interval gets the mean multiplier over its minutes
(questions are taken as even within an interval, as the forecast's own rows
are) and the extra questions that fall in it; an interval no driver touches
keeps the forecast's value, bit for bit.

The same layout serves the history the other way round: `divide_out` takes a
past week's streams and events out of its counts before the typical week is
learned, so last Friday's stream does not become every Friday's baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable

import numpy as np

from scheduler.calendar import Grid, forecast_on_grid, localize
from scheduler.domain import Event, Scenario, Stream

WEEK_MINUTES = 7 * 1440


@dataclass
class Layout:
    """One market's drivers over a span of minutes: the multiplier of each minute's questions, the
    questions each minute adds, and the streams and events that touched at least one minute."""

    mult: np.ndarray
    extra: np.ndarray
    touched: list

    @property
    def any(self) -> bool:
        return bool(self.touched)


def occurrences(stream: Stream, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The stream's local (naive) spans that touch local dates `first` to `last`: the dated one if it
    reaches into them, or each of those days with its weekday (a typical-week stream recurs every week)."""
    s, e = stream.start, stream.end
    if s.weekday is None:  # once, if it (with its tail) reaches into the dates at all
        reach = e.as_end() + timedelta(minutes=stream.tail_minutes)
        return [(s.naive, e.as_end())] if s.naive.date() <= last and reach > datetime.combine(first, time()) else []
    out = []
    for k in range((last - first).days + 1):
        d = first + timedelta(days=k)
        if d.weekday() != s.weekday:
            continue
        begin = datetime.combine(d, time()) + timedelta(minutes=s.minutes)
        end_day = d + timedelta(days=(e.weekday - s.weekday) % 7)
        end = (datetime.combine(end_day, time()) + timedelta(minutes=e.minutes) if e.has_time
               else datetime.combine(end_day + timedelta(days=1), time()))
        out.append((begin, end))
    return out


def lay_out(market: str, streams: list[Stream], events: list[Event], size: int, first: date, last: date,
            index: Callable[[datetime], int]) -> Layout:
    """The drivers of `market` over `size` minutes, `index` giving the minute of a local (naive) time;
    occurrences are looked for on local dates `first` to `last` (a week before the span, for a stream
    or event that runs into it)."""
    mult, extra, touched = np.ones(size), np.zeros(size), []
    for ev in events:
        if ev.market not in ("*", market):
            continue
        a = index(datetime.combine(max(ev.first, first), time()))
        b = index(datetime.combine(min(ev.last, last) + timedelta(days=1), time()))
        lo, hi = max(a, 0), min(b, size)
        if ev.first <= last and ev.last >= first and hi > lo:
            mult[lo:hi] *= ev.factor
            touched.append(ev)
    for st in streams:
        if st.market != market:
            continue
        hit = False
        for begin, end in occurrences(st, first, last):
            a, b = index(begin), index(end)
            lo, hi = max(a, 0), min(b, size)
            if hi > lo:
                mult[lo:hi] *= st.factor
                extra[lo:hi] += st.extra_per_hour / 60
                hit = True
            if st.tail_minutes:
                # Back to the forecast linearly: minute k of the tail keeps (1 - (k + 0.5) / tail) of the uplift.
                t = np.arange(b, b + st.tail_minutes)
                keep = 1 - (t - b + 0.5) / st.tail_minutes
                inside = (t >= 0) & (t < size)
                mult[t[inside]] *= 1 + (st.factor - 1) * keep[inside]
                extra[t[inside]] += st.extra_per_hour / 60 * keep[inside]
                hit = hit or bool(inside.any())
        if hit:
            touched.append(st)
    return Layout(mult, extra, touched)


def grid_layout(scenario: Scenario, grid: Grid, market: str, streams: list[Stream] | None = None,
                events: list[Event] | None = None) -> Layout:
    """A market's drivers (the scenario's, unless given) over the minutes of the planning week."""
    tz = scenario.markets[market].timezone
    dates = grid.local_dates(tz)
    return lay_out(market, scenario.streams if streams is None else streams,
                   scenario.events if events is None else events,
                   grid.minutes, dates[0] - timedelta(days=7), dates[-1],
                   lambda naive: grid.minute_of(localize(naive, tz)))


def on_grid(layout: Layout, base: np.ndarray, interval: int) -> np.ndarray:
    """The forecast per interval with the drivers applied; untouched intervals keep their value exactly."""
    if not layout.any:
        return base
    size = len(base)
    # A week whose clocks move by 30 minutes (Lord Howe) is not a whole number of hourly intervals: its last
    # interval is short, and the minutes it lacks add nothing.
    mult = np.pad(layout.mult, (0, max(0, size * interval - len(layout.mult))), constant_values=1.0)[:size * interval]
    extra = np.pad(layout.extra, (0, max(0, size * interval - len(layout.extra))))[:size * interval]
    mean = mult.reshape(size, interval).mean(axis=1)
    added = extra.reshape(size, interval).sum(axis=1)
    changed = (mean != 1.0) | (added != 0.0)
    return np.where(changed, base * mean + added, base)


def apply_drivers(scenario: Scenario, grid: Grid, per_market: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], list[str]]:
    """Every market's questions per interval with its streams and events; notes on dated rows that fall
    outside the planned week (not applied: a warning, not an error)."""
    if not scenario.streams and not scenario.events:
        return per_market, []
    out, touched = {}, set()
    for market, base in per_market.items():
        layout = grid_layout(scenario, grid, market)
        touched |= {(d.file, d.row) for d in layout.touched}
        out[market] = on_grid(layout, base, grid.interval_minutes)
    notes = [f"{d.file}, row {d.row}: {_what(d)} is outside the planned week {grid.label}; not applied"
             for d in [*scenario.streams, *scenario.events] if (d.file, d.row) not in touched]
    return out, notes


def questions_on_grid(scenario: Scenario, grid: Grid) -> tuple[dict[str, np.ndarray], dict[str, float], list[str]]:
    """Questions per market and interval of the planning week: the forecast placed on the grid, then its
    streams and events; what dated forecast rows had outside the week; notes on drivers outside it."""
    per_market, outside = forecast_on_grid(scenario, grid)
    per_market, notes = apply_drivers(scenario, grid, per_market)
    return per_market, outside, notes


def divide_out(counts: np.ndarray, week_monday: date, market: str, streams: list[Stream], events: list[Event],
               interval: int) -> np.ndarray:
    """One past week's counts per typical-week slot (market-local, from Monday) as if it had had no
    stream or event: less the extra questions, divided by the mean multiplier. A slot whose multiplier
    was 0 tells nothing of the typical week: NaN."""
    layout = lay_out(market, streams, events, WEEK_MINUTES, week_monday - timedelta(days=7),
                     week_monday + timedelta(days=6),
                     lambda naive: int((naive - datetime.combine(week_monday, time())).total_seconds() // 60))
    if not layout.any:
        return counts
    slots = WEEK_MINUTES // interval
    mean = layout.mult.reshape(slots, interval).mean(axis=1)
    added = layout.extra.reshape(slots, interval).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cleaned = np.where(mean > 0, np.maximum(counts - added, 0.0) / mean, np.nan)
    return np.where((mean != 1.0) | (added != 0.0), cleaned, counts)


def _what(d) -> str:
    if isinstance(d, Stream):
        return f"stream {d.describe()}"
    days = f"{d.first}" + (f" to {d.last}" if d.last != d.first else "")
    return f"event {d.name or ''} ({d.market}, {days}, x{d.factor:g})".replace("event  (", "event (")
