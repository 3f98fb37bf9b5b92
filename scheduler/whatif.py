"""What-if: the baseline against changed headcount or demand, each variant planned the same way.

Changes combine: hires of a profile (`paris:fr,en:2`, optionally
`:COST:MAX_HOURS`, a count may be a range `0..6` that sweeps it), removals
of an agent or a whole site, and a factor on a market's forecast. Variants
are independent plans, so they run as Dask tasks (`scheduler.executor`);
the scenario travels with the tasks and the client alone writes the workbook.
"""

from __future__ import annotations

import math
import os
import re
import statistics
from dataclasses import dataclass, replace
from datetime import date
from typing import Callable

from scheduler.domain import Agent, Scenario, Stream
from scheduler.errors import RotaError
from scheduler.io.scenario import parse_languages


@dataclass(frozen=True)
class Hire:
    site: str
    languages: tuple[str, ...]
    count: int
    hourly_cost: float | None = None
    max_hours: float | None = None

    def describe(self) -> str:
        extra = "".join(f":{v:g}" for v in (self.hourly_cost, self.max_hours) if v is not None)
        return f"hire {self.site}:{','.join(self.languages)}:{self.count}{extra}"


@dataclass(frozen=True)
class Remove:
    agent_id: str | None = None
    site: str | None = None

    def describe(self) -> str:
        return f"remove {self.agent_id}" if self.agent_id else f"remove site:{self.site}"


@dataclass(frozen=True)
class Demand:
    market: str
    factor: float

    def describe(self) -> str:
        return f"demand {self.market}={self.factor:g}"


@dataclass(frozen=True)
class Bot:
    """The FAQ bot answers `share` of a market's questions (`*`: every market)."""

    market: str
    share: float

    def describe(self) -> str:
        return f"bot {self.market}={self.share:g}"


@dataclass(frozen=True)
class AddStream:
    stream: Stream

    def describe(self) -> str:
        return f"stream {self.stream.describe()}"


Change = Hire | Remove | Demand | Bot | AddStream


@dataclass(frozen=True)
class Sweep:
    """A hire whose count runs over a range: one variant per count."""

    hire: Hire
    counts: tuple[int, ...]


@dataclass(frozen=True)
class BotSweep:
    """The bot's share over a range (`0.30..0.50/0.05`): one variant per share."""

    market: str
    shares: tuple[float, ...]


def parse_hire(text: str) -> Hire | Sweep:
    parts = text.split(":")
    if len(parts) not in (3, 4, 5) or not parts[0]:
        raise RotaError(f"--hire {text!r}: expected SITE:LANGS:N[:COST[:MAX_HOURS]], e.g. paris:fr,en:2 or shenzhen:en:0..6")
    try:
        languages = parse_languages(parts[1])
    except ValueError as e:
        raise RotaError(f"--hire {text!r}: {e}") from None
    m = re.fullmatch(r"(\d+)(?:\.\.(\d+))?", parts[2])
    if not m or (m.group(2) and int(m.group(2)) < int(m.group(1))):
        raise RotaError(f"--hire {text!r}: expected a count N or a range A..B (A <= B), got {parts[2]!r}")
    numbers = []
    for label, value in zip(("COST", "MAX_HOURS"), parts[3:]):
        try:
            number = float(value)
        except ValueError:
            raise RotaError(f"--hire {text!r}: {label} must be a number, got {value!r}") from None
        if number < 0 or (label == "MAX_HOURS" and number > 168):
            raise RotaError(f"--hire {text!r}: {label} out of range, got {value!r}")
        numbers.append(number)
    hire = Hire(parts[0], languages, int(m.group(1)), *numbers)
    if m.group(2):
        return Sweep(hire, tuple(range(int(m.group(1)), int(m.group(2)) + 1)))
    return hire


def parse_bot(text: str) -> Bot | BotSweep:
    """`MARKET=SHARE` or `MARKET=A..B/STEP` (shares 0-1; MARKET `*` for every market)."""
    m = re.fullmatch(r"([^=]+)=([0-9.]+)(?:\.\.([0-9.]+)/([0-9.]+))?", text.strip())
    usage = f"--bot {text!r}: expected MARKET=SHARE or MARKET=A..B/STEP with shares from 0 to 1, e.g. '*=0.30..0.50/0.05'"
    try:
        lo = float(m.group(2)) if m else -1
        hi, step = (float(m.group(3)), float(m.group(4))) if m and m.group(3) else (lo, 1.0)
    except ValueError:
        raise RotaError(usage) from None
    if not m or not 0 <= lo <= hi <= 1 or (m.group(3) and step < 0.001):
        raise RotaError(usage + " (a STEP of at least 0.001)")
    if not m.group(3):
        return Bot(m.group(1), lo)
    shares = tuple(dict.fromkeys(round(lo + k * step, 6) for k in range(int((hi - lo) / step + 1e-9) + 1)))
    return BotSweep(m.group(1), shares)


def parse_stream(text: str) -> AddStream:
    """`MARKET START END FACTOR`: `FR Fri 20:00 Fri 22:00 2` or `FR 2026-12-04T20:00 2026-12-04T22:00 2`."""
    from scheduler.io.drivers import _span_problem
    from scheduler.io.tables import parse_moment

    words = text.split()
    usage = f"--stream {text!r}: expected \"MARKET START END FACTOR\", e.g. \"FR Fri 20:00 Fri 22:00 2\""
    if len(words) not in (4, 6):
        raise RotaError(usage)
    half = (len(words) - 2) // 2
    try:
        start, end = parse_moment(" ".join(words[1:1 + half])), parse_moment(" ".join(words[1 + half:-1]))
        factor = float(words[-1])
    except ValueError as e:
        raise RotaError(f"{usage} ({e})") from None
    bad = _span_problem(start, end) or ("FACTOR must be 0 or more" if factor < 0 else None)
    if bad:
        raise RotaError(f"--stream {text!r}: {bad}")
    return AddStream(Stream(words[0], start, end, factor, row=0, file="--stream"))


def parse_remove(text: str) -> Remove:
    if text.startswith("site:"):
        return Remove(site=text[5:])
    return Remove(agent_id=text)


def parse_demand(text: str) -> Demand:
    m = re.fullmatch(r"([^=]+)=([0-9.]+)", text)
    if not m:
        raise RotaError(f"--demand {text!r}: expected MARKET=FACTOR, e.g. FR=1.2")
    try:
        factor = float(m.group(2))
    except ValueError:
        raise RotaError(f"--demand {text!r}: FACTOR must be a number") from None
    return Demand(m.group(1), factor)


def apply(scenario: Scenario, changes: list[Change]) -> Scenario:
    """A copy of the scenario with the changes made; an impossible change is an error naming it."""
    agents = dict(scenario.agents)
    forecast = list(scenario.forecast)
    markets, streams = dict(scenario.markets), list(scenario.streams)
    hired = 0
    for c in changes:
        if isinstance(c, Hire):
            if c.site not in scenario.sites:
                raise RotaError(f"{c.describe()}: unknown site; expected one of {', '.join(scenario.sites)}")
            peers = [a for a in scenario.agents.values() if a.site == c.site]
            if not peers:
                raise RotaError(f"{c.describe()}: site {c.site} has no agents to take a contract from")
            cost = c.hourly_cost if c.hourly_cost is not None else statistics.median(a.hourly_cost for a in peers)
            max_hours = c.max_hours if c.max_hours is not None else statistics.median(a.max_hours for a in peers)
            min_hours = min(statistics.median(a.min_hours for a in peers), max_hours)
            max_days = int(statistics.median(a.max_days for a in peers))
            for _ in range(c.count):
                hired += 1
                agent_id = f"NEW{hired:03d}"
                while agent_id in agents:
                    agent_id += "x"
                agents[agent_id] = Agent(agent_id, f"New hire {hired} ({c.site})", c.site, c.languages, cost,
                                         min_hours, max_hours, max_days)
        elif isinstance(c, Remove):
            if c.agent_id is not None:
                if c.agent_id not in agents:
                    raise RotaError(f"{c.describe()}: unknown agent")
                del agents[c.agent_id]
            else:
                if c.site not in scenario.sites:
                    raise RotaError(f"{c.describe()}: unknown site; expected one of {', '.join(scenario.sites)}")
                agents = {k: a for k, a in agents.items() if a.site != c.site}
        elif isinstance(c, Demand):
            if c.market not in scenario.markets:
                raise RotaError(f"{c.describe()}: unknown market; expected one of {', '.join(scenario.markets)}")
            forecast = [replace(r, questions=r.questions * c.factor) if r.market == c.market else r for r in forecast]
        elif isinstance(c, Bot):
            if c.market != "*" and c.market not in scenario.markets:
                raise RotaError(f"{c.describe()}: unknown market; expected * or one of {', '.join(scenario.markets)}")
            markets = {k: replace(m, bot_deflection=c.share) if c.market in ("*", k) else m for k, m in markets.items()}
        elif isinstance(c, AddStream):
            if c.stream.market not in scenario.markets:
                raise RotaError(f"{c.describe()}: unknown market; expected one of {', '.join(scenario.markets)}")
            streams.append(c.stream)
    kept = set(agents)
    leave = [lv for lv in scenario.leave if lv.agent_id in kept]
    return replace(scenario, agents=agents, forecast=forecast, leave=leave, markets=markets, streams=streams)


@dataclass(frozen=True)
class Variant:
    name: str
    changes: tuple[Change, ...]
    hires: int  # hires of the swept profile (0 outside a sweep)

    def describe(self) -> str:
        return "; ".join(c.describe() for c in self.changes) or "baseline"


def variants(changes: list[Change | Sweep]) -> list[Variant]:
    """The baseline first, then one variant per swept count (or the one changed scenario)."""
    sweeps = [c for c in changes if isinstance(c, (Sweep, BotSweep))]
    if len(sweeps) > 1:
        if all(isinstance(c, Sweep) for c in sweeps):
            raise RotaError("only one --hire may sweep a range (A..B)")
        raise RotaError("only one change may sweep a range: a --hire A..B or a --bot A..B/STEP, not both")
    fixed = tuple(c for c in changes if not isinstance(c, (Sweep, BotSweep)))
    out = [Variant("baseline", (), 0)]
    if sweeps and isinstance(sweeps[0], BotSweep):
        s = sweeps[0]
        out += [Variant(f"bot {share:g}", fixed + (Bot(s.market, share),), 0) for share in s.shares]
    elif sweeps:
        s = sweeps[0]
        # With nothing else changed, "0 hires" is the baseline itself: plan it once.
        out += [Variant(f"hire {n}", fixed + ((replace(s.hire, count=n),) if n else ()), n)
                for n in s.counts if n or fixed]
    elif fixed:
        out.append(Variant("changed", fixed, sum(c.count for c in fixed if isinstance(c, Hire))))
    return out


def plan_variant(scenario: Scenario, variant: Variant, week: date | None, time_limit: float | None,
                 workers: int | None, seed: int | None, runs: int | None = None, baseline: dict | None = None) -> dict:
    """One row of the Variants sheet (runs in a worker process). A variant's search starts from the
    baseline's rota (`baseline`, its row), so what differs between the two is what the changes ask for; the
    baseline's row carries its rota for that (`START`, taken out before the row is shown)."""
    from scheduler.io.roster import fixed_shifts
    from scheduler.plan import make_plan

    start = baseline.get(START) if baseline else None
    try:
        sc = apply(scenario, list(variant.changes))
        p = make_plan(sc, week, time_limit=time_limit, workers=workers, seed=seed, start=start)
    except RotaError as e:
        return failed_row(variant, str(e))
    ev = p.evaluation
    row = {"variant": variant.name, "changes": variant.describe(), "agents": len(sc.agents), "cost": ev.cost,
           "shortfall_hours": round(ev.shortfall_hours, 2), "total": round(ev.total, 2),
           "required_hours": round(float(p.staffing.frame["required"].sum()) * p.grid.interval_minutes / 60, 1)}
    row.update({f"cost_{s}": v for s, v in ev.cost_by_site().items()})
    short, met, asa = ev.shortfall_by_queue(), ev.targets_met_by_queue(), ev.asa_by_queue()
    play = sc.policy.simulation.runs if runs is None else runs
    if play:
        # Each variant played where it was planned (its runs one after another, in this worker): the
        # targets met and ASA a sweep compares are what viewers would get.
        from scheduler.simulate import compare, run_serial

        shifts = [s for s in ev.shifts if 0 <= s.start < p.grid.minutes]
        first = seed if seed is not None else sc.policy.solver.seed
        week_played = compare(ev, run_serial(sc, p.grid, p.staffing, shifts, play, first)).weekly.set_index("queue")
        met = week_played["simulated_targets_met"].to_dict()
        asa = week_played["simulated_asa"].to_dict()
        row["targets_from"] = f"simulation, {play} runs"
    else:
        row["targets_from"] = "formulas"
    for q in ev.staffing.loads:
        row[f"shortfall_hours_{q}"] = round(short[q], 2)
        row[f"targets_met_{q}"] = round(met[q], 4)
        row[f"asa_{q}"] = None if math.isnan(asa[q]) else round(asa[q], 1)
    status = p.result.status + (" (time-capped: a rerun may differ)" if p.result.capped else "")
    row.update({"status": status, "gap": round(p.result.gap, 4) if p.result.gap == p.result.gap else None, "hires": variant.hires})
    if not variant.changes:
        row[START] = fixed_shifts(sc, [s.row for s in ev.shifts], "baseline")
    return row


START = "_start"  # the baseline row's rota, for the variants' searches to start from


def run_variants(scenario: Scenario, vs: list[Variant], week: date | None, time_limit: float | None,
                 workers: int | None, seed: int | None, processes: int | None = None,
                 done: Callable[[dict, int, int], None] | None = None, scheduler: str | None = None,
                 echo: Callable[[str], None] | None = None, runs: int | None = None) -> tuple[list[dict], bool]:
    """Plan every variant on Dask (a local cluster, or `scheduler`); rows in variant order and whether all finished.

    The scenario is sent to the cluster once and each variant's changes are
    applied on the worker. A variant that fails is reported in its row;
    Ctrl-C cancels what has not finished and keeps what has.
    """
    from scheduler.executor import run_all

    if scheduler is None:
        processes = local_processes(scenario, workers, processes)

    def row_done(k, row, error, finished, total):
        if done:
            done(row if error is None else failed_row(vs[k], error), finished, total)

    outcome = run_all(plan_variant, [(v, week, time_limit, workers, seed, runs) for v in vs], scheduler=scheduler,
                      processes=processes, shared=(scenario,), done=row_done, echo=echo,
                      chained=not vs[0].changes)
    rows = {k: {c: v for c, v in r.items() if c != START} for k, r in outcome.results.items()}
    rows.update({k: failed_row(vs[k], e) for k, e in outcome.errors.items()})
    return [rows[k] for k in sorted(rows)], outcome.complete


def local_processes(scenario: Scenario, workers: int | None, processes: int | None) -> int:
    """Variants planned at once on this machine: as asked, else cores / solver threads.

    Each variant's solver runs `workers` threads; more variants at once than
    cores allow would only slow each down, and a plan whose work budget the
    time limit (doubled) cuts short is no longer reproducible.
    """
    threads = workers or scenario.policy.solver.workers
    return processes or max(1, (os.cpu_count() or 1) // max(threads, 1))


def failed_row(variant: Variant, why: str) -> dict:
    return {"variant": variant.name, "changes": variant.describe(), "status": f"failed: {why}"}


def answer(rows: list[dict]) -> list[str]:
    """What a sweep asks: the fewest hires that meet the requirement, and the cheapest variant."""
    ok = [r for r in rows if "total" in r]
    lines = []
    # The baseline is the sweep's "0 hires" only when nothing else changed (then no "hire 0" variant exists).
    zero_planned = any(r["variant"] == "hire 0" for r in ok)
    swept = [r for r in ok if r["variant"].startswith("hire ") or (r["variant"] == "baseline" and not zero_planned
                                                                     and any(x["variant"].startswith("hire ") for x in ok))]
    if swept:
        meeting = [r for r in swept if r["shortfall_hours"] <= 0.01]
        if meeting:
            best = min(meeting, key=lambda r: r["hires"])
            lines.append(f"fewest hires that cover the requirement in every interval: {best['hires']} "
                         f"(cost {best['cost']:,.2f})")
        else:
            top = max(swept, key=lambda r: r["hires"])
            lines.append(f"no variant in the range covers the requirement: with {top['hires']} hires "
                         f"{top['shortfall_hours']:,.1f} agent-hours are still short")
    bots = [r for r in ok if r["variant"].startswith("bot ")]
    if len(bots) > 1 and all("required_hours" in r for r in bots):
        lines.append("agent-hours the requirement needs, by the bot's share: "
                     + "; ".join(f"{float(r['variant'][4:]):.0%}: {r['required_hours']:,.1f}" for r in bots))
        first, last = bots[0], bots[-1]
        points = (float(last["variant"][4:]) - float(first["variant"][4:])) * 100
        if points > 0:
            saved = (first["required_hours"] - last["required_hours"]) / points
            lines.append(f"each point of bot share saves about {saved:,.1f} agent-hours a week "
                         f"(about {saved / 40:,.2f} 40-hour agents)")
    if ok:
        cheapest = min(ok, key=lambda r: r["total"])
        lines.append(f"cheapest variant by total: {cheapest['variant']} ({cheapest['changes']}), total "
                     f"{cheapest['total']:,.2f} = cost {cheapest['cost']:,.2f} + shortfall {cheapest['shortfall_hours']:,.1f} h")
    return lines


def check_streams_in_week(scenario: Scenario, changes: list, grid) -> None:
    """A --stream that touches no minute of the planned week is refused: planned, it would be the baseline."""
    from scheduler.drivers import grid_layout

    for c in changes:
        if isinstance(c, AddStream) and c.stream.market in scenario.markets and not grid_layout(
                scenario, grid, c.stream.market, [c.stream], []).touched:
            raise RotaError(f"--stream {c.stream.describe()}: outside the planned week {grid.label}")


def run_whatif(scenario: Scenario, changes: list[Change | Sweep], week: date | None = None, *,
               time_limit: float | None = None, workers: int | None = None, seed: int | None = None,
               processes: int | None = None, scheduler: str | None = None,
               done: Callable[[dict, int, int], None] | None = None, runs: int | None = None
               ) -> tuple[list[dict], bool]:
    """The baseline and each variant the `changes` make (`Hire`, `Remove`, `Demand`, or a `Sweep` of hires),
    planned with the same settings: one row per variant, as in the Variants sheet, and whether all finished.
    `runs`: each variant's play (default policy.toml [simulation] runs); 0 for the formulas' figures alone.
    An impossible change (removing an unknown agent) fails here, before any planning."""
    from scheduler.calendar import planning_grid

    vs = variants(changes)
    for v in vs:
        apply(scenario, list(v.changes))
    check_streams_in_week(scenario, changes, planning_grid(scenario, week))
    return run_variants(scenario, vs, week, time_limit, workers, seed, processes, done, scheduler=scheduler, runs=runs)
