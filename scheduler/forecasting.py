"""From chat history to next week's typical-week forecast.

Per market and typical-week slot (weekday and local time, the planning
interval), the forecast is a weighted mean of the last N complete weeks,
recent weeks weighing more (weights 1, 0.7, 0.49, ... by age), scaled by a
linear trend of the weekly totals when the trend is clear (|t| > 2), held
between half and double the recent level. It is
checked on the last week held out, against seasonal-naive ("same slot last
week"), by weighted absolute percentage error.

Why not a forecasting library: with six to twelve weeks of hourly data the
weekly profile is the whole signal; Holt-Winters with a 168-hour season
(statsmodels) needs more seasons than that to fit, and would add a large
dependency for what a weighted profile and a trend do transparently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

DECAY = 0.7  # weight of a week relative to the next more recent one


@dataclass(frozen=True)
class Accuracy:
    market: str
    weeks_used: int
    wape: float  # ours, on the held-out last week
    wape_naive: float  # seasonal-naive: the week before it
    trend_per_week: float  # relative change of weekly volume per week applied (0 when none)

    @property
    def beats_naive(self) -> bool:
        return self.wape < self.wape_naive


def profile(weeks: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Forecast of the week after `weeks` (rows oldest first): per-slot counts, and the trend applied."""
    values = weeks.to_numpy(dtype=float)
    n = len(values)
    ages = np.arange(n)[::-1]
    w = DECAY ** ages
    mask = ~np.isnan(values)
    weighted = np.where(mask, values, 0.0) * w[:, None]
    norm = (mask * w[:, None]).sum(axis=0)
    base = np.divide(weighted.sum(axis=0), norm, out=np.zeros(values.shape[1]), where=norm > 0)
    # Weekly totals over the slots every week has, to see a trend.
    full = mask.all(axis=0)
    totals = np.where(mask, values, 0.0)[:, full].sum(axis=1)
    trend = 0.0
    if n >= 3 and totals.mean() > 0:
        x = np.arange(n, dtype=float)
        slope, intercept = np.polyfit(x, totals, 1)
        resid = totals - (slope * x + intercept)
        se = math.sqrt(resid @ resid / (n - 2) / ((x - x.mean()) @ (x - x.mean()))) if n > 2 else math.inf
        if se == 0 or abs(slope) / se > 2:
            level_now = (w @ totals) / w.sum()  # what `base` reflects
            projected = slope * n + intercept
            if level_now > 0:
                # A fall the line projects below zero is held at half, like any steep fall: skipping it
                # made a steeper fall forecast more than a gentler one.
                factor = float(np.clip(max(projected, 0.0) / level_now, 0.5, 2.0))
                base = base * factor
                trend = slope / totals.mean()
    return base, trend


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    mask = ~np.isnan(actual)
    total = actual[mask].sum()
    return float(np.abs(forecast[mask] - actual[mask]).sum() / total) if total > 0 else math.nan


def forecast_market(weeks: pd.DataFrame, max_weeks: int) -> tuple[np.ndarray, Accuracy | None]:
    """The next week's profile from the last `max_weeks` weeks, and its accuracy on the last week held out."""
    recent = weeks.iloc[-max_weeks:]
    base, trend = profile(recent)
    accuracy = None
    if len(weeks) >= 3:
        train, held = weeks.iloc[-max_weeks - 1:-1], weeks.iloc[-1].to_numpy(dtype=float)
        ours, _ = profile(train)
        naive = np.nan_to_num(weeks.iloc[-2].to_numpy(dtype=float))
        accuracy = Accuracy("", len(recent), wape(ours, held), wape(naive, held), trend)
    return base, accuracy


@dataclass
class Forecast:
    """Next week's typical-week forecast of every market with history, as `forecast.csv` rows
    (`market, start, questions`), with its accuracy per market and what the history says of each market."""

    rows: pd.DataFrame
    accuracy: list[Accuracy]
    facts: list  # scheduler.io.history.MarketFacts, in the order of markets.csv
    missing: list[str]  # markets with no complete week of history: no rows


def forecast(history: pd.DataFrame, scenario, weeks: int = 6, streams: list | None = None,
             events: list | None = None) -> Forecast:
    """The forecast of `scenario`'s markets from a loaded chat history (`scheduler.io.history.load_history`),
    from its last `weeks` complete weeks, at the planning interval. The `streams` and `events` of the
    history's weeks are divided out first, so a past stream does not become every week's baseline."""
    from scheduler.drivers import divide_out
    from scheduler.io.history import market_facts, slot_label, weekly_counts, with_local

    f = with_local(history, scenario)
    interval = scenario.policy.plan.interval_minutes
    counts = weekly_counts(f, interval, {m: mk.timezone for m, mk in scenario.markets.items()})
    if streams or events:
        counts = {m: frame.apply(lambda row: pd.Series(divide_out(row.to_numpy(dtype=float), pd.Timestamp(row.name).date(),
                                                                  m, streams or [], events or [], interval),
                                                       index=row.index), axis=1)
                  for m, frame in counts.items()}
    rows, accuracy, missing = [], [], []
    for market in scenario.markets:
        weeks_of = counts.get(market)
        if weeks_of is None or weeks_of.empty:
            missing.append(market)
            continue
        shape, acc = forecast_market(weeks_of, weeks)
        rows += [{"market": market, "start": slot_label(k, interval), "questions": round(float(q), 1)}
                 for k, q in enumerate(shape)]
        if acc:
            accuracy.append(replace(acc, market=market) if acc.market != market else acc)
    facts = sorted(market_facts(f), key=lambda x: list(scenario.markets).index(x.market))
    return Forecast(pd.DataFrame(rows, columns=["market", "start", "questions"]), accuracy, facts, missing)
