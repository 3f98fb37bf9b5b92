"""The solver-free evaluator: every rule of the rota checked on Roster rows, costs recomputed.

`rota evaluate` runs it on a (possibly hand-edited) roster and `rota plan`
runs it on its own roster, so a planned roster evaluates to exactly what plan
reported. Rule checks and costs use no solver. Coverage does need one
decision the Roster does not record, which of a row's queues an agent serves
in each interval; `assign_queues` makes it with the same coverage rule as the
model (a small CP-SAT problem with the shifts fixed), so a roster is credited
with the best use of the agents it names.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from scheduler.calendar import Grid, leave_spans, to_local
from scheduler.domain import Scenario
from scheduler.model import add_coverage, interval_overlaps, required_units, row_queues, run_solver
from scheduler.pay import PayClock
from scheduler.domain import clock_text
from scheduler.roster import RosterRow
from scheduler.shifts import EDGE_MINUTES, contract_min_minutes, fits_window
from scheduler.staffing import Staffing, achieved

BREAK_COLUMNS = ["rule", "agent_id", "roster_row", "detail"]


@dataclass(frozen=True)
class Break:
    rule: str
    agent_id: str
    roster_row: int | None
    detail: str


@dataclass
class Shift:
    """A roster row placed on the week: the facts every rule reads."""

    row: RosterRow
    start: int
    end: int
    brk: tuple[int, int] | None
    cost: float  # recomputed, rounded to cents as HR sees it

    @property
    def paid_minutes(self) -> int:
        return self.end - self.start - (self.brk[1] - self.brk[0] if self.brk else 0)

    def worked_spans(self) -> list[tuple[int, int]]:
        if not self.brk:
            return [(self.start, self.end)]
        return [(self.start, self.brk[0]), (self.brk[1], self.end)]


@dataclass
class Evaluation:
    scenario: Scenario
    grid: Grid
    staffing: Staffing
    shifts: list[Shift]
    breaks: list[Break]
    coverage: pd.DataFrame  # per queue and interval
    markets: pd.DataFrame  # per market and interval, market-local
    agents: pd.DataFrame  # per agent
    assignment_status: str = "OPTIMAL"
    extra: dict = field(default_factory=dict)

    @property
    def cost(self) -> float:
        return round(sum(s.cost for s in self.shifts), 2)

    def cost_by_site(self) -> dict[str, float]:
        out = {s: 0.0 for s in self.scenario.sites}
        for s in self.shifts:
            out[self.scenario.agents[s.row.agent_id].site] += s.cost
        return {k: round(v, 2) for k, v in out.items()}

    @property
    def shortfall_hours(self) -> float:
        return float(self.coverage["shortfall_hours"].sum())

    def shortfall_by_queue(self) -> dict[str, float]:
        return self.coverage.groupby("queue", sort=False)["shortfall_hours"].sum().to_dict()

    def targets_met_by_queue(self) -> dict[str, float]:
        """Share of intervals with questions whose every target is met."""
        busy = self.coverage[self.coverage["arrivals"] > 0]
        return busy.groupby("queue", sort=False)["targets_met"].mean().reindex(self.staffing.loads, fill_value=1.0).to_dict()

    def asa_by_queue(self) -> dict[str, float]:
        """ASA of each queue over the week, weighted by answered questions, in the intervals someone staffs."""
        out = {}
        for q, g in self.coverage.groupby("queue", sort=False):
            w = g["arrivals"] * (1 - g["abandon_rate"])
            finite = np.isfinite(g["asa_seconds"])
            out[q] = float((g["asa_seconds"][finite] * w[finite]).sum() / w[finite].sum()) if w[finite].sum() else math.nan
        return out

    def unstaffed_hours_by_queue(self) -> dict[str, float]:
        """Hours with questions and nobody to answer them (ASA undefined there)."""
        busy = self.coverage[(self.coverage["arrivals"] > 0) & ~np.isfinite(self.coverage["asa_seconds"])]
        hours = busy.groupby("queue", sort=False).size() * self.grid.interval_minutes / 60
        return {q: float(hours.get(q, 0.0)) for q in self.staffing.loads}

    @property
    def shortfall_cost(self) -> float:
        return self.shortfall_hours * self.scenario.policy.costs.shortfall_per_agent_hour

    @property
    def total(self) -> float:
        return self.cost + self.shortfall_cost

    @property
    def breaks_frame(self) -> pd.DataFrame:
        return pd.DataFrame([b.__dict__ for b in self.breaks], columns=BREAK_COLUMNS)


def place(scenario: Scenario, grid: Grid, rows: list[RosterRow]) -> list[Shift]:
    pay = {s: PayClock(site, grid, scenario.policy.rules) for s, site in scenario.sites.items()}
    out = []
    for r in rows:
        agent = scenario.agents[r.agent_id]
        a, b = r.span(scenario, grid)
        brk = r.break_span(scenario, grid)
        clock = pay[agent.site]
        cost = clock.cost(agent.hourly_cost, a, b)
        if brk and a <= brk[0] and brk[1] <= b:
            cost -= clock.cost(agent.hourly_cost, *brk)
        elif brk:
            brk = (max(brk[0], a), min(brk[1], b)) if brk[0] < b and a < brk[1] else None
            if brk:
                cost -= clock.cost(agent.hourly_cost, *brk)
        out.append(Shift(r, a, b, brk, round(cost, 2)))
    return out


# ------------------------------------------------------------------ rule checks

def check_week(ctx) -> list[Break]:
    """Shifts must start inside the planned week; others are ignored."""
    sc, grid, shifts = ctx
    return [Break("outside_week", s.row.agent_id, s.row.row,
                  f"starts {s.row.date} {clock_text(s.row.start)}, outside the week {grid.label}; ignored")
            for s in shifts if not 0 <= s.start < grid.minutes]


def check_template(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    out = []
    for s in shifts:
        site = sc.agents[s.row.agent_id].site
        length = s.end - s.start
        ok = any(t.applies_to(site) and s.row.date.weekday() in t.weekdays and s.row.start in t.starts
                 and t.minutes == length and t.break_minutes == s.row.break_minutes
                 for t in sc.templates)
        if not ok:
            out.append(Break("template", s.row.agent_id, s.row.row,
                             f"{clock_text(s.row.start)}-{clock_text(s.row.end)} ({length / 60:g} h, break "
                             f"{s.row.break_minutes} min) on {s.row.date:%a} matches no shift template of site {site}"))
    return out


def check_break_placement(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    out = []
    for s in shifts:
        if s.row.break_minutes and (s.brk is None or s.brk[0] < s.start + EDGE_MINUTES or s.brk[1] > s.end - EDGE_MINUTES):
            out.append(Break("break_placement", s.row.agent_id, s.row.row,
                             f"break at {clock_text(s.row.break_start)} is not inside the shift away from its first and last hour"))
    return out


def check_language(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    served = {q.language for q in sc.queues}
    out = []
    for s in shifts:
        agent = sc.agents[s.row.agent_id]
        for lang in s.row.queues:
            if lang not in agent.languages:
                out.append(Break("language", agent.agent_id, s.row.row,
                                 f"{agent.agent_id} does not speak {lang} (speaks {', '.join(agent.languages)})"))
            elif lang not in served:
                out.append(Break("language", agent.agent_id, s.row.row, f"no market of this scenario is served in {lang}"))
    return out


def check_leave(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    out = []
    for s in shifts:
        for a, b in leave_spans(sc, grid, s.row.agent_id):
            clash = sum(max(0, min(b, e) - max(a, st)) for st, e in s.worked_spans())
            if clash:
                out.append(Break("leave", s.row.agent_id, s.row.row, f"works {clash} min during leave"))
                break
    return out


def check_daily_window(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    out = []
    for s in shifts:
        agent = sc.agents[s.row.agent_id]
        if not fits_window(agent, s.row.start, s.end - s.start):
            out.append(Break("daily_window", agent.agent_id, s.row.row,
                             f"{clock_text(s.row.start)}-{clock_text(s.row.end)} is outside the daily window "
                             f"{clock_text(agent.earliest_start)}-{clock_text(agent.latest_end)}"))
    return out


def _by_agent(shifts):
    per = defaultdict(list)
    for s in sorted(shifts, key=lambda s: (s.row.agent_id, s.start, s.row.row)):
        per[s.row.agent_id].append(s)
    return per


def check_one_shift_per_day(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    out = []
    for agent, ss in _by_agent(shifts).items():
        seen = {}
        for s in ss:
            if s.row.date in seen:
                out.append(Break("one_shift_per_day", agent, s.row.row,
                                 f"second shift on {s.row.date}; first on row {seen[s.row.date]}"))
            else:
                seen[s.row.date] = s.row.row
    return out


def check_min_rest(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    rest = sc.policy.rules.min_rest_hours * 60
    out = []
    for agent, ss in _by_agent(shifts).items():
        for p, q in zip(ss, ss[1:]):
            gap = q.start - p.end
            if gap < rest and p.row.date != q.row.date:
                what = "overlaps the previous shift" if gap < 0 else f"only {gap / 60:g} h after the previous shift"
                out.append(Break("min_rest", agent, q.row.row,
                                 f"{what} (row {p.row.row}); at least {rest / 60:g} h of rest required"))
    return out


def check_max_consecutive_days(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    k = sc.policy.rules.max_consecutive_days
    out = []
    for agent, ss in _by_agent(shifts).items():
        run, last = 0, None
        for s in sorted(ss, key=lambda s: s.row.date):
            if last is not None and s.row.date == last:
                continue
            run = run + 1 if last is not None and (s.row.date - last).days == 1 else 1
            last = s.row.date
            if run == k + 1:
                out.append(Break("max_consecutive_days", agent, s.row.row,
                                 f"day {run} in a row ({s.row.date}); at most {k} allowed"))
    return out


def check_max_days(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    out = []
    for agent, ss in _by_agent(shifts).items():
        limit = sc.agents[agent].max_days
        days = sorted({s.row.date for s in ss})
        if len(days) > limit:
            row = next(s.row.row for s in ss if s.row.date == days[limit])
            out.append(Break("max_days", agent, row, f"works {len(days)} days; contract allows {limit}"))
    return out


def check_hours(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    per = _by_agent(shifts)
    out = []
    for agent_id, agent in sc.agents.items():
        ss = per.get(agent_id, [])
        paid = sum(s.paid_minutes for s in ss)
        last_row = ss[-1].row.row if ss else None
        if paid > round(agent.max_hours * 60):
            out.append(Break("max_hours", agent_id, last_row, f"{paid / 60:g} paid hours; contract maximum {agent.max_hours:g}"))
        low = contract_min_minutes(sc, grid, agent)
        if paid < low:
            out.append(Break("min_hours", agent_id, last_row,
                             f"{paid / 60:g} paid hours; contract minimum {low / 60:g}" +
                             (" (pro rata for leave)" if low < round(agent.min_hours * 60) else "")))
    return out


def check_cost(ctx) -> list[Break]:
    sc, grid, shifts = ctx
    return [Break("stale_cost", s.row.agent_id, s.row.row, f"cost {s.row.cost:.2f} in the file; the rules give {s.cost:.2f}")
            for s in shifts if s.row.cost is not None and abs(s.row.cost - s.cost) > 0.005]


CHECKS = [check_template, check_break_placement, check_language, check_leave, check_daily_window,
          check_one_shift_per_day, check_min_rest, check_max_consecutive_days, check_max_days, check_hours, check_cost]


# ------------------------------------------------------------------ coverage

def assign_queues(scenario: Scenario, grid: Grid, staffing: Staffing, shifts: list[Shift],
                  time_limit: float = 10.0) -> tuple[dict[tuple[str, int, str], int], str]:
    """Each agent's single queue per interval, among the queues of the row, to cover most of the requirement.

    Intervals are independent, so each is its own small exact problem (the
    model's `add_coverage` rule with the minutes fixed); an interval where no
    agent has a choice is read off directly. Returns worked minutes per
    (agent, interval, queue) and the worst solver status met.
    """
    I, n = grid.interval_minutes, grid.size
    worked: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    allowed: dict[tuple[str, int], tuple[str, ...]] = {}
    for s in shifts:
        a = s.row.agent_id
        queues = row_queues(scenario, a, s.row.queues)
        for st, e in s.worked_spans():
            for i, mins in interval_overlaps(st, e, I, n):
                worked[i][a] += mins
                allowed[(a, i)] = queues
    required = required_units(staffing, I)
    minutes: dict[tuple[str, int, str], int] = {}
    status = "OPTIMAL"
    for i, per in sorted(worked.items()):
        demand = {q: int(required[q][i]) for q in required}
        choice: dict[str, str] = {}
        if any(sum(1 for q in allowed[(a, i)] if demand[q] > 0) > 1 for a in per):
            choice, st = _assign_interval(per, {a: allowed[(a, i)] for a in per}, demand, I, time_limit / max(len(worked), 1),
                                          scenario.policy.solver.seed)
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
    model = cp_model.CpModel()
    cov = add_coverage(model, {a: {0: w} for a, w in worked.items()}, lambda a, i: allowed[a],
                       {q: np.array([d]) for q, d in demand.items()}, interval, 1)
    model.Minimize(cov.term)
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
    for (a, _), lits in cov.serve.items():
        for q, lit in lits:
            if lit is True or solver.BooleanValue(lit):
                choice[a] = q
    return choice, solver.StatusName(status)


def evaluate(scenario: Scenario, grid: Grid, staffing: Staffing, rows: list[RosterRow]) -> Evaluation:
    placed = place(scenario, grid, rows)
    inside = [s for s in placed if 0 <= s.start < grid.minutes]
    # Rows of other weeks are reported and then ignored by every weekly rule, as they are by coverage.
    breaks = check_week((scenario, grid, placed)) + [b for check in CHECKS for b in check((scenario, grid, inside))]
    minutes, status = assign_queues(scenario, grid, staffing, inside)
    coverage = _coverage_frame(scenario, grid, staffing, minutes)
    return Evaluation(scenario, grid, staffing, inside, breaks, coverage,
                      _markets_frame(scenario, grid, staffing, coverage), _agents_frame(scenario, grid, inside),
                      assignment_status=status)


def _coverage_frame(scenario, grid, staffing, minutes) -> pd.DataFrame:
    I = grid.interval_minutes
    frames = []
    for q, load in staffing.loads.items():
        scheduled = np.zeros(grid.size)
        for (_, i, qq), w in minutes.items():
            if qq == q:
                scheduled[i] += w / I
        base = staffing.frame[staffing.frame["queue"] == q]
        required = base["required"].to_numpy()
        served = np.minimum(scheduled, required)
        kpi = achieved(load, I * 60.0, scheduled)
        frames.append(pd.DataFrame({
            "queue": q, "interval": np.arange(grid.size), "interval_start": base["interval_start"].to_numpy(),
            "questions": load.questions, "arrivals": load.arrivals, "required": required,
            "scheduled": np.round(scheduled, 4), "gap": np.round(scheduled - required, 4),
            "shortfall_hours": np.round((required - served) * I / 60, 4),
        }).join(kpi))
    return pd.concat(frames, ignore_index=True)


def _markets_frame(scenario, grid, staffing, coverage) -> pd.DataFrame:
    kpi_cols = ["required", "scheduled", "gap", "asa_seconds", "service_level", "complex_service_level",
                "abandon_rate", "occupancy", "targets_met"]
    merged = staffing.markets.merge(coverage[["queue", "interval"] + kpi_cols], on=["queue", "interval"], how="left")
    tz = {m: scenario.markets[m].timezone for m in scenario.markets}
    merged["local_start"] = [to_local(t, tz[m]).replace(tzinfo=None) for t, m in zip(merged["interval_start"], merged["market"])]
    merged["timezone"] = merged["market"].map(tz)
    return merged


def _agents_frame(scenario, grid, shifts) -> pd.DataFrame:
    per = _by_agent(shifts)
    pay = {s: PayClock(site, grid, scenario.policy.rules) for s, site in scenario.sites.items()}
    rows = []
    for agent_id, agent in scenario.agents.items():
        ss = per.get(agent_id, [])
        clock = pay[agent.site]
        night = sum(clock.night_minutes(a, b) for s in ss for a, b in s.worked_spans())
        paid = sum(s.paid_minutes for s in ss) / 60
        rows.append({
            "agent_id": agent_id, "name": agent.name, "site": agent.site, "languages": ",".join(agent.languages),
            "days": len({s.row.date for s in ss}), "paid_hours": round(paid, 2),
            "night_hours": round(night / 60, 2),
            "nights": sum(1 for s in ss if any(clock.night_minutes(a, b) for a, b in s.worked_spans())),
            "weekend_shifts": sum(1 for s in ss if s.row.date.weekday() >= 5),
            "cost": round(sum(s.cost for s in ss), 2),
            "min_hours": round(contract_min_minutes(scenario, grid, agent) / 60, 2), "max_hours": agent.max_hours,
            "max_days": agent.max_days,
        })
    return pd.DataFrame(rows)
