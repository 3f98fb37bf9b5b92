"""The planning week, its grid, and local clocks.

Inside, every instant is UTC and every grid position is a whole number of
minutes after the week's first instant ("week minutes"). The week starts at
local midnight of `week_start` in the planning time zone and lasts `days`
local days, so a week that crosses a daylight-saving change in the planning
zone has 167 or 169 hours: the grid is made of real, equal-length intervals.
Local clocks (of a market, a site, the plan) are computed only at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property, lru_cache

import numpy as np
import pytz

from scheduler.domain import Policy, Scenario
from scheduler.errors import RotaError

UTC = timezone.utc


def localize(naive: datetime, tzname: str) -> datetime:
    """Local wall time to UTC, lenient: a skipped time moves forward, a repeated one takes its first occurrence.

    Used where the input gives a clock but no date to pin a DST edge to (typical
    weeks, shift templates, leave); dated forecast rows are strict instead.
    """
    tz = pytz.timezone(tzname)
    try:
        local = tz.localize(naive, is_dst=None)
    except pytz.AmbiguousTimeError:
        local = tz.localize(naive, is_dst=True)
    except pytz.NonExistentTimeError:
        local = tz.localize(naive, is_dst=False)
    return local.astimezone(UTC)


def to_local(instant: datetime, tzname: str) -> datetime:
    return instant.astimezone(pytz.timezone(tzname))


def week_start_date(day: date, week_start: int) -> date:
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def coming_week(policy: Policy, now: datetime | None = None) -> date:
    """The first day of the next planning week after today in the planning zone."""
    now = now or datetime.now(UTC)
    today = to_local(now, policy.plan.timezone).date()
    return week_start_date(today, policy.plan.week_start) + timedelta(days=7)


@dataclass(frozen=True)
class Grid:
    """Equal intervals covering the planning week, in absolute time."""

    timezone: str
    first_day: date  # local date in the planning zone
    days: int
    interval_minutes: int

    @cached_property
    def start(self) -> datetime:
        return localize(datetime.combine(self.first_day, datetime.min.time()), self.timezone)

    @cached_property
    def end(self) -> datetime:
        return localize(datetime.combine(self.first_day + timedelta(days=self.days), datetime.min.time()), self.timezone)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def size(self) -> int:
        return -(-self.minutes // self.interval_minutes)

    def minute_of(self, instant: datetime) -> int:
        """Week minutes of an instant (may be negative or past the end)."""
        return int((instant - self.start).total_seconds() // 60)

    def instant(self, minute: int) -> datetime:
        return self.start + timedelta(minutes=minute)

    def interval_start(self, i: int) -> datetime:
        return self.instant(i * self.interval_minutes)

    @property
    def iso_week(self) -> tuple[int, int]:
        y, w, _ = self.first_day.isocalendar()
        return y, w

    @property
    def label(self) -> str:
        y, w = self.iso_week
        return f"{y}-W{w:02d}"

    def local_dates(self, tzname: str) -> list[date]:
        """Local dates (in another zone) that a shift starting inside the week can start on."""
        first = to_local(self.start, tzname).date()
        last = to_local(self.end - timedelta(minutes=1), tzname).date()
        return [first + timedelta(days=k) for k in range((last - first).days + 1)]

    def spread(self, a: int, b: int, amount: float, out: np.ndarray, wrap: bool) -> float:
        """Add `amount`, spread evenly over week minutes [a, b), to the intervals it overlaps.

        Returns what fell outside the week (0 when `wrap`: a typical week is
        periodic, so what runs past the end re-enters at the start).
        """
        if b <= a:
            return 0.0
        total = self.minutes
        lost = 0.0
        rate = amount / (b - a)
        segments = []
        if wrap:
            a0 = a % total
            b0 = a0 + (b - a)
            segments = [(a0, min(b0, total))] + ([(0, b0 - total)] if b0 > total else [])
        else:
            lo, hi = max(a, 0), min(b, total)
            lost = amount - rate * max(0, hi - lo)
            segments = [(lo, hi)] if hi > lo else []
        I = self.interval_minutes
        for lo, hi in segments:
            i = lo // I
            while i * I < hi:
                s, e = max(lo, i * I), min(hi, (i + 1) * I)
                out[i] += rate * (e - s)
                i += 1
        return lost


def planning_grid(scenario: Scenario, week: date | None = None) -> Grid:
    plan = scenario.policy.plan
    first = week_start_date(week, plan.week_start) if week else coming_week(scenario.policy)
    return Grid(plan.timezone, first, plan.days, plan.interval_minutes)


@lru_cache(maxsize=65536)
def typical_occurrence(grid: Grid, tzname: str, weekday: int, minutes: int) -> int:
    """Week minute at which a typical-week slot (weekday + local clock) of a zone falls inside the week.
    (Cached: the staffing of a week with and without each stream reads the same slots again.)

    The slot recurs every 7 local days; we take the occurrence inside the
    planning window. Where a DST change makes the window hold two or none, the
    first one, or the nearest shifted by one period, keeps every slot exactly once.
    """
    first_local = to_local(grid.start, tzname).date()
    candidates = []
    for k in range(-1, grid.days + 8):
        d = first_local + timedelta(days=k)
        if d.weekday() == weekday:
            at = localize(datetime.combine(d, datetime.min.time()) + timedelta(minutes=minutes), tzname)
            candidates.append(grid.minute_of(at))
    inside = [c for c in candidates if 0 <= c < grid.minutes]
    if inside:
        return inside[0]
    nearest = min(candidates, key=lambda c: min(abs(c), abs(c - grid.minutes)))
    return nearest % grid.minutes


def forecast_on_grid(scenario: Scenario, grid: Grid) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Questions per market and grid interval, and what each market's dated rows had outside the week.

    Each forecast row covers [start, start + row length) in absolute time and
    is split over the grid intervals in proportion to the overlap, so volume
    is conserved whatever the offsets (India's +05:30, Nepal's +05:45).
    """
    if grid.days % 7 and any(r.weekday is not None for r in scenario.forecast):
        raise RotaError("a typical-week forecast (Mon 09:00 rows) needs a planning horizon of whole weeks ([plan] days)")
    per_market = {m: np.zeros(grid.size) for m in scenario.markets}
    outside = {m: 0.0 for m in scenario.markets}
    for r in scenario.forecast:
        length = scenario.forecast_minutes[r.market]
        if r.weekday is not None:
            tzname = scenario.markets[r.market].timezone
            a = typical_occurrence(grid, tzname, r.weekday, r.minutes)
            grid.spread(a, a + length, r.questions, per_market[r.market], wrap=True)
        else:
            a = grid.minute_of(r.instant)
            outside[r.market] += grid.spread(a, a + length, r.questions, per_market[r.market], wrap=False)
    return per_market, outside


def leave_spans(scenario: Scenario, grid: Grid, agent_id: str) -> list[tuple[int, int]]:
    """The agent's leave as week-minute spans [a, b)."""
    tzname = scenario.sites[scenario.agents[agent_id].site].timezone
    spans = []
    for lv in scenario.leave:
        if lv.agent_id != agent_id:
            continue
        if lv.start.weekday is None:
            a = localize(lv.start.naive, tzname)
            b = localize(lv.end.as_end(), tzname)
            spans.append((grid.minute_of(a), grid.minute_of(b)))
            continue
        # Typical-week leave: every occurrence of the start weekday that could touch the week.
        length_days = (lv.end.weekday - lv.start.weekday) % 7
        # From a week before the first day: a leave that runs past Sunday (Sat to Mon) covers the start of
        # the planned week from the previous week's occurrence.
        dates = grid.local_dates(tzname)
        for d in [dates[0] - timedelta(days=k) for k in range(7, 0, -1)] + dates:
            if d.weekday() != lv.start.weekday:
                continue
            a = localize(datetime.combine(d, datetime.min.time()) + timedelta(minutes=lv.start.minutes), tzname)
            end_day = d + timedelta(days=length_days)
            end_naive = (datetime.combine(end_day, datetime.min.time()) + timedelta(minutes=lv.end.minutes)
                         if lv.end.has_time else datetime.combine(end_day + timedelta(days=1), datetime.min.time()))
            b = localize(end_naive, tzname)
            if b > a:
                spans.append((grid.minute_of(a), grid.minute_of(b)))
    return sorted(s for s in spans if s[1] > 0 and s[0] < grid.minutes + 7 * 1440)


def leave_fraction(scenario: Scenario, grid: Grid, agent_id: str) -> float:
    """Share of the week the agent is on leave (spans merged, clipped to the week)."""
    covered, last = 0, 0
    for a, b in leave_spans(scenario, grid, agent_id):
        a, b = max(a, last, 0), min(b, grid.minutes)
        if b > a:
            covered += b - a
            last = b
    return covered / grid.minutes
