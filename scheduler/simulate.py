"""Discrete-event simulation of a rostered week: does the plan's promise hold?

The plan predicts each queue's ASA, service level and abandonment with
single-queue formulas. Real pools are not single queues: a bilingual agent
serves whichever of their languages has waited longest, arrivals bunch
within an hour, breaks take agents away. This plays the week chat by chat.

Built on SimPy: its event loop and timeouts carry the clock, while the
routing rule (a free slot takes the longest-waiting question among the
agent's queues) is ours, since it is what the spec prescribes and what a
node-based queueing-network library (ciw) does not express without
contortions. Every chat is a few callbacks, not a process, which keeps a
week of the sample to a few seconds per run.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
import simpy

from scheduler.calendar import Grid
from scheduler.domain import Scenario
from scheduler.week import row_queues
from scheduler.staffing import Staffing, erlang
from scheduler.staffing.backlog import meets_targets
from scheduler.validate import Shift


@dataclass(frozen=True)
class Chat:
    market: str
    queue: str
    arrived: float  # seconds after the week's start
    complex: bool
    handle: float  # seconds of agent time once answered
    patience: float  # seconds; inf when the market gives none


@dataclass
class Outcome:
    """One simulated run: a row per chat (frame) in arrival order."""

    chats: pd.DataFrame  # market, queue, arrived, complex, answered_at (NaN), ended_at, abandoned, agent


class _Agent:
    __slots__ = ("agent_id", "queues", "capacity", "busy", "on_duty")

    def __init__(self, agent_id: str, queues: tuple[str, ...], capacity: int):
        self.agent_id, self.queues, self.capacity = agent_id, queues, capacity
        self.busy, self.on_duty = 0, 0  # on_duty counts overlapping spans (a hand-edited roster may overlap)


def draw_chats(scenario: Scenario, staffing: Staffing, rng: np.random.Generator, lognormal: bool = False) -> list[Chat]:
    """Poisson arrivals per market and interval at the forecast rate after the bot, spread uniformly within it."""
    I = staffing.grid.interval_minutes * 60
    chats = []
    for row in staffing.markets.itertuples(index=False):
        n = rng.poisson(row.arrivals) if row.arrivals > 0 else 0
        if not n:
            continue
        m = scenario.markets[row.market]
        times = row.interval * I + rng.uniform(0, I, n)
        complex_ = rng.random(n) < m.complex_share
        means = np.where(complex_, m.aht_complex_seconds or m.aht_seconds, m.aht_seconds)
        if lognormal:  # same mean, coefficient of variation 1
            sigma = math.sqrt(math.log(2))
            handle = means * rng.lognormal(-sigma ** 2 / 2, sigma, n)
        else:
            handle = rng.exponential(means)
        patience = rng.exponential(m.patience_seconds, n) if m.patience_seconds else np.full(n, math.inf)
        chats += [Chat(row.market, row.queue, float(t), bool(c), float(h), float(p))
                  for t, c, h, p in zip(times, complex_, handle, patience)]
    chats.sort(key=lambda c: c.arrived)
    return chats


def simulate(scenario: Scenario, grid: Grid, staffing: Staffing, shifts: list[Shift], seed: int,
             lognormal: bool = False) -> Outcome:
    """One run of the week; agents are on duty as the roster says (breaks included), less the shrinkage
    share of each interval (`_present`)."""
    rng = np.random.default_rng(seed)
    chats = draw_chats(scenario, staffing, rng, lognormal)
    concurrency = {q: load.concurrency for q, load in staffing.loads.items()}
    agents: dict[str, _Agent] = {}
    env = simpy.Environment()
    away = np.random.default_rng([seed, 1])  # its own stream: the chats of a seed stay those drawn before

    def shrinkage(queues: tuple[str, ...]) -> np.ndarray:
        return np.max([staffing.loads[q].targets["shrinkage"] for q in queues], axis=0) if queues \
            else np.zeros(grid.size)
    for s in shifts:
        a = s.row.agent_id
        queues = tuple(q for q in row_queues(scenario, a, s.row.queues) if q in staffing.loads)
        if a not in agents:
            agents[a] = _Agent(a, queues, min((concurrency[q] for q in queues), default=1))
        else:
            agents[a].queues = tuple(dict.fromkeys(agents[a].queues + queues))
        for start, end in s.worked_spans():
            if end > 0 and start < grid.minutes:
                for on, off in _present(max(start, 0), end, grid.interval_minutes, shrinkage(queues), away):
                    env.timeout(on * 60).callbacks.append(lambda _e, ag=agents[a]: _duty(ag, +1))
                    env.timeout(off * 60).callbacks.append(lambda _e, ag=agents[a]: _duty(ag, -1))
    by_queue: dict[str, list[_Agent]] = {q: [] for q in staffing.loads}
    for ag in agents.values():
        for q in ag.queues:
            by_queue[q].append(ag)
    # Who is at the desk now, per queue: an arrival looks among them, not among every agent of the week (a
    # 1,000-agent week spent most of its play scanning agents off duty). Kept in `by_queue`'s order.
    position = {q: {ag.agent_id: i for i, ag in enumerate(members)} for q, members in by_queue.items()}
    present: dict[str, dict[str, _Agent]] = {q: {} for q in staffing.loads}

    waiting: dict[str, deque[int]] = {q: deque() for q in staffing.loads}
    answered = np.full(len(chats), np.nan)
    ended = np.full(len(chats), np.nan)
    abandoned = np.zeros(len(chats), dtype=bool)
    served_by = np.full(len(chats), "", dtype=object)

    def start(k: int, ag: _Agent) -> None:
        ag.busy += 1
        answered[k] = env.now
        served_by[k] = ag.agent_id
        env.timeout(chats[k].handle).callbacks.append(lambda _e: finish(k, ag))

    def finish(k: int, ag: _Agent) -> None:
        ended[k] = env.now
        ag.busy -= 1
        pull(ag)

    def pull(ag: _Agent) -> None:
        """Fill the agent's free slots with the longest-waiting questions of their queues."""
        while ag.on_duty > 0 and ag.busy < ag.capacity:
            best, best_q = None, None
            for q in ag.queues:
                line = waiting[q]
                while line and (abandoned[line[0]] or not np.isnan(answered[line[0]])):
                    line.popleft()
                if line and (best is None or chats[line[0]].arrived < chats[best].arrived):
                    best, best_q = line[0], q
            if best is None:
                return
            waiting[best_q].popleft()
            start(best, ag)

    def _duty(ag: _Agent, change: int) -> None:
        ag.on_duty += change
        if ag.on_duty > 0:
            for q in ag.queues:
                present[q][ag.agent_id] = ag
        else:
            for q in ag.queues:
                present[q].pop(ag.agent_id, None)
        if change > 0:
            pull(ag)

    def arrive(k: int) -> None:
        c = chats[k]
        free = [ag for ag in present.get(c.queue, {}).values() if ag.busy < ag.capacity]
        if free and not waiting[c.queue]:
            start(k, max(free, key=lambda ag: (ag.capacity - ag.busy, ag.agent_id)))
            return
        waiting[c.queue].append(k)
        if free:  # others waited longer: serve in order
            for ag in sorted(free, key=lambda ag: position[c.queue][ag.agent_id]):
                pull(ag)
        if math.isfinite(c.patience) and np.isnan(answered[k]):
            env.timeout(c.patience).callbacks.append(lambda _e: leave(k))

    def leave(k: int) -> None:
        if np.isnan(answered[k]):
            abandoned[k] = True
            ended[k] = env.now

    for k, c in enumerate(chats):
        env.timeout(c.arrived).callbacks.append(lambda _e, k=k: arrive(k))
    env.run(until=(grid.minutes + 24 * 60) * 60)  # a day past the week lets the last chats finish
    frame = pd.DataFrame({
        "market": [c.market for c in chats], "queue": [c.queue for c in chats],
        "arrived": [c.arrived for c in chats], "complex": [c.complex for c in chats],
        "answered_at": answered, "ended_at": ended, "abandoned": abandoned, "agent": served_by,
    })
    return Outcome(frame)


def _present(start: float, end: float, interval: int, shrinkage: np.ndarray, rng: np.random.Generator
             ) -> list[tuple[float, float]]:
    """The minutes of a worked span the agent is at the desk: in each interval it overlaps, away for the
    shrinkage share of the overlap (meetings, coaching, a call), at a random moment, as the plan assumes."""
    spans = []
    i = int(start // interval)
    while start < end:
        stop = min(end, (i + 1) * interval)
        share = float(shrinkage[i]) if i < len(shrinkage) else 0.0
        length = stop - start
        gone = share * length
        if gone > 0:
            at = start + rng.uniform(0, length - gone)
            spans += [(start, at), (at + gone, stop)]
        else:
            spans.append((start, stop))
        start, i = stop, i + 1
    merged: list[list[float]] = []
    for a, b in spans:
        if b - a <= 1e-9:
            continue
        if merged and abs(merged[-1][1] - a) <= 1e-9:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


# ------------------------------------------------------------------ many runs, against the prediction

CELL = ["arrivals", "answered", "wait_sum", "within", "complex", "complex_within", "abandoned"]


def cell_counts(out: Outcome, staffing: Staffing) -> pd.DataFrame:
    """Per run: counts per queue, market and arrival interval (small enough to send between processes)."""
    f = out.chats
    I = staffing.grid.interval_minutes * 60
    f = f.assign(interval=(f["arrived"] // I).astype(int), wait=f["answered_at"] - f["arrived"])
    limits = {q: (load.targets["answer_within_seconds"], load.targets["complex_answer_within_seconds"])
              for q, load in staffing.loads.items()}
    general = np.array([limits[q][0][i] for q, i in zip(f["queue"], f["interval"])]) if len(f) else np.array([])
    complex_ = np.array([limits[q][1][i] for q, i in zip(f["queue"], f["interval"])]) if len(f) else np.array([])
    answered = f["answered_at"].notna()
    f = f.assign(answered=answered, wait_sum=f["wait"].fillna(0.0),
                 within=answered & (f["wait"] <= general),
                 complex_within=answered & f["complex"] & (f["wait"] <= complex_),
                 arrivals=1)
    return f.groupby(["queue", "market", "interval"])[CELL].sum().reset_index()


def _run(scenario: Scenario, grid: Grid, staffing: Staffing, shifts: list[Shift], seed: int,
         lognormal: bool) -> pd.DataFrame:
    return cell_counts(simulate(scenario, grid, staffing, shifts, seed, lognormal), staffing)


def run_serial(scenario: Scenario, grid: Grid, staffing: Staffing, shifts: list[Shift], runs: int, seed: int,
               lognormal: bool = False) -> list[pd.DataFrame]:
    """`runs` runs one after another in this process (a what-if variant's, already on a worker)."""
    return [_run(scenario, grid, staffing, shifts, seed + k, lognormal) for k in range(runs)]


def run_many(scenario: Scenario, grid: Grid, staffing: Staffing, shifts: list[Shift], runs: int, seed: int,
             lognormal: bool = False, processes: int | None = None, done=None, scheduler: str | None = None,
             echo=None) -> list[pd.DataFrame] | None:
    """`runs` independent runs (seeds seed, seed+1, ...) as Dask tasks, in seed order; None when interrupted."""
    from scheduler.errors import RotaError
    from scheduler.executor import run_all

    outcome = run_all(_run, [(seed + k, lognormal) for k in range(runs)], scheduler=scheduler, processes=processes,
                      shared=(scenario, grid, staffing, shifts),
                      done=(lambda k, result, error, finished, total: done(finished, total)) if done else None,
                      echo=echo)
    if outcome.errors:
        k, why = min(outcome.errors.items())
        raise RotaError(f"simulation run with seed {seed + k} failed: {why}")
    if not outcome.complete:
        return None
    return [outcome.results[k] for k in range(runs)]


def _ratios(counts: pd.DataFrame) -> pd.DataFrame:
    c = counts
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "asa_seconds": c["wait_sum"] / c["answered"],
            "service_level": c["within"] / c["arrivals"],
            "complex_service_level": c["complex_within"] / c["complex"],
            "abandon_rate": c["abandoned"] / c["arrivals"],
        })


KPIS = ["asa_seconds", "service_level", "complex_service_level", "abandon_rate"]


def summarise(runs: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Mean and 95 % confidence half-width over runs of each KPI, per `keys` cell."""
    per_run = []
    for k, counts in enumerate(runs):
        g = counts.groupby(keys)[CELL].sum()
        r = _ratios(g)
        r["arrivals"] = g["arrivals"]
        r["run"] = k
        per_run.append(r.reset_index())
    allruns = pd.concat(per_run, ignore_index=True)
    grouped = allruns.groupby(keys)
    out = grouped[["arrivals"] + KPIS].mean()
    n = grouped[KPIS].count()
    sd = grouped[KPIS].std(ddof=1)
    for kpi in KPIS:
        out[f"{kpi}_ci"] = 1.96 * sd[kpi] / np.sqrt(n[kpi].where(n[kpi] > 1))
    return out.reset_index()


@dataclass
class SimulationReport:
    cells: pd.DataFrame  # per queue and interval: predicted, simulated mean, CI, flags
    markets: pd.DataFrame  # per market and interval (market-local start)
    weekly: pd.DataFrame  # per queue: predicted against simulated over the week
    runs: int
    market_weekly: pd.DataFrame | None = None  # the same per market


def compare(evaluation, runs: list[pd.DataFrame]) -> SimulationReport:
    """Simulated KPIs beside the evaluator's predictions for the same roster; flags where they disagree."""
    cov = evaluation.coverage
    sim = summarise(runs, ["queue", "interval"])
    cells = cov[["queue", "interval", "interval_start", "arrivals", "required", "scheduled"] + KPIS].merge(
        sim.rename(columns={k: f"sim_{k}" for k in ["arrivals"] + KPIS + [f"{k}_ci" for k in KPIS]}),
        on=["queue", "interval"], how="left")
    flags = []
    for row in cells.itertuples(index=False):
        bad = []
        for kpi in KPIS:
            mean, ci, pred = getattr(row, f"sim_{kpi}"), getattr(row, f"sim_{kpi}_ci"), getattr(row, kpi)
            if row.arrivals > 0 and not any(pd.isna(v) for v in (mean, ci)) and math.isfinite(pred) \
                    and abs(pred - mean) > ci:
                bad.append(kpi)
        flags.append(",".join(bad))
    cells["disagrees"] = flags
    staffing = getattr(evaluation, "staffing", None)
    cells["sim_targets_met"] = simulated_targets_met(cells, staffing) if staffing is not None else True
    msim = summarise(runs, ["market", "interval"])
    markets = evaluation.markets[["market", "interval", "local_start", "timezone", "queue", "arrivals"] + KPIS].merge(
        msim.rename(columns={k: f"sim_{k}" for k in ["arrivals"] + KPIS + [f"{k}_ci" for k in KPIS]}),
        on=["market", "interval"], how="left")
    met = cells.set_index(["queue", "interval"])["sim_targets_met"]
    markets["sim_targets_met"] = [bool(met.get((q, i), True)) for q, i in zip(markets["queue"], markets["interval"])]
    return SimulationReport(cells, markets, _weekly(evaluation, runs, cells, "queue"), len(runs),
                            _weekly(evaluation, runs, markets, "market"))


def _weekly(evaluation, runs: list[pd.DataFrame], cells: pd.DataFrame | None = None, key: str = "queue") -> pd.DataFrame:
    """Per queue (or market) over the week: ASA over the intervals the plan staffs (where its prediction is
    finite), service level, complex within target and abandonment over all arrivals; simulated as mean and
    95 % half-width over runs; the share of intervals with questions meeting every target, predicted and
    simulated; within 10 % or not, and a likely reason."""
    pred = evaluation.coverage if key == "queue" else evaluation.markets
    staffed = pred[np.isfinite(pred["asa_seconds"])][[key, "interval"]]
    rows = []
    for name, g in pred.groupby(key, sort=False):
        w = g["arrivals"] * (1 - g["abandon_rate"])
        finite = np.isfinite(g["asa_seconds"])
        arrivals = g["arrivals"].sum()
        pred_asa = float((g["asa_seconds"][finite] * w[finite]).sum() / w[finite].sum()) if w[finite].sum() else math.nan

        def mean_of(col: str) -> float:
            values = g[col].fillna(1.0 if col == "complex_service_level" else 0.0)
            return float((values * g["arrivals"]).sum() / arrivals) if arrivals else math.nan

        asa_runs, sl_runs, csl_runs, ab_runs = [], [], [], []
        for counts in runs:
            c = counts[counts[key] == name]
            on = c.merge(staffed[staffed[key] == name], on=[key, "interval"])
            asa_runs.append(on["wait_sum"].sum() / on["answered"].sum() if on["answered"].sum() else math.nan)
            n = c["arrivals"].sum()
            sl_runs.append(c["within"].sum() / n if n else math.nan)
            csl_runs.append(c["complex_within"].sum() / c["complex"].sum() if c["complex"].sum() else math.nan)
            ab_runs.append(c["abandoned"].sum() / n if n else math.nan)
        (sim_asa, asa_ci), (sim_sl, sl_ci) = _mean_ci(asa_runs), _mean_ci(sl_runs)
        (sim_csl, csl_ci), (sim_ab, ab_ci) = _mean_ci(csl_runs), _mean_ci(ab_runs)
        ok_asa = _close(pred_asa, sim_asa, absolute=2.0)
        ok_sl = _close(mean_of("service_level"), sim_sl, absolute=0.02)
        busy = g[g["arrivals"] > 0]
        row = {key: name, "predicted_asa": pred_asa, "simulated_asa": sim_asa, "asa_ci": asa_ci,
               "predicted_sl": mean_of("service_level"), "simulated_sl": sim_sl, "sl_ci": sl_ci,
               "predicted_csl": mean_of("complex_service_level"), "simulated_csl": sim_csl, "csl_ci": csl_ci,
               "predicted_abandon": mean_of("abandon_rate"), "simulated_abandon": sim_ab, "abandon_ci": ab_ci,
               "predicted_targets_met": float(busy["targets_met"].astype(bool).mean()) if len(busy) and
               "targets_met" in busy else math.nan,
               "simulated_targets_met": math.nan,
               "within_10pct": ok_asa and ok_sl,
               "why": "" if ok_asa and ok_sl or key != "queue" else _why(evaluation, name)}
        if cells is not None and "sim_targets_met" in cells:
            mine = cells[(cells[key] == name) & (cells["arrivals"] > 0)]
            row["simulated_targets_met"] = float(mine["sim_targets_met"].astype(bool).mean()) if len(mine) else 1.0
        rows.append(row)
    return pd.DataFrame(rows)


def simulated_targets_met(cells: pd.DataFrame, staffing: Staffing) -> np.ndarray:
    """Per queue-interval: whether the simulated KPIs meet every target the plan holds it to (occupancy is
    not simulated; abandonment counts where the formulas model patience, as in the plan's own check)."""
    out = np.ones(len(cells), dtype=bool)
    for k, row in enumerate(cells.itertuples(index=False)):
        load = staffing.loads.get(row.queue)
        if load is None or not row.arrivals > 0 or row.sim_arrivals != row.sim_arrivals:
            continue
        got = erlang.Kpis(0, 0.0, _or(row.sim_service_level, 0.0), _or(row.sim_complex_service_level, 1.0),
                          _or(row.sim_asa_seconds, math.inf), _or(row.sim_abandon_rate, 0.0), 0.0)
        out[k] = meets_targets(got, load, int(row.interval))
    return out


def _or(v: float, default: float) -> float:
    return default if v != v else float(v)


def _mean_ci(values: list[float]) -> tuple[float, float]:
    """Mean over runs and the 95 % half-width (normal approximation); NaN where runs give no value."""
    x = np.array([v for v in values if v == v], dtype=float)
    if not len(x):
        return math.nan, math.nan
    return float(x.mean()), (1.96 * float(x.std(ddof=1)) / math.sqrt(len(x)) if len(x) > 1 else math.nan)


def _close(pred: float, sim: float, absolute: float) -> bool:
    """Within 10 %, or within a small absolute margin where both are near zero (2 s of ASA, 2 points of SL)."""
    if any(map(lambda v: v is None or (isinstance(v, float) and math.isnan(v)), (pred, sim))):
        return True
    return abs(pred - sim) <= max(0.1 * abs(sim), absolute)


def _why(evaluation, queue: str) -> str:
    cov = evaluation.coverage[evaluation.coverage["queue"] == queue]
    short = int(((cov["gap"] < -0.01) & (cov["arrivals"] > 0)).sum())
    shared = sum(1 for s in evaluation.shifts if len(row_queues(evaluation.scenario, s.row.agent_id, s.row.queues)) > 1
                 and queue in row_queues(evaluation.scenario, s.row.agent_id, s.row.queues))
    reasons = []
    if short:
        reasons.append(f"{short} intervals below the requirement: their backlog carries into the next, which the "
                       "prediction follows as a fluid queue, least surely where the agents only just keep up")
    if shared:
        reasons.append(f"{shared} shifts of agents who also serve another queue: they answer whichever of their "
                       "queues waited longest, which the prediction deals out only on average")
    return "; ".join(reasons) or "arrivals bunch within intervals and handle times vary"


def history_frame(out: Outcome, scenario: Scenario, grid: Grid, staffing: Staffing, seed: int) -> pd.DataFrame:
    """A simulated run as the spec's history.csv: one row per question that reached the desk, the ones the
    FAQ bot answered included (drawn at each market's deflection rate, answered in seconds)."""
    rng = np.random.default_rng(seed + 7919)
    I = grid.interval_minutes * 60
    bots = []
    for row in staffing.markets.itertuples(index=False):
        n = rng.poisson(max(row.questions - row.arrivals, 0.0))
        if n:
            t = row.interval * I + rng.uniform(0, I, n)
            bots.append(pd.DataFrame({"market": row.market, "arrived": t, "answered_at": t + 2.0, "ended_at": t + 30.0,
                                      "agent": "bot", "complex": False}))
    f = pd.concat([out.chats[["market", "arrived", "answered_at", "ended_at", "agent", "complex"]]] + bots,
                  ignore_index=True).sort_values("arrived", kind="stable")
    start = grid.start

    def iso(seconds: float) -> str:
        if seconds != seconds:
            return ""
        return (start + timedelta(seconds=float(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")

    return pd.DataFrame({
        "market": f["market"], "arrived_at": [iso(s) for s in f["arrived"]],
        "first_reply_at": [iso(s) for s in f["answered_at"]], "ended_at": [iso(s) for s in f["ended_at"]],
        "handled_by": f["agent"], "complex": f["complex"].astype(int),
        "resolved": f["answered_at"].notna().astype(int),
        "reply_language": [scenario.markets[m].language if a else "" for m, a in zip(f["market"], f["agent"])],
    }).reset_index(drop=True)


@dataclass
class SimulatedWeek:
    """A roster's week played `runs` times: the evaluation (what the plan predicts), the comparison with
    the simulation, and the shifts that were played."""

    evaluation: object  # scheduler.validate.Evaluation
    report: SimulationReport
    shifts: list[Shift]
    runs: int


def simulate_roster(scenario: Scenario, grid: Grid, rows: list, runs: int = 20, seed: int | None = None,
                    lognormal: bool = False, processes: int | None = None, done=None, scheduler: str | None = None,
                    echo=None) -> SimulatedWeek | None:
    """Evaluate the roster rows of the week `grid` and play them `runs` times (seeds `seed`, `seed`+1, ...;
    default policy.toml's); None when interrupted (a partial set of runs would bias the comparison)."""
    from scheduler.staffing import compute_staffing
    from scheduler.validate import evaluate, place

    staffing = compute_staffing(scenario, grid)
    ev = evaluate(scenario, grid, staffing, rows)
    shifts = [s for s in place(scenario, grid, rows) if 0 <= s.start < grid.minutes]
    first = seed if seed is not None else scenario.policy.solver.seed
    results = run_many(scenario, grid, staffing, shifts, runs, first, lognormal, processes, done=done,
                       scheduler=scheduler, echo=echo)
    if results is None:
        return None
    return SimulatedWeek(ev, compare(ev, results), shifts, runs)
