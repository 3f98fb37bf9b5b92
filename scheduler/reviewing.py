"""Reviewing the week that was worked: what viewers got, against the targets, and where agents were missing.

Every figure is per market and local weekday and hour over the history,
beside its target, the worst cells first. Given the roster that was worked,
the agents it put on each queue are set against the agents the history's
own volume needed (the staffing engine run on the history's average week),
which is how "fr, Tue-Thu 20:00-23:00 Europe/Paris: 2 on shift, 4 needed"
becomes one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from scheduler.calendar import planning_grid
from scheduler.domain import WEEKDAYS, ForecastRow, Scenario
from scheduler.io.history import weekly_counts, with_local



def review_cells(history: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Per market, local weekday and hour: the KPIs of the history against each market's targets."""
    f = with_local(history, scenario)
    rows = []
    for (market, weekday, hour), g in f.groupby(["market", "weekday", "hour"], sort=True):
        t = scenario.markets[market].targets
        human = g[g["human"]]
        general, complex_ = human[human["complex"] == 0], human[human["complex"] == 1]
        row = {
            "market": market, "timezone": scenario.markets[market].timezone, "weekday": WEEKDAYS[weekday], "hour": hour,
            "weekday_index": weekday, "questions": len(g), "bot_share": g["bot"].mean(),
            "asa_seconds": human["wait"].mean() if human["answered"].any() else math.nan,
            "asa_target": t.first_response_seconds,
            "service_level": (general["wait"] <= t.answer_within_seconds).mean() if len(general) else math.nan,
            "complex_within": (complex_["wait"] <= t.complex_answer_within_seconds).mean() if len(complex_) else math.nan,
            "service_level_target": t.service_level,
            "abandon_rate": human["abandoned"].mean() if len(human) else math.nan, "abandon_target": t.max_abandon_rate,
            "escalated": int(g["escalated"].sum()), "wrong_language": int(g["wrong_language"].sum()),
            "resolution_rate": g["resolved_in_language"].mean(), "resolution_target": t.min_resolution_rate,
            # Questions a person should have answered within the target and did not: how many viewers waited too long.
            "late": int((human["abandoned"] | (human["wait"] > np.where(human["complex"] == 1, t.complex_answer_within_seconds,
                                                                         t.answer_within_seconds))).sum()),
        }
        misses = {
            "asa": row["asa_seconds"] / t.first_response_seconds - 1 if row["asa_seconds"] == row["asa_seconds"] else 0,
            "service level": (t.service_level - row["service_level"]) / t.service_level if row["service_level"] == row["service_level"] else 0,
            "complex": (t.service_level - row["complex_within"]) / t.service_level if row["complex_within"] == row["complex_within"] else 0,
            "abandonment": (row["abandon_rate"] - t.max_abandon_rate) / max(t.max_abandon_rate, 0.01) if row["abandon_rate"] == row["abandon_rate"] else 0,
            "resolution": (t.min_resolution_rate - row["resolution_rate"]) / t.min_resolution_rate,
        }
        row["worst_miss"] = max(0.0, max(misses.values()))
        row["missed"] = ", ".join(k for k, v in misses.items() if v > 1e-9)
        rows.append(row)
    cells = pd.DataFrame(rows)
    return cells.sort_values(["late", "worst_miss"], ascending=[False, False], kind="stable").reset_index(drop=True)


def average_week(history: pd.DataFrame, scenario: Scenario) -> Scenario:
    """The scenario with its forecast replaced by the history's mean week (per market, typical-week rows)."""
    f = with_local(history, scenario)
    interval = scenario.policy.plan.interval_minutes
    rows = []
    for market, weeks in weekly_counts(f, interval, {m: mk.timezone for m, mk in scenario.markets.items()}).items():
        mean = np.nan_to_num(weeks.mean(axis=0).to_numpy(dtype=float))
        per_day = 1440 // interval
        for slot, q in enumerate(mean):
            if q > 0:
                rows.append(ForecastRow(market, float(q), 0, weekday=slot // per_day, minutes=(slot % per_day) * interval))
    return replace(scenario, forecast=rows, forecast_minutes={m: interval for m in scenario.markets})


@dataclass
class Gap:
    queue: str
    timezone: str
    days: list[int]
    first_hour: int
    last_hour: int
    on_shift: float
    needed: float
    asa: float
    asa_target: float
    late: int = 0

    def text(self) -> str:
        days = WEEKDAYS[self.days[0]] if len(self.days) == 1 else f"{WEEKDAYS[self.days[0]]}-{WEEKDAYS[self.days[-1]]}"
        asa = "" if math.isnan(self.asa) else f"ASA {self.asa:.0f} s against {self.asa_target:.0f} s; "
        return (f"{self.queue}, {days} {self.first_hour:02d}:00-{self.last_hour + 1:02d}:00 {self.timezone}: "
                f"{asa}{self.on_shift:.0f} on shift, {self.needed:.0f} needed")


def roster_gaps(history: pd.DataFrame, scenario: Scenario, rows, week: date) -> pd.DataFrame:
    """Per queue and weekday-hour (local time of the queue's biggest market): agents the roster had on the queue
    against agents the history's average week needed."""
    from scheduler.staffing import compute_staffing
    from scheduler.validate import evaluate

    avg = average_week(history, scenario)
    grid = planning_grid(avg, week)
    ev = evaluate(avg, grid, compute_staffing(avg, grid), rows)
    cov = ev.coverage
    volume = history.groupby("market").size()
    out = []
    for q in avg.queues:
        biggest = max(q.markets, key=lambda m: volume.get(m, 0))
        tz = avg.markets[biggest].timezone
        g = cov[cov["queue"] == q.queue]
        local = pd.DatetimeIndex(g["interval_start"]).tz_convert(tz)
        out.append(pd.DataFrame({
            "queue": q.queue, "timezone": tz, "weekday_index": local.day_of_week, "weekday": [WEEKDAYS[d] for d in local.day_of_week],
            "hour": local.hour, "on_shift": g["scheduled"].to_numpy(), "needed": g["required"].to_numpy(),
            "arrivals": g["arrivals"].to_numpy(),
        }))
    gaps = pd.concat(out, ignore_index=True)
    gaps = gaps.groupby(["queue", "timezone", "weekday_index", "weekday", "hour"], as_index=False).agg(
        on_shift=("on_shift", "mean"), needed=("needed", "mean"), arrivals=("arrivals", "sum"))
    gaps["gap"] = gaps["on_shift"] - gaps["needed"]
    return gaps.sort_values(["gap", "arrivals"], ascending=[True, False], kind="stable").reset_index(drop=True)


def worst_gaps(cells: pd.DataFrame, gaps: pd.DataFrame | None, scenario: Scenario, count: int = 3) -> list[str]:
    """The worst runs of hours in plain words: one queue, a span of days with the same span of hours."""
    if gaps is not None:
        short = gaps[gaps["gap"] < -0.5]
        key_cols = ("queue", "timezone")
    else:
        short = cells[cells["worst_miss"] > 0].rename(columns={"market": "queue"})
        key_cols = ("queue", "timezone")
    runs: list[Gap] = []
    for (queue, tz), g in short.groupby(list(key_cols), sort=False):
        by_day: dict[int, list[int]] = {}
        for r in g.itertuples(index=False):
            by_day.setdefault(int(r.weekday_index), []).append(int(r.hour))
        spans = []
        for day, hours in sorted(by_day.items()):
            hours.sort()
            start = prev = hours[0]
            for h in hours[1:] + [None]:
                if h is not None and h == prev + 1:
                    prev = h
                    continue
                spans.append((day, start, prev))
                if h is not None:
                    start = prev = h
        merged: list[list] = []
        for day, a, b in spans:  # merge consecutive days with the same hours
            if merged and merged[-1][1:] == [a, b] and merged[-1][0][-1] == day - 1:
                merged[-1][0].append(day)
            else:
                merged.append([[day], a, b])
        for days, a, b in merged:
            part = g[g["weekday_index"].isin(days) & g["hour"].between(a, b)]
            asa, target = _asa(cells, scenario, queue, days, a, b)
            if gaps is not None:
                runs.append(Gap(queue, tz, days, a, b, part["on_shift"].mean(), part["needed"].mean(), asa, target))
            else:
                runs.append(Gap(queue, tz, days, a, b, math.nan, math.nan, asa, target, int(part["late"].sum())))

    def severity(r: Gap) -> float:
        if gaps is not None:
            return (r.needed - r.on_shift) * len(r.days) * (r.last_hour - r.first_hour + 1)
        return r.late
    runs.sort(key=severity, reverse=True)
    texts = []
    for r in runs[:count]:
        t = r.text()
        if gaps is None:
            head = t.split("; ")[0] if not math.isnan(r.asa) else t.split(": ")[0] + ": targets missed"
            t = f"{head}; {r.late:,} questions not answered within target"
        texts.append(t)
    return texts


def _asa(cells: pd.DataFrame, scenario: Scenario, queue: str, days: list[int], a: int, b: int) -> tuple[float, float]:
    markets = [m for q in scenario.queues if q.queue == queue for m in q.markets] or [queue]
    part = cells[cells["market"].isin(markets) & cells["weekday_index"].isin(days) & cells["hour"].between(a, b)]
    if part.empty or part["asa_seconds"].isna().all():
        return math.nan, scenario.policy.targets.first_response_seconds
    w = part["questions"] * (1 - part["bot_share"])
    ok = part["asa_seconds"].notna()
    return float((part["asa_seconds"][ok] * w[ok]).sum() / w[ok].sum()), float(part["asa_target"].min())


@dataclass
class Review:
    """What viewers got: per market and local weekday-hour against every target (`cells`, worst first in
    `lines`), and, given the roster that was worked, agents on each queue against those needed (`gaps`)."""

    cells: pd.DataFrame
    gaps: pd.DataFrame | None
    lines: list[str]
    streams: pd.DataFrame | None = None  # each past stream's realised uplift beside its planned factor
    stream_lines: list[str] | None = None  # the same per stream, in words


def review(scenario: Scenario, history: pd.DataFrame, roster_rows=None, week: date | None = None,
           streams: list | None = None) -> Review:
    """Review a loaded chat history (`scheduler.io.history.load_history`), with the roster that was worked
    (RosterRows) if given, and the realised uplift of the `streams` of its weeks."""
    from scheduler.io.roster import roster_week

    cells = review_cells(history, scenario)
    gaps = None
    if roster_rows is not None:
        gaps = roster_gaps(history, scenario, roster_rows, roster_week(scenario, roster_rows, week).first_day)
    uplifts = stream_uplifts(history, scenario, streams or [])
    words = [f"{market} {when}: " + (f"x{g['questions'].sum() / g['expected'].sum():.2f} realised"
                                      if g["expected"].sum() > 0 else "no typical-week forecast to compare with")
             + f" over {len(g)} occurrence{'s' if len(g) > 1 else ''} against x{planned:g} planned"
             for (market, when, planned), g in uplifts.groupby(["market", "when", "planned_factor"], sort=False)]
    return Review(cells, gaps, worst_gaps(cells, gaps, scenario), uplifts, words)


def stream_uplifts(history: pd.DataFrame, scenario: Scenario, streams: list) -> pd.DataFrame:
    """Each occurrence of a stream inside the history: the questions that arrived during it against those
    the scenario's typical week (forecast.csv, which has no streams) expects in the same local hours."""
    from scheduler.drivers import occurrences

    columns = ["market", "when", "start", "end", "planned_factor", "questions", "expected", "realised_uplift"]
    rows = []
    for market in {s.market for s in streams}:
        tz = scenario.markets[market].timezone
        arrived = history.loc[history["market"] == market, "arrived"].dt.tz_convert(tz).dt.tz_localize(None)
        if arrived.empty:
            continue
        first, last = arrived.min(), arrived.max()
        rate = _typical_rate(scenario, market)
        for st in (s for s in streams if s.market == market):
            for begin, end in occurrences(st, first.date(), last.date()):
                if begin < first or end > last:
                    continue  # not wholly inside the export
                minutes = pd.date_range(begin, end, freq="min", inclusive="left")
                expected = float(rate[minutes.day_of_week * 1440 + minutes.hour * 60 + minutes.minute].sum())
                questions = int(((arrived >= begin) & (arrived < end)).sum())
                rows.append([market, f"{st.start.text()}-{st.end.text()}", begin, end, st.factor, questions, round(expected, 1),
                             round(questions / expected, 3) if expected > 0 else math.nan])
    return pd.DataFrame(rows, columns=columns).sort_values(["start", "market"], kind="stable", ignore_index=True)


def _typical_rate(scenario: Scenario, market: str) -> np.ndarray:
    """Questions per minute of the market's typical week (its `Mon 09:00` forecast rows), local clock."""
    rate = np.zeros(7 * 1440)
    length = scenario.forecast_minutes.get(market, 60)
    for r in scenario.forecast:
        if r.market == market and r.weekday is not None:
            a = r.weekday * 1440 + r.minutes
            idx = np.arange(a, a + length) % (7 * 1440)
            rate[idx] += r.questions / length
    return rate
