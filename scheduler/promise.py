"""The plan's promise, simulated: what viewers get from the rota played chat by chat, and rounds that
correct the rota where the play misses a target the plan counted met.

The plan's own KPIs come from per-interval formulas (`staffing.backlog`: Erlang with the backlog an
interval hands on, and bilingual agents dealt where the wait is). The simulation plays the same rota with
every chat, break and bilingual agent (`scheduler.simulate`). Where both ran, the simulation is what the
plan promises: Summary's and the terminal's targets met and ASA come from it, and say so, with the
formulas' figures beside them.

A rota the formulas call covered can still miss in play: a short hour hands its queue to the next, a
bilingual agent answers the other language. `--simulation-rounds` raises the requirement of those
queue-intervals by one agent and plans again from the current rota, keeping the rota with the lowest
total plus the misses priced as shortfall (one agent each for the interval).
"""

from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import date
from typing import Callable

import pandas as pd

from scheduler.plan import Plan, make_plan
from scheduler.simulate import SimulationReport, compare, run_many, run_serial
from scheduler.staffing import Staffing


@dataclass
class Round:
    """One rota of the correction and its play."""

    round: int  # 0: the plan as first solved
    wages: float
    shortfall_hours: float
    total: float
    misses: int  # queue-intervals with questions the plan counted covered whose simulated KPIs miss a target
    missed_hours: float  # those at one agent each for the interval: what the score prices as shortfall
    score: float  # total + missed_hours x the shortfall price: what the rounds minimise
    targets_met: float  # simulated share of queue-intervals with questions that meet every target
    worst_queue: str
    worst_met: float  # that queue's simulated share
    raised: int = 0  # queue-intervals this round's requirement raised (cumulative)
    solve_seconds: float = 0.0
    simulate_seconds: float = 0.0
    kept: bool = False


# The Rounds sheet (no seconds: the same inputs and seed give the same workbook; the terminal shows them).
ROUND_COLUMNS = ["round", "raised", "wages", "shortfall_hours", "total", "misses", "missed_hours", "score",
                 "targets_met", "worst_queue", "worst_met", "kept"]


@dataclass
class Promise:
    """The kept plan with its simulation, and every round that led to it."""

    plan: Plan
    report: SimulationReport
    rounds: list[Round]
    runs: int
    seed: int
    seconds: float  # simulation wall time, all rounds
    first_report: SimulationReport | None = None  # the first solve's play (the kept one's is `report`)

    @property
    def label(self) -> str:
        return f"simulation, {self.runs} runs (seeds {self.seed}-{self.seed + self.runs - 1})"

    def simulated(self) -> dict[str, dict[str, float]]:
        """Per queue: the simulated ASA (and its 95 % half-width) and share of intervals meeting every target."""
        return {r.queue: {"asa": r.simulated_asa, "asa_ci": r.asa_ci, "targets_met": r.simulated_targets_met,
                          "asa_formula": r.predicted_asa, "targets_met_formula": r.predicted_targets_met}
                for r in self.report.weekly.itertuples(index=False)}

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([{c: getattr(r, c) for c in ROUND_COLUMNS} for r in self.rounds], columns=ROUND_COLUMNS)

    def summary_items(self) -> list[tuple[str, object, str | None]]:
        kept = next(r for r in self.rounds if r.kept)
        first = self.rounds[0]
        return [("simulation_runs", self.runs, "0"), ("simulation_seed", self.seed, "0"),
                ("simulation_rounds", len(self.rounds) - 1, "0"), ("round_kept", kept.round, "0"),
                ("misses_in_play", kept.misses, "0"), ("misses_in_play_first", first.misses, "0"),
                ("targets_met_in_play", kept.targets_met, "0.0%"),
                ("total_first_round", first.total, "#,##0.00"),
                ("correction_cost", round(kept.total - first.total, 2), "#,##0.00")]

    def sheets(self, workbook) -> None:
        """The play's sheets after the plan's: Simulation, SimulationMarkets, SimulationWeek(Markets), Rounds."""
        from scheduler.io.reports import write_rounds, write_simulation

        write_simulation(workbook, self.report, self.plan.grid.timezone)
        write_rounds(workbook, self.frame)


def play(plan: Plan, runs: int, seed: int, processes: int | None = None, scheduler: str | None = None,
         echo: Callable[[str], None] | None = None) -> tuple[SimulationReport | None, float]:
    """The plan's rota played `runs` times (seeds seed, seed+1, ...) beside its predictions; None when
    interrupted. This week's shifts are played; last week's that run into it are not."""
    ev = plan.evaluation
    shifts = [s for s in ev.shifts if 0 <= s.start < plan.grid.minutes]
    started = time.perf_counter()
    if scheduler == HERE:
        results = run_serial(plan.scenario, plan.grid, plan.staffing, shifts, runs, seed)
    else:
        results = run_many(plan.scenario, plan.grid, plan.staffing, shifts, runs, seed, processes=processes,
                           scheduler=scheduler, echo=echo)
    if results is None:
        return None, time.perf_counter() - started
    return compare(ev, results), time.perf_counter() - started


def missed(report: SimulationReport) -> pd.DataFrame:
    """The queue-intervals with questions that the plan counted covered (scheduled at or above the
    requirement) whose simulated KPIs miss a target: what a round raises."""
    c = report.cells
    covered = c["scheduled"] >= c["required"] - 1e-6
    return c[(c["arrivals"] > 0) & covered & ~c["sim_targets_met"].astype(bool)][["queue", "interval"]]


def score_round(number: int, plan: Plan, report: SimulationReport, raised: int = 0) -> Round:
    ev = plan.evaluation
    misses = missed(report)
    hours = len(misses) * plan.grid.interval_minutes / 60
    price = plan.scenario.policy.costs.shortfall_per_agent_hour
    busy = report.cells[report.cells["arrivals"] > 0]
    per_queue = busy.groupby("queue", sort=False)["sim_targets_met"].mean()
    worst = per_queue.idxmin() if len(per_queue) else ""
    # The objective the plan minimised (a re-plan's changes and fairness included), with the misses priced.
    return Round(number, round(ev.cost, 2), round(ev.shortfall_hours, 2), round(ev.total, 2), len(misses),
                 round(hours, 2), round(ev.objective + hours * price, 2),
                 float(busy["sim_targets_met"].mean()) if len(busy) else 1.0, worst,
                 float(per_queue.get(worst, 1.0)) if worst else 1.0, raised)


def raise_requirement(staffing: Staffing, extra: dict[tuple[str, int], float]) -> Staffing:
    """The staffing with `extra` agents added to the requirement of some queue-intervals (what the model
    plans against in a round; the plan is still judged against the forecast's own requirement)."""
    frame = staffing.frame.copy()
    add = pd.Series([extra.get((q, i), 0.0) for q, i in zip(frame["queue"], frame["interval"])], index=frame.index)
    frame["required"] = frame["required"] + add
    return replace(staffing, frame=frame)


def first_limit(limit: float, rounds: int) -> float:
    """The first solve's share of the time limit; the rounds share what it leaves. A round starts from the
    current rota and only moves what the raise asks, so it needs far less than a plan from nothing."""
    return limit * FIRST_SHARE if rounds > 0 else limit


FIRST_SHARE = 0.7
MIN_ROUND = 1.0  # seconds of search below which a round is not worth starting


def promise(plan: Plan, *, runs: int, rounds: int = 0, seed: int | None = None, week: date | None = None,
            round_seconds: float = 0.0, overhead: float = 0.0, workers: int | None = None,
            processes: int | None = None,
            scheduler: str | None = None, echo: Callable[[str], None] | None = None,
            progress=None, start_of=None) -> Promise | None:
    """Play the plan, then correct it for up to `rounds` rounds (each a solve from the current rota against
    the requirement raised where play missed, the rounds together within `round_seconds` of wall clock, the
    play aside; `overhead`: what a plan takes beside its search, building the model and evaluating, as the
    first one measured); keep the best by score. None when interrupted during the first play.
    `start_of(plan)`: the warm start a round gives the search (default: the plan's own rota)."""
    first = seed if seed is not None else plan.scenario.policy.solver.seed
    say = echo or (lambda line: None)
    if start_of is None:
        from scheduler.io.roster import fixed_shifts

        def start_of(current: Plan):
            return fixed_shifts(current.scenario, [s.row for s in current.evaluation.shifts], "round")
    from scheduler.executor import session

    here = scheduler is None and runs <= FEW_RUNS
    cluster = nullcontext(HERE) if here else session(scheduler, max(1, min(processes or os.cpu_count() or 1, runs)))
    with cluster as where:
        return _promise(plan, runs, rounds, seed, first, week, round_seconds, overhead, workers, processes, where,
                        say, progress, start_of)


# A few runs are played here, one after another: starting a local cluster's worker processes takes longer.
FEW_RUNS = 3
HERE = "in this process"


def _promise(plan, runs, rounds, seed, first, week, round_seconds, overhead, workers, processes, scheduler, say,
             progress, start_of) -> Promise | None:
    report, seconds = play(plan, runs, first, processes, scheduler)
    if report is None:
        return None
    history = [score_round(0, plan, report)]
    say(_round_line(history[-1]))
    best = (history[0].score, plan, report, 0)
    current, current_report, extra, spent = plan, report, {}, 0.0
    for k in range(1, rounds + 1):
        misses = missed(current_report)
        if misses.empty:
            say(f"round {k}: nothing to correct (every covered interval meets its targets in play)")
            break
        # This round's share of what is left, less what building and evaluating a plan takes beside the search.
        limit = (round_seconds - spent) / (rounds - k + 1) - overhead
        if limit < MIN_ROUND:
            say(f"round {k}: no time left in the limit for another round ({max(limit, 0):.1f} s)")
            break
        for q, i in zip(misses["queue"], misses["interval"]):
            extra[(q, int(i))] = extra.get((q, int(i)), 0.0) + 1.0
        started = time.perf_counter()
        p = make_plan(plan.scenario, week, time_limit=limit, workers=workers, seed=seed, progress=progress,
                      start=start_of(current), requirement=raise_requirement(plan.staffing, extra),
                      kept_rows=plan.kept_rows)
        solved = time.perf_counter() - started
        spent += solved
        overhead = max(0.0, solved - p.result.seconds)
        rep, sim_seconds = play(p, runs, first, processes, scheduler)
        seconds += sim_seconds
        if rep is None:
            break
        r = score_round(k, p, rep, len(extra))
        r.solve_seconds, r.simulate_seconds = round(solved, 1), round(sim_seconds, 1)
        history.append(r)
        say(_round_line(r))
        if r.score < best[0] - 1e-6:
            best = (r.score, p, rep, k)
        current, current_report = p, rep
    history[0].simulate_seconds = round(seconds - sum(r.simulate_seconds for r in history[1:]), 1)
    history[0].solve_seconds = round(plan.result.seconds, 1)
    _, kept, kept_report, number = best
    history[number].kept = True
    if kept is not plan:
        # The round's objective and bound are of the raised requirement; this week's are the evaluated
        # objective and the first solve's bound. Its time is every solve's.
        r, first_solve = kept.result, plan.result
        r.bound, r.lp_bound, r.bound_from = first_solve.bound, first_solve.lp_bound, first_solve.bound_from
        r.objective = kept.evaluation.objective
        r.gap = max(0.0, (r.objective - r.bound) / r.objective) if r.objective > 0 and r.bound == r.bound else math.nan
        r.seconds = first_solve.seconds + sum(h.solve_seconds for h in history[1:])
    return Promise(kept, kept_report, history, runs, first, seconds, report)


def _round_line(r: Round) -> str:
    return (f"  round {r.round}: total {r.total:,.2f} (wages {r.wages:,.2f}), {r.misses} covered intervals miss "
            f"in play, score {r.score:,.2f}; targets met in play {r.targets_met:.0%}, worst {r.worst_queue} "
            f"{r.worst_met:.0%}")


def describe(p: Promise) -> str:
    """The terminal's account of the play: per queue, simulated against predicted; the rounds."""
    from scheduler.textable import table

    w = p.report.weekly
    rows = [[r.queue, round(r.predicted_asa, 1), round(r.simulated_asa, 1), round(r.asa_ci, 1),
             f"{r.predicted_sl:.1%}", f"{r.simulated_sl:.1%}", f"{r.simulated_csl:.1%}", f"{r.simulated_abandon:.1%}",
             f"{r.predicted_targets_met:.0%}", f"{r.simulated_targets_met:.0%}"] for r in w.itertuples(index=False)]
    out = [table(["queue", "pred_asa_s", "sim_asa_s", "±", "pred_sl", "sim_sl", "sim_complex", "sim_abandon",
                  "pred_met", "sim_met"], rows,
                 f"Simulated ({p.label}): what viewers get, against the formulas' prediction")]
    if len(p.rounds) > 1:
        out += ["", table(["round", "raised", "wages", "total", "misses", "score", "targets_met", "worst", "solve_s",
                           "play_s", "kept"],
                          [[r.round, r.raised, r.wages, r.total, r.misses, r.score, f"{r.targets_met:.0%}",
                            f"{r.worst_queue} {r.worst_met:.0%}", r.solve_seconds, r.simulate_seconds,
                            "yes" if r.kept else ""] for r in p.rounds],
                          "Correction rounds (score: total + the covered intervals that miss in play, one agent each)")]
    return "\n".join(out)
