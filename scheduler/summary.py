"""What the terminal shows after each command: short tables a planner reads at a glance."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date

import numpy as np

from scheduler.calendar import planning_grid
from scheduler.drivers import questions_on_grid
from scheduler.domain import Scenario
from scheduler.io.workbook import RunInfo
from scheduler.shifts import all_options, require_possible
from scheduler.staffing import Staffing, compute_staffing
from scheduler.textable import table
from scheduler.validate import Evaluation


def check_report(sc: Scenario, week: date | None = None) -> str:
    grid = planning_grid(sc, week)
    require_possible(sc, grid, all_options(sc, grid))
    per_market, outside, notes = questions_on_grid(sc, grid)
    out = [f"scenario {sc.name}: {len(sc.sites)} sites, {len(sc.agents)} agents, {len(sc.markets)} markets, "
           f"{len(sc.queues)} queues, {len(sc.templates)} shift templates, {len(sc.leave)} leave rows "
           f"(inputs {sc.fingerprint})",
           f"planning grid: {grid.label} from {grid.first_day} 00:00 {grid.timezone}, "
           f"{grid.size} intervals of {grid.interval_minutes} min"]
    rows = []
    for q in sc.queues:
        for m in q.markets:
            mk = sc.markets[m]
            rows.append([q.queue, m, mk.timezone, mk.aht_seconds, mk.bot_deflection, mk.concurrency,
                         mk.patience_seconds if mk.patience_seconds else "-",
                         int(np.count_nonzero(per_market[m])) * grid.interval_minutes / 60,
                         round(float(per_market[m].sum()), 1) + 0.0])
    out += ["", table(["queue", "market", "timezone", "aht_s", "bot", "conc", "patience_s", "hours_with_demand",
                       "questions"], rows, "Markets by queue")]
    langs = sorted({l for a in sc.agents.values() for l in a.languages} | {q.language for q in sc.queues})
    rows = []
    for site in sc.sites:
        agents = [a for a in sc.agents.values() if a.site == site]
        rows.append([site, len(agents), sum(1 for a in agents if len(a.languages) > 1)] +
                    [sum(1 for a in agents if l in a.languages) for l in langs])
    out += ["", table(["site", "agents", "multilingual"] + langs, rows, "Agents per site and language")]
    st = compute_staffing(sc, grid)
    rows, warnings = [], []
    I = grid.interval_minutes / 60
    for q in sc.queues:
        need = float(st.required(q.queue).sum() * I)
        speakers = [a for a in sc.agents.values() if q.language in a.languages]
        only = sum(a.max_hours for a in speakers if len(a.languages) == 1)
        shared = sum(a.max_hours for a in speakers if len(a.languages) > 1)
        rows.append([q.queue, round(need, 1), len(speakers), round(only, 1), round(shared, 1),
                     round(float(st.required(q.queue).max()), 2)])
        if need > only + shared:
            warnings.append(f"warning: {q.queue} needs about {need:,.0f} agent-hours but its speakers can work at most "
                            f"{only + shared:,.0f}: expect a shortfall")
        elif need > 0.85 * (only + shared):
            warnings.append(f"warning: {q.queue} is tight: about {need:,.0f} agent-hours needed of at most "
                            f"{only + shared:,.0f} its speakers can work")
    out += ["", table(["queue", "required_agent_hours", "speakers", "max_hours_single", "max_hours_multilingual",
                       "peak_agents"], rows, "Rough headcount against demand")]
    warnings += [f"note: {n}" for n in notes]
    lost = {m: v for m, v in outside.items() if v > 0}
    if lost:
        warnings += [f"note: {v:,.1f} questions of market {m} fall outside the planned week" for m, v in lost.items()]
    return "\n".join(out + ([""] + warnings if warnings else []))


def staffing_report(sc: Scenario, st: Staffing) -> str:
    I = st.grid.interval_minutes / 60
    rows = []
    for q, g in st.frame.groupby("queue", sort=False):
        peak = g.loc[g["required"].idxmax()]
        rows.append([q, ",".join(st.loads[q].queue.markets), round(float(g["questions"].sum()), 1),
                     round(float(g["arrivals"].sum()), 1), round(float(peak["required"]), 2),
                     peak["interval_start"].tz_convert(st.grid.timezone).strftime("%a %H:%M"),
                     round(float(g["required"].sum() * I), 1)])
    out = table(["queue", "markets", "questions", "arrivals", "peak_required", "peak_at", "agent_hours"], rows,
                f"Staffing {st.grid.label} ({st.grid.timezone})")
    drivers = drivers_report(sc, st)
    return out + ("\n\n" + drivers if drivers else "")


def drivers_report(sc: Scenario, st: Staffing) -> str:
    """The week's streams and events, each with the questions and agent-hours it adds (empty without any)."""
    from scheduler.staffing import driver_effects

    if not sc.streams and not sc.events:
        return ""
    effects = driver_effects(sc, st.grid, st)
    lines = []
    if len(effects):
        rows = [[r.kind, r.market, r.when + (f" ({r.name})" if r.name else ""), f"x{r.factor:g}", r.questions_added,
                 r.agent_hours_added] for r in effects.itertuples(index=False)]
        lines.append(table(["driver", "market", "when (market-local)", "factor", "questions_added",
                            "agent_hours_added"], rows,
                           f"Streams and events {st.grid.label} (each against the same week without it)"))
    lines += [f"note: {n}" for n in st.notes]
    return "\n".join(lines)


def plan_report(ev: Evaluation, info: RunInfo) -> str:
    sc = ev.scenario
    by_site = ev.cost_by_site()
    site_rows = []
    for site in sc.sites:
        a = ev.agents[ev.agents["site"] == site]
        site_rows.append([site, int((a["days"] > 0).sum()), int(len(a)), round(float(a["paid_hours"].sum()), 1),
                          by_site[site]])
    site_rows.append(["total", int((ev.agents["days"] > 0).sum()), len(ev.agents),
                      round(float(ev.agents["paid_hours"].sum()), 1), ev.cost])
    out = [table(["site", "agents_used", "agents", "paid_hours", "cost"], site_rows, f"Rota {ev.grid.label}")]
    out += ["", _queue_table(ev, info)]
    drivers = drivers_report(sc, ev.staffing)
    if drivers:
        out += ["", drivers]
    fair = people_report(ev)
    extra = {k: v for k, v, _ in info.extra_items}
    if "wages_without_fairness" in extra:
        base = extra["wages_without_fairness"]
        fair += (f"\nfairness and soft requests cost {ev.cost - base:+,.2f} in wages ({(ev.cost - base) / base:+.2%}): "
                 f"wages {ev.cost:,.2f} against {base:,.2f}, total {ev.total:,.2f} against "
                 f"{extra['total_without_fairness']:,.2f} for a plan of the same limit without them")
    if fair:
        out += ["", fair.strip()]
    line = f"total {ev.total:,.2f} = wages {ev.cost:,.2f} + shortfall {ev.shortfall_hours:,.1f} h x " \
           f"{sc.policy.costs.shortfall_per_agent_hour:g}"
    if info.command in ("plan", "replan"):
        bound = "no lower bound (not even the cheapest-wage relaxation was solved within the limit)" if math.isnan(info.bound) else \
            f"lower bound {info.bound:,.2f} ({info.bound_from}), gap {info.gap:.2%}" if info.bound_from else \
            f"lower bound {info.bound:,.2f}, gap {info.gap:.2%}"
        if info.lp_bound is not None and not math.isnan(info.lp_bound) and info.lp_bound < info.bound - 0.005:
            bound += f" (LP relaxation {info.lp_bound:,.2f})"
        line += f"\nsolver {info.status}{' (interrupted)' if info.interrupted else ''}: objective {info.objective:,.2f}, " \
                f"{bound}, {info.seconds:.1f} s"
    out += ["", line]
    if ev.breaks:
        out += ["", f"{len(ev.breaks)} rule breaks (see the Breaks sheet)"]
    return "\n".join(out)


def people_report(ev: Evaluation) -> str:
    """Fairness per group (nights and weekend shifts, fewest to most, over the weeks known) and requests."""
    if ev.people is None or (ev.people.groups.empty and not ev.scenario.requests):
        return ""
    g = ev.people.groups

    def span(lo, hi, row):
        return "-" if row[lo] != row[lo] or row[lo] is None else f"{int(row[lo])}-{int(row[hi])}"
    rows = [[r["fairness_group"], int(r["agents"]), span("nights_fewest", "nights_most", r),
             span("weekend_fewest", "weekend_most", r)] for _, r in g.iterrows()]
    f = ev.scenario.policy.fairness
    out = [table(["fairness_group", "agents", "nights", "weekend_shifts"], rows,
                 f"Fairness (fewest-most per group; {f.nights_weight:g} per night and {f.weekends_weight:g} per "
                 f"weekend shift of spread: {ev.people.fairness_cost:,.2f} in the objective)")] if rows else []
    if ev.scenario.requests:
        a = ev.people.agents
        out.append(f"requests: {int(a['requests_granted'].sum())} granted, {int(a['requests_refused'].sum())} refused; "
                   f"soft requests {ev.people.requests_cost:+,.2f} in the objective")
    return "\n".join(out)


def replan_report(r, info: RunInfo) -> str:
    """The re-planned week, then what changed against the published one and what the changes bought."""
    ev, before = r.plan.evaluation, r.before
    kinds = Counter(c["change"] for c in r.changes)
    whys = Counter(c["why"] for c in r.changes)
    rows = [["wages", before.cost, ev.cost], ["shortfall_h", round(before.shortfall_hours, 1), round(ev.shortfall_hours, 1)],
            ["total", round(before.total, 2), round(ev.total, 2)]]
    out = [plan_report(ev, info), "",
           table(["", "published_as_now_worked", "replanned"], rows,
                 f"Re-plan from {r.since_text}: {r.frozen} shifts kept as published")]
    if r.changes:
        out += ["", f"{len(r.changes)} changes to {r.agents_changed} agents' weeks "
                    f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}; why: "
                    f"{', '.join(f'{n} {k}' for k, n in sorted(whys.items()))}), "
                    f"{ev.changes_cost:,.2f} at change_cost {ev.scenario.policy.costs.change_cost:g} (see the Changes sheet)"]
    else:
        out += ["", "no shift changed"]
    return "\n".join(out)


def _queue_table(ev: Evaluation, info: RunInfo | None = None) -> str:
    short, met, asa = ev.shortfall_by_queue(), ev.targets_met_by_queue(), ev.asa_by_queue()
    source = "formulas"
    if info is not None and info.simulated:
        # The promise is the play's: targets met and ASA as viewers got them in the simulated week.
        met = {q: v["targets_met"] for q, v in info.simulated.items()}
        asa = {q: v["asa"] for q, v in info.simulated.items()}
        source = info.simulated_by
    unstaffed = ev.unstaffed_hours_by_queue()
    rows = []
    for q, g in ev.coverage.groupby("queue", sort=False):
        worst = g.loc[g["gap"].idxmin()]
        rows.append([q, round(float(g["required"].sum() * ev.grid.interval_minutes / 60), 1),
                     round(float(g["scheduled"].sum() * ev.grid.interval_minutes / 60), 1),
                     round(short[q], 1), f"{met[q]:.0%}", round(asa[q], 1), round(unstaffed[q], 1),
                     (worst["interval_start"].tz_convert(ev.grid.timezone).strftime("%a %H:%M") if worst["gap"] < 0 else "-")])
    return table(["queue", "required_h", "scheduled_h", "shortfall_h", "targets_met", "asa_s", "unstaffed_h",
                  "worst_gap_at"], rows,
                 "Coverage by queue (agent-hours; targets met: share of hours with questions; "
                 f"ASA over staffed hours; both from the {source}; unstaffed: hours with questions and nobody on)")


def evaluate_report(ev: Evaluation) -> str:
    out = [plan_report(ev, RunInfo(command="evaluate"))]
    if ev.breaks:
        counts = defaultdict(int)
        for b in ev.breaks:
            counts[b.rule] += 1
        out += ["", table(["rule", "agent_id", "roster_row", "detail"],
                          [[b.rule, b.agent_id, b.roster_row if b.roster_row is not None else "-", b.detail]
                           for b in ev.breaks], f"Rule breaks ({len(ev.breaks)})")]
    else:
        out += ["", "no rule breaks"]
    return "\n".join(out)


def forecast_report(fc, sc: Scenario) -> str:
    """The forecast's accuracy per market on the held-out week, and what the history says beside markets.csv."""
    lines = [table(["market", "weeks", "wape", "wape_naive", "beats_naive", "trend_per_week"],
                   [[a.market, a.weeks_used, f"{a.wape:.1%}", f"{a.wape_naive:.1%}", "yes" if a.beats_naive else "NO",
                     f"{a.trend_per_week:+.1%}"] for a in fc.accuracy],
                   "Accuracy on the last week held out (weighted absolute percentage error)")]
    lines += [f"{a.market}: the forecast does not beat seasonal-naive on the held-out week"
              for a in fc.accuracy if not a.beats_naive]
    lines.append("")
    lines.append(table(["market", "questions", "aht_s", "(markets.csv)", "bot", "(markets.csv)", "complex",
                        "(markets.csv)", "patience_s", "(markets.csv)"],
                       [[x.market, x.questions, round(x.aht_seconds, 1), sc.markets[x.market].aht_seconds,
                         f"{x.bot_deflection:.0%}", f"{sc.markets[x.market].bot_deflection:.0%}",
                         f"{x.complex_share:.0%}", f"{sc.markets[x.market].complex_share:.0%}",
                         round(x.patience_seconds, 0) if x.patience_seconds == x.patience_seconds else "-",
                         sc.markets[x.market].patience_seconds or "-"] for x in fc.facts],
                       "What the history says, beside markets.csv"))
    return "\n".join(lines)


def simulation_report(sim, label: str) -> str:
    """Predicted against simulated per queue, why a queue differs, and how many intervals disagree."""
    rep, w = sim.report, sim.report.weekly
    lines = [table(["queue", "pred_asa_s", "sim_asa_s", "±", "pred_sl", "sim_sl", "±", "within_10%"],
                   [[r.queue, round(r.predicted_asa, 1), round(r.simulated_asa, 1), round(r.asa_ci, 1),
                     f"{r.predicted_sl:.1%}", f"{r.simulated_sl:.1%}", f"{r.sl_ci:.1%}", "yes" if r.within_10pct else "no"]
                    for r in w.itertuples(index=False)],
                   f"Predicted against simulated, {label}, {sim.runs} runs (ASA over the hours the plan staffs)")]
    lines += [f"{r.queue}: {r.why}" for r in w.itertuples(index=False) if not r.within_10pct]
    flagged = int((rep.cells["disagrees"] != "").sum())
    lines.append(f"{flagged} of {int((rep.cells['arrivals'] > 0).sum())} queue-intervals with questions have a "
                 "prediction outside the simulated 95 % interval (column disagrees)")
    return "\n".join(lines)


def progress_printer(echo):
    """The plan's progress lines: a better plan (by 0.2 % or more), or every 5 s, with the bound and gap."""
    last = {"t": -10.0, "obj": math.inf}

    def report(seconds: float, objective: float, bound: float) -> None:
        better = objective < last["obj"] * (1 - 0.002)
        if better or seconds - last["t"] > 5:
            if math.isnan(bound):
                tail = "(bound: the LP relaxation is still solving)"
            else:
                tail = f"bound {bound:12,.2f}   gap {(objective - bound) / objective if objective else 0.0:6.2%}"
            echo(f"  {seconds:7.1f} s   cost+shortfall {objective:12,.2f}   {tail}")
            last["t"], last["obj"] = seconds, objective
    return report


def whatif_report(rows: list[dict], label: str) -> str:
    """The Variants table in short, and the answer to the question a sweep asks."""
    from scheduler.whatif import answer

    headers = ["variant", "changes", "agents", "cost", "shortfall_hours", "total", "status", "gap"]
    shown = [[f"{r[h]:.1%}" if h == "gap" and r.get(h) is not None else r.get(h) for h in headers] for r in rows]
    return "\n".join([table(headers, shown, f"What-if {label}"), *answer(rows)])
