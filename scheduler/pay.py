"""What a paid minute costs, by the agent's local clock.

A paid minute costs hourly_cost / 60 * (1 + night_premium [local clock in
the night window] + weekend_premium [local day Saturday or Sunday]). The
multiplier is tabulated per site over every minute the week's shifts can
touch, so the cost of any span is two lookups in a cumulative sum: the model
prices thousands of candidate shifts and the evaluator reprices the roster
with the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from scheduler.calendar import Grid
from scheduler.domain import RuleSettings, Site

# Shifts start inside the week and last at most a day; breaks and rest look a day further.
MARGIN_MINUTES = 2 * 1440


def in_night(clock: np.ndarray, rules: RuleSettings) -> np.ndarray:
    s, e = rules.night_start, rules.night_end
    if s == e:
        return np.zeros_like(clock, dtype=bool)
    return (clock >= s) | (clock < e) if s > e else (clock >= s) & (clock < e)


@dataclass(frozen=True)
class PayClock:
    site: Site
    grid: Grid
    rules: RuleSettings

    @cached_property
    def _cumulative(self) -> np.ndarray:
        mult = self._multipliers(np.arange(-MARGIN_MINUTES, self.grid.minutes + MARGIN_MINUTES))
        return np.concatenate([[0.0], np.cumsum(mult)])

    def weighted_minutes(self, a: int, b: int) -> float:
        """Premium-weighted minutes in week minutes [a, b)."""
        lo = a + MARGIN_MINUTES
        hi = b + MARGIN_MINUTES
        if lo < 0 or hi >= len(self._cumulative):
            return float(self._multipliers(np.arange(a, b)).sum())  # a hand-edited row far from the week
        return float(self._cumulative[hi] - self._cumulative[lo])

    def _multipliers(self, minutes: np.ndarray) -> np.ndarray:
        local = (pd.Timestamp(self.grid.start) + pd.to_timedelta(minutes, unit="min")).tz_convert(self.site.timezone)
        clock = np.asarray(local.hour * 60 + local.minute)
        weekend = np.asarray(local.day_of_week >= 5)
        return 1.0 + self.site.night_premium * in_night(clock, self.rules) + self.site.weekend_premium * weekend

    def cost(self, hourly_cost: float, a: int, b: int) -> float:
        return hourly_cost / 60.0 * self.weighted_minutes(a, b)

    def night_minutes(self, a: int, b: int) -> int:
        lo, hi = a + MARGIN_MINUTES, b + MARGIN_MINUTES
        if lo < 0 or hi >= len(self._night_cumulative):
            local = (pd.Timestamp(self.grid.start) + pd.to_timedelta(np.arange(a, b), unit="min")).tz_convert(self.site.timezone)
            return int(in_night(np.asarray(local.hour * 60 + local.minute), self.rules).sum())
        return int(self._night_cumulative[hi] - self._night_cumulative[lo])

    @cached_property
    def _night_cumulative(self) -> np.ndarray:
        minutes = np.arange(-MARGIN_MINUTES, self.grid.minutes + MARGIN_MINUTES)
        local = (pd.Timestamp(self.grid.start) + pd.to_timedelta(minutes, unit="min")).tz_convert(self.site.timezone)
        return np.concatenate([[0], np.cumsum(in_night(np.asarray(local.hour * 60 + local.minute), self.rules))])
