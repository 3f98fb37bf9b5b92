"""Coverage of a fixed roster: which queue each agent serves in each interval, and what is left short.

The Roster does not record which of a row's queues an agent serves in each
interval; `assign_queues` decides it to cover most of the requirement, so a
roster is credited with the best use of the agents it names. It builds its
own small CP-SAT problem per interval and never reads the planning model.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from scheduler.calendar import Grid, to_local
from scheduler.continuity import Held
from scheduler.cpsat import run_solver
from scheduler.domain import Scenario
from scheduler.staffing import Staffing
from scheduler.staffing.backlog import predict
from scheduler.validate.placed import Shift
from scheduler.week import SCALE, interval_overlaps, required_units, row_queues


def coverage_shortfall(scenario: Scenario, grid: Grid, staffing: Staffing,
                       shifts: list[Shift], carried: list[Held] = ()) -> tuple[pd.DataFrame, str]:
    """The coverage rule on a fixed roster: per queue and interval, required against scheduled agents and
    the shortfall (`coverage_frame`), with the queue assignment's worst solver status. `carried`: last
    week's shifts, which work the minutes they run into the week."""
    worked, allowed = on_duty(scenario, grid, shifts, carried)
    minutes, status = _assign(scenario, grid, staffing, worked, allowed)
    step = duty_step(grid, shifts, carried)
    groups = serving_groups(staffing, step, *on_duty(scenario, grid, shifts, carried, step))
    return coverage_frame(scenario, grid, staffing, minutes, groups, grid.interval_minutes // step), status


def duty_step(grid: Grid, shifts: list[Shift], carried: list[Held] = ()) -> int:
    """The minutes at which the predicted KPIs follow who is on duty: as fine as the roster's starts, ends and
    breaks fall (two agents on break at once show as the half hour nobody answers), never below a quarter
    hour; the interval itself where everything starts and ends on it."""
    step = grid.interval_minutes
    for spans in [s.worked_spans() for s in shifts] + [h.worked_spans() for h in carried]:
        for a, b in spans:
            step = math.gcd(step, int(a) % grid.interval_minutes, int(b) % grid.interval_minutes)
    step = max(step, 15)
    return step if grid.interval_minutes % step == 0 else grid.interval_minutes


def on_duty(scenario: Scenario, grid: Grid, shifts: list[Shift], carried: list[Held] = (), step: int | None = None
            ) -> tuple[dict[int, dict[str, int]], dict[tuple[str, int], tuple[str, ...]]]:
    """Minutes each agent works in each interval (or each `step` minutes), and the queues they may serve."""
    I = step or grid.interval_minutes
    n = grid.minutes // I
    worked: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    allowed: dict[tuple[str, int], tuple[str, ...]] = {}
    worked_by = [(s.row.agent_id, s.row.queues, s.worked_spans()) for s in shifts]
    worked_by += [(h.agent_id, h.languages, h.worked_spans()) for h in carried]
    for a, languages, spans in worked_by:
        queues = row_queues(scenario, a, languages)
        for st, e in spans:
            for i, mins in interval_overlaps(st, e, I, n):
                worked[i][a] += mins
                allowed[(a, i)] = queues
    return worked, allowed


def serving_groups(staffing: Staffing, step: int, worked: dict[int, dict[str, int]],
                   allowed: dict[tuple[str, int], tuple[str, ...]]) -> list[dict[tuple[str, ...], float]]:
    """Per step, agents on duty (fractions of the step) by the set of queues they can answer: what the
    predicted response times are drawn from (`staffing.backlog.predict`), whoever the rule counts where."""
    groups: list[dict[tuple[str, ...], float]] = [defaultdict(float) for _ in range(staffing.grid.minutes // step)]
    for i, per in worked.items():
        for a, w in per.items():
            queues = tuple(q for q in allowed[(a, i)] if q in staffing.loads)
            if queues and w > 0:
                groups[i][queues] += w / step
    return groups


def assign_queues(scenario: Scenario, grid: Grid, staffing: Staffing, shifts: list[Shift],
                  time_limit: float = 10.0, carried: list[Held] = ()) -> tuple[dict[tuple[str, int, str], int], str]:
    """Each agent's single queue per interval, among the queues of the row, to cover most of the requirement.

    Intervals are independent, so each is its own small exact problem
    (`_interval_model`); an interval where no agent has a choice is read off
    directly. Returns worked minutes per
    (agent, interval, queue) and the worst solver status met.
    """
    worked, allowed = on_duty(scenario, grid, shifts, carried)
    return _assign(scenario, grid, staffing, worked, allowed, time_limit)


def _assign(scenario: Scenario, grid: Grid, staffing: Staffing, worked: dict[int, dict[str, int]],
            allowed: dict[tuple[str, int], tuple[str, ...]], time_limit: float = 10.0
            ) -> tuple[dict[tuple[str, int, str], int], str]:
    I = grid.interval_minutes
    required = required_units(staffing, I)
    seconds, seed = time_limit / max(len(worked), 1), scenario.policy.solver.seed
    demands = {i: {q: int(required[q][i]) for q in required} for i in worked}

    def solved(i: int) -> tuple[dict[str, str], str]:
        per, demand = worked[i], demands[i]
        who = {a: allowed[(a, i)] for a in per}
        choice, st = _assign_interval(per, who, demand, I, seconds, seed)
        if st != "OPTIMAL":  # a crowded interval: once more with twenty times the time, to prove it
            choice, st = _assign_interval(per, who, demand, I, 20 * seconds, seed)
        return choice, st

    # Intervals where some agent has a choice are solved on every core: each solve is deterministic (one
    # worker, deterministic time), so the assignment does not depend on the order. At 1,000 agents one after
    # the other they took 13.5 s of a 21-s evaluation.
    choices = [i for i, per in sorted(worked.items())
               if any(sum(1 for q in allowed[(a, i)] if demands[i][q] > 0) > 1 for a in per)]
    pool = ThreadPoolExecutor(max_workers=max(1, min(len(choices), os.cpu_count() or 1)))
    try:
        outcome = dict(zip(choices, pool.map(solved, choices)))
    finally:
        pool.shutdown(cancel_futures=True)  # Ctrl-C: the intervals not begun are dropped, not solved first
    minutes: dict[tuple[str, int, str], int] = {}
    status = "OPTIMAL"
    for i, per in sorted(worked.items()):
        demand = demands[i]
        choice, st = outcome.get(i, ({}, "OPTIMAL"))
        status = st if st != "OPTIMAL" else status
        for a, w in per.items():
            q = choice.get(a)
            if q is None:
                # No choice to make, or nothing needed from this agent: their first queue with demand, else their first.
                options = [q for q in allowed[(a, i)] if demand[q] > 0] or list(allowed[(a, i)])
                q = options[0] if options else None
            if q is not None and w > 0:
                minutes[(a, i, q)] = w
    return minutes, status


def _assign_interval(worked: dict[str, int], allowed: dict[str, tuple[str, ...]], demand: dict[str, int],
                     interval: int, seconds: float, seed: int) -> tuple[dict[str, str], str]:
    model, serve, term = _interval_model(worked, allowed, demand, interval)
    model.minimize(term)
    solver = cp_model.CpSolver()
    # Deterministic time, one worker: the same roster gets the same assignment however busy the machine.
    solver.parameters.max_deterministic_time = max(seconds, 0.05)
    solver.parameters.max_time_in_seconds = 10 * max(seconds, 0.05)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    status = run_solver(solver, model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}, solver.StatusName(status)
    choice = {}
    for a, lits in serve.items():
        for q, lit in lits:
            if lit is True or solver.BooleanValue(lit):
                choice[a] = q
    return choice, solver.StatusName(status)


def _interval_model(worked: dict[str, int], allowed: dict[str, tuple[str, ...]], demand: dict[str, int],
                    interval: int) -> tuple[cp_model.CpModel, dict[str, list[tuple[str, object]]], object]:
    """One interval's coverage with every agent's minutes fixed: a literal per agent and queue, at most one
    true (an agent counts toward one queue, never two), the minutes served capped by the minutes worked;
    the objective is the shortfall below each queue's demand, in 1/SCALE agent-minutes. This is the rule
    of `scheduler.model.coverage` agent by agent, written here on its own so that a change there cannot
    move the plan and its check together."""
    model = cp_model.CpModel()
    cover: dict[str, list] = {}
    serve: dict[str, list[tuple[str, object]]] = {}
    for a, w in worked.items():
        here = [q for q in allowed[a] if demand[q] > 0]
        if not here or w <= 0:
            continue
        if len(here) == 1:
            cover.setdefault(here[0], []).append(w)
            serve[a] = [(here[0], True)]
            continue
        literals = []
        for q in here:
            y = model.new_bool_var(f"serves(agent={a}, queue={q})")
            served = model.new_int_var(0, interval, f"minutes(agent={a}, queue={q})")
            model.add(served <= w)
            model.add(served <= interval * y)
            cover.setdefault(q, []).append(served)
            literals.append((q, y))
        model.add_at_most_one(y for _, y in literals)
        model.add(sum(cover[q][-1] for q in here) <= w)  # redundant, as in the model: it tightens the LP
        serve[a] = literals
    shortfall = []
    for q, need in demand.items():
        if need > 0:
            s = model.new_int_var(0, need, f"shortfall(queue={q})")
            model.add(s + SCALE * sum(cover.get(q, [])) >= need)
            shortfall.append(s)
    return model, serve, sum(shortfall) if shortfall else 0


def coverage_frame(scenario: Scenario, grid: Grid, staffing: Staffing, minutes: dict[tuple[str, int, str], int],
                   groups: list[dict[tuple[str, ...], float]], steps: int = 1) -> pd.DataFrame:
    """Per queue and interval: required against scheduled agents and the shortfall (the rule), and the KPIs
    viewers are predicted to get from the agents serving each queue (`serving`: a bilingual agent answers
    whichever of their queues waited longest, so they serve where the pressure is, not where the rule
    counts them) with the backlog each interval inherits."""
    I = grid.interval_minutes
    predicted = predict(staffing.loads, I * 60.0, groups, steps)
    frames = []
    for q, load in staffing.loads.items():
        scheduled = np.zeros(grid.size)
        for (_, i, qq), w in minutes.items():
            if qq == q:
                scheduled[i] += w / I
        base = staffing.frame[staffing.frame["queue"] == q]
        required = base["required"].to_numpy()
        served = np.minimum(scheduled, required)
        frames.append(pd.DataFrame({
            "queue": q, "interval": np.arange(grid.size), "interval_start": base["interval_start"].to_numpy(),
            "questions": load.questions, "arrivals": load.arrivals, "required": required,
            "scheduled": np.round(scheduled, 4), "gap": np.round(scheduled - required, 4),
            "shortfall_hours": np.round((required - served) * I / 60, 4),
        }).join(predicted[q]))
    return pd.concat(frames, ignore_index=True)


def markets_frame(scenario: Scenario, grid: Grid, staffing: Staffing, coverage: pd.DataFrame) -> pd.DataFrame:
    """The coverage of each market's queue in the market's local time."""
    kpi_cols = ["required", "scheduled", "gap", "serving", "asa_seconds", "service_level", "complex_service_level",
                "abandon_rate", "occupancy", "targets_met"]
    merged = staffing.markets.merge(coverage[["queue", "interval"] + kpi_cols], on=["queue", "interval"], how="left")
    tz = {m: scenario.markets[m].timezone for m in scenario.markets}
    merged["local_start"] = [to_local(t, tz[m]).replace(tzinfo=None) for t, m in zip(merged["interval_start"], merged["market"])]
    merged["timezone"] = merged["market"].map(tz)
    return merged
