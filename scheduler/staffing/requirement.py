"""From questions to required agents, per queue and grid interval.

Questions after the FAQ bot are the arrivals of a queue; the handle time
mixes general and complex chats; an agent with concurrency c is c chat
servers (the spec's model). The smallest number of servers meeting every
target at once comes from `erlang` (Erlang C, or Erlang A when patience is
known) and is rounded up to whole agents on the floor; the requirement to
schedule is that divided by (1 - shrinkage), kept fractional: shrinkage is an
expected share of scheduled time lost, and rounding it up per interval would
turn every one-agent hour into two (with 10 % shrinkage, ceil(1 / 0.9) = 2).
The rota counts coverage in agent-minutes, so a fractional requirement is
met exactly by time, not by rounding.
Pooled queues (markets sharing a language) hold the strictest target of the
markets with questions in that interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scheduler.staffing import backlog
from scheduler.staffing.erlang_batch import required_servers_batch
from scheduler.calendar import Grid
from scheduler.drivers import questions_on_grid
from scheduler.domain import Queue, Scenario
from scheduler.errors import RotaError

# Targets where a smaller value is stricter; the others (service level, shrinkage) bind at their largest.
_STRICT_MIN = ("first_response_seconds", "answer_within_seconds", "complex_answer_within_seconds",
               "max_abandon_rate", "max_occupancy")
_STRICT_MAX = ("service_level", "shrinkage")


@dataclass
class QueueLoad:
    """What one queue faces in each grid interval (arrays over the grid)."""

    queue: Queue
    questions: np.ndarray
    arrivals: np.ndarray
    handle_seconds: np.ndarray
    concurrency: int
    patience_seconds: np.ndarray  # NaN where abandonment is not modelled
    targets: dict[str, np.ndarray]  # strictest target per interval, by Targets field
    # Where only some markets give a patience: the share of arrivals that do, and their mean patience (the
    # staffing formulas model none there; the predicted KPIs let those viewers leave).
    patient_share: np.ndarray | None = None
    patient_seconds: np.ndarray | None = None


@dataclass
class Staffing:
    grid: Grid
    loads: dict[str, QueueLoad]
    frame: pd.DataFrame  # one row per queue and interval; see COLUMNS
    markets: pd.DataFrame  # market, queue, interval, questions, arrivals
    outside: dict[str, float]  # questions of dated rows outside the planned week, per market
    notes: list[str] = field(default_factory=list)  # streams and events outside the planned week

    def required(self, queue: str) -> np.ndarray:
        return self.frame.loc[self.frame["queue"] == queue, "required"].to_numpy()


def queue_loads(scenario: Scenario, grid: Grid) -> tuple[dict[str, QueueLoad], dict[str, np.ndarray], dict[str, float],
                                                        list[str]]:
    per_market, outside, notes = questions_on_grid(scenario, grid)
    loads = {}
    for q in scenario.queues:
        ms = [scenario.markets[m] for m in q.markets]
        questions = np.sum([per_market[m.market] for m in ms], axis=0)
        arr = np.array([per_market[m.market] * (1 - m.bot_deflection) for m in ms])
        arrivals = arr.sum(axis=0)
        weights = np.where(arrivals > 0, arr / np.where(arrivals > 0, arrivals, 1), 1.0 / len(ms))
        handle = (weights * np.array([[m.handle_seconds] for m in ms])).sum(axis=0)
        if all(m.patience_seconds for m in ms):
            # Abandonment rates mix by arrivals: theta = sum(w * 1/patience).
            theta = (weights * np.array([[1.0 / m.patience_seconds] for m in ms])).sum(axis=0)
            patience = 1.0 / theta
        else:
            patience = np.full(grid.size, np.nan)
        patient = np.array([[1.0 if m.patience_seconds else 0.0] for m in ms])
        share = (weights * patient).sum(axis=0)
        rate = (weights * np.array([[1.0 / m.patience_seconds if m.patience_seconds else 0.0] for m in ms])).sum(axis=0)
        patient_seconds = np.where(rate > 0, share / np.where(rate > 0, rate, 1.0), np.nan)
        active = arr > 0
        any_active = active.any(axis=0)
        binding = np.where(any_active, active, True)  # no questions: all markets' targets (harmless)
        targets = {}
        for name in _STRICT_MIN + _STRICT_MAX:
            values = np.array([[getattr(m.targets, name)] * grid.size for m in ms], dtype=float)
            if name in _STRICT_MIN:
                targets[name] = np.where(binding, values, np.inf).min(axis=0)
            else:
                targets[name] = np.where(binding, values, -np.inf).max(axis=0)
        loads[q.queue] = QueueLoad(q, questions, arrivals, handle,
                                   min(m.concurrency for m in ms), patience, targets, share, patient_seconds)
    return loads, per_market, outside, notes


def required_agents(load: QueueLoad, interval_seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Agents needed on the floor (whole) and to schedule (after shrinkage, to 1/100 agent)."""
    t = load.targets
    try:
        servers = required_servers_batch(
            load.arrivals / interval_seconds, load.handle_seconds, load.patience_seconds,
            t["first_response_seconds"], t["service_level"], t["answer_within_seconds"],
            t["complex_answer_within_seconds"], t["max_abandon_rate"], t["max_occupancy"],
        )
    except ValueError as e:
        raise RotaError(f"queue {load.queue.queue} (markets {', '.join(load.queue.markets)}): no number of agents "
                        f"meets its targets ({e}); loosen the targets in policy.toml or markets.csv") from None
    agents = -(-servers // load.concurrency)
    gross = np.ceil(agents / (1 - t["shrinkage"]) * 100 - 1e-6) / 100 + 0.0  # + 0.0: no -0.0 where none is needed
    return agents.astype(int), gross


def achieved(load: QueueLoad, interval_seconds: float, scheduled: np.ndarray) -> pd.DataFrame:
    """KPIs the queue gets from `scheduled` agents of its own (fractional: breaks, partial intervals).

    Scheduled agents lose the shrinkage share first and count as the nearest
    whole number of chat servers, so a plan that meets the requirement meets
    every target, and one well below it is shown honestly. Each interval
    starts with the questions the one before left waiting (`backlog`), so a
    short hour also shows in the hour after it.
    """
    groups = [{(load.queue.queue,): float(n)} for n in scheduled]
    return backlog.predict({load.queue.queue: load}, interval_seconds, groups)[load.queue.queue]


def compute_staffing(scenario: Scenario, grid: Grid) -> Staffing:
    loads, per_market, outside, notes = queue_loads(scenario, grid)
    interval_s = grid.interval_minutes * 60.0
    starts = [grid.interval_start(i) for i in range(grid.size)]
    frames, market_rows = [], []
    for name, load in loads.items():
        before, required = required_agents(load, interval_s)
        kpi = achieved(load, interval_s, required.astype(float))
        frames.append(pd.DataFrame({
            "queue": name, "interval": np.arange(grid.size), "interval_start": starts,
            "questions": load.questions, "arrivals": load.arrivals,
            "agents": before, "required": required,
        }).join(kpi))
    for m, q in ((m, scenario.queue_of_market(m)) for m in scenario.markets):
        market = scenario.markets[m]
        market_rows.append(pd.DataFrame({
            "market": m, "queue": q, "interval": np.arange(grid.size), "interval_start": starts,
            "questions": per_market[m], "arrivals": per_market[m] * (1 - market.bot_deflection),
        }))
    return Staffing(grid, loads, pd.concat(frames, ignore_index=True), pd.concat(market_rows, ignore_index=True), outside,
                    notes)


STAFFING_CSV_COLUMNS = ["queue", "interval_start", "questions", "arrivals", "required",
                        "asa_seconds", "service_level", "abandon_rate", "occupancy"]


def staffing_table(staffing: Staffing) -> pd.DataFrame:
    """The rows of staffing.csv, exactly the spec's columns and formats."""
    f = staffing.frame
    tz = staffing.grid.timezone
    return pd.DataFrame({
        "queue": f["queue"],
        "interval_start": [pd.Timestamp(t).tz_convert(tz).isoformat() for t in f["interval_start"]],
        "questions": f["questions"].round(2),
        "arrivals": f["arrivals"].round(2),
        "required": f["required"].round(2),
        "asa_seconds": f["asa_seconds"].round(1),
        "service_level": f["service_level"].round(4),
        "abandon_rate": f["abandon_rate"].round(4),
        "occupancy": f["occupancy"].round(4),
    })[STAFFING_CSV_COLUMNS]


def driver_effects(scenario: Scenario, grid: Grid, staffing: Staffing) -> pd.DataFrame:
    """What each stream and event of the planned week brings: the questions it adds and the agent-hours
    the requirement rises by, each against the same week without it (so the effects of two drivers that
    overlap are each counted in full)."""
    from dataclasses import replace

    from scheduler.domain import Stream
    from scheduler.drivers import grid_layout

    hours = grid.interval_minutes / 60
    total = float(staffing.frame["required"].sum()) * hours
    rows = []
    for d in [*scenario.streams, *scenario.events]:
        markets = list(scenario.markets) if d.market == "*" else [d.market]
        if not any(grid_layout(scenario, grid, m).touched.count(d) for m in markets):
            continue
        without = replace(scenario, streams=[s for s in scenario.streams if s is not d],
                          events=[e for e in scenario.events if e is not d])
        st = compute_staffing(without, grid)
        rows.append({
            "kind": "stream" if isinstance(d, Stream) else "event", "row": d.row, "market": d.market,
            "when": f"{d.start.text()}-{d.end.text()}" if isinstance(d, Stream) else
                    f"{d.first}" + (f" to {d.last}" if d.last != d.first else ""),
            "factor": d.factor, "name": getattr(d, "name", ""),
            "questions_added": round(float(staffing.markets["questions"].sum() - st.markets["questions"].sum()), 1),
            "agent_hours_added": round(total - float(st.frame["required"].sum()) * hours, 1),
        })
    return pd.DataFrame(rows, columns=["kind", "row", "market", "when", "factor", "name", "questions_added",
                                       "agent_hours_added"])
