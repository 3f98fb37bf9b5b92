"""Loading and validating a scenario folder.

Each table is `NAME.csv` or sheet NAME of `scenario.xlsx`. Every cell is read
as text and parsed here, so a problem can always name file, row and column;
problems are collected across all files and raised together as one
`InputError`. Unknown columns are kept out of the way (ignored).
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytz

from scheduler.domain import (
    Agent, clock_text, CostSettings, FairnessSettings, ForecastRow, Leave, Market, PlanSettings, Policy, Request,
    RequestSettings, RuleSettings, SimulationSettings, Scenario, ShiftTemplate, Site, SolverSettings, Targets, TARGET_FIELDS,
)
from scheduler.errors import Problems, RotaError
from scheduler.io.drivers import read_events, read_streams
from scheduler.io.tables import (Column, REQUIRED_TABLES, TABLES, Table, WORKBOOK, WEEKDAY_TIME, number_expectation, unique_rows, parse_clock, parse_code, parse_language, parse_languages, parse_moment, parse_number, parse_starts, parse_table, parse_text, parse_timezone, parse_weekday, parse_weekdays, read_table)


# --------------------------------------------------------------------------- policy

def load_policy(folder: Path, problems: Problems) -> Policy:
    path = folder / "policy.toml"
    if not path.exists():
        return Policy()
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        problems.add("policy.toml", None, None, None, f"not valid TOML ({e})")
        return Policy()

    sections = {"plan": PlanSettings, "targets": Targets, "rules": RuleSettings,
                "costs": CostSettings, "solver": SolverSettings, "fairness": FairnessSettings,
                "requests": RequestSettings, "simulation": SimulationSettings}
    built = {}
    for section, cls in sections.items():
        given = data.get(section, {})
        if not isinstance(given, dict):
            problems.add("policy.toml", None, f"[{section}]", str(given), "expected a table of settings")
            given = {}
        known = {f.name: f for f in fields(cls)}
        values = {}
        for key, value in given.items():
            if key not in known:
                problems.add("policy.toml", None, f"[{section}] {key}", None,
                             f"unknown setting; expected one of {', '.join(sorted(known))}")
                continue
            try:
                values[key] = _parser(known[key])(value)
            except ValueError as e:
                problems.add("policy.toml", None, f"[{section}] {key}", str(value), str(e))
        built[section] = cls(**values)
    for section in data:
        if section not in sections:
            problems.add("policy.toml", None, f"[{section}]", None,
                         f"unknown section; expected {', '.join('[' + s + ']' for s in sections)}")
    return Policy(**built)


def _parser(f) -> Callable[[Any], Any]:
    """How a policy.toml setting is read, from its field (`scheduler.domain.setting`)."""
    meta = f.metadata
    kinds = {"timezone": lambda v: parse_timezone(str(v)), "clock": lambda v: parse_clock(str(v)),
             "weekday": lambda v: parse_weekday(str(v))}
    if meta.get("kind"):
        return kinds[meta["kind"]]
    if meta.get("choices"):
        return _choice(*meta["choices"])
    return _toml_number(meta.get("lo"), meta.get("hi"), integer=str(f.type).startswith("int"))


def _toml_number(lo=None, hi=None, integer=False):
    parse = parse_number(lo, hi, integer)

    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(number_expectation(lo, hi, integer))
        return parse(str(value))
    return check


def _choice(*options):
    def check(value):
        if value in options and not isinstance(value, bool):
            return options[options.index(value)]  # as declared: 60.0 is read as the whole 60
        raise ValueError("expected one of " + ", ".join(map(str, options)))
    return check


# --------------------------------------------------------------------------- scenario

def load_scenario(path: str | Path) -> Scenario:
    folder = Path(path)
    if not folder.is_dir():
        raise RotaError(f"{folder}: no such scenario folder (expected a folder with sites.csv, agents.csv, "
                        "markets.csv, shifts.csv and forecast.csv, or a scenario.xlsx)")
    problems = Problems()
    policy = load_policy(folder, problems)
    tables = {name: read_table(folder, name, problems) for name in TABLES}
    for name in REQUIRED_TABLES:
        if tables[name] is None and not any(p.file.startswith(name) for p in problems.items):
            problems.add(f"{name}.csv", None, None, None,
                         f"missing: expected {name}.csv or a sheet '{name}' in {WORKBOOK}")

    sites = _load_sites(tables["sites"], problems)
    markets = _load_markets(tables["markets"], policy, problems)
    # References are checked against every key a table declares, valid row or not,
    # so one bad site row is one problem, not one more per agent of that site.
    declared = {name: _declared(tables[name], key) for name, key in
                (("sites", "site"), ("agents", "agent_id"), ("markets", "market"))}
    templates = _load_templates(tables["shifts"], sites, declared["sites"], problems)
    agents = _load_agents(tables["agents"], sites, declared["sites"], templates, problems)
    leave = _load_leave(tables["leave"], declared["agents"], problems)
    requests = _load_requests(tables["requests"], declared["agents"], policy, problems)
    forecast, row_minutes = _load_forecast(tables["forecast"], markets, declared["markets"], policy, problems)
    streams = read_streams(tables["streams"], declared["markets"], problems)
    events = read_events(tables["events"], declared["markets"], problems)

    if markets and agents:
        spoken = {lang for a in agents.values() for lang in a.languages}
        for m in markets.values():
            if m.language not in spoken:
                problems.warn(tables["markets"].file, None, "language", m.language,
                              f"no agent speaks the language of market {m.market}; the plan will show its whole demand as shortfall")
    problems.raise_if_any()
    return Scenario(
        name=folder.resolve().name, path=folder, policy=policy, sites=sites, agents=agents,
        markets=markets, templates=templates, leave=leave, forecast=forecast,
        forecast_minutes=row_minutes, fingerprint=fingerprint(folder), warnings=problems.warnings,
        streams=streams, events=events, requests=requests,
    )


def _declared(table: Table | None, key: str) -> set[str]:
    return {cells.get(key, "") for _, cells in table.rows} if table else set()


def fingerprint(folder: Path) -> str:
    """A short hash of every input file, so a plan can be traced to its inputs."""
    h = hashlib.sha256()
    for name in ["policy.toml", WORKBOOK] + [f"{t}.csv" for t in TABLES]:
        p = folder / name
        if p.exists():
            h.update(name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def _load_sites(table, problems) -> dict[str, Site]:
    if table is None:
        return {}
    rows = parse_table(table, [
        Column("site", parse_code), Column("timezone", parse_timezone),
        Column("night_premium", parse_number(0, 5), 0.0), Column("weekend_premium", parse_number(0, 5), 0.0),
    ], problems)
    return {v["site"]: Site(**v) for _, v in unique_rows(table, rows, "site", problems)}


def _load_markets(table, policy: Policy, problems) -> dict[str, Market]:
    if table is None:
        return {}
    overrides = {
        "first_response_seconds": parse_number(0.001), "service_level": parse_number(0, 1),
        "answer_within_seconds": parse_number(0), "complex_answer_within_seconds": parse_number(0),
        "max_abandon_rate": parse_number(0, 1), "max_occupancy": parse_number(0.01, 1),
        "shrinkage": parse_number(0, 0.95), "min_resolution_rate": parse_number(0, 1),
    }
    assert set(overrides) == set(TARGET_FIELDS)
    cols = [
        Column("market", parse_code), Column("timezone", parse_timezone), Column("language", parse_language),
        Column("aht_seconds", parse_number(1, 86400)), Column("bot_deflection", parse_number(0, 1), 0.0),
        Column("complex_share", parse_number(0, 1), 0.0), Column("aht_complex_seconds", parse_number(1, 86400), None),
        Column("concurrency", parse_number(1, 20, integer=True), 1),
        Column("patience_seconds", parse_number(0.001, 86400), None),
    ] + [Column(k, p, None) for k, p in overrides.items()]
    markets = {}
    for _, v in unique_rows(table, parse_table(table, cols, problems), "market", problems):
        given = {k: v.pop(k) for k in overrides if v[k] is not None}
        for k in overrides:
            v.pop(k, None)
        markets[v["market"]] = Market(**v, targets=replace(policy.targets, **given))
    return markets


def _load_templates(table, sites, declared_sites, problems) -> list[ShiftTemplate]:
    if table is None:
        return []
    cols = [
        Column("shift", parse_code), Column("site", parse_code), Column("start", parse_starts),
        Column("hours", parse_number(0.25, 24)), Column("break_minutes", parse_number(0, 240, integer=True), 0),
        Column("days", parse_weekdays, frozenset(range(7))),
    ]
    out, seen = [], {}
    for row, v in parse_table(table, cols, problems):
        minutes = round(v["hours"] * 60)
        ok = True
        if v["site"] != "*" and declared_sites and v["site"] not in declared_sites:
            problems.add(table.file, row, "site", v["site"], f"unknown site; expected * or one of {', '.join(sorted(declared_sites))}")
            ok = False
        if v["break_minutes"] and minutes < 120 + v["break_minutes"]:
            problems.add(table.file, row, "break_minutes", v["break_minutes"],
                         f"a break cannot fall in the first or last hour of this {v['hours']:g}-hour shift; "
                         "expected a shift of at least 2 hours plus the break, or break_minutes 0")
            ok = False
        key = (v["shift"], v["site"])
        if key in seen:
            problems.add(table.file, row, "shift", v["shift"], f"duplicate template for site {v['site']}; already on row {seen[key]}")
            ok = False
        seen[key] = row
        if ok:
            out.append(ShiftTemplate(v["shift"], v["site"], v["start"], minutes, v["break_minutes"], v["days"], row))
    return out


def _load_agents(table, sites, declared_sites, templates, problems) -> dict[str, Agent]:
    if table is None:
        return {}
    cols = [
        Column("agent_id", parse_code), Column("name", parse_text, ""), Column("site", parse_code),
        Column("languages", parse_languages), Column("hourly_cost", parse_number(0, 100000)),
        Column("min_hours", parse_number(0, 168), 0.0), Column("max_hours", parse_number(0, 168)),
        Column("max_days", parse_number(0, 7, integer=True), 5),
        Column("earliest_start", parse_clock, None), Column("latest_end", lambda t: parse_clock(t, allow_24=True), None),
        Column("fairness_group", parse_text, ""),
    ]
    agents = {}
    for row, v in unique_rows(table, parse_table(table, cols, problems), "agent_id", problems):
        ok = True
        if declared_sites and v["site"] not in declared_sites:
            problems.add(table.file, row, "site", v["site"], f"unknown site; expected one of {', '.join(sorted(declared_sites))}")
            ok = False
        elif v["site"] not in sites:
            ok = False  # the site's own row is wrong and reported
        elif templates and not any(t.applies_to(v["site"]) for t in templates):
            problems.add(table.file, row, "site", v["site"], "no shift template in shifts.csv for this site")
            ok = False
        if v["min_hours"] > v["max_hours"]:
            problems.add(table.file, row, "min_hours", v["min_hours"], f"expected at most max_hours ({v['max_hours']:g})")
            ok = False
        if v["earliest_start"] is not None and v["latest_end"] is not None and v["earliest_start"] == v["latest_end"] % 1440:
            problems.add(table.file, row, "latest_end", clock_text(v["latest_end"]), "expected a different time from earliest_start")
            ok = False
        if ok:
            if v["earliest_start"] is None and v["latest_end"] is not None:
                v["earliest_start"] = 0
            if v["latest_end"] is None and v["earliest_start"] is not None:
                v["latest_end"] = 1440
            agents[v["agent_id"]] = Agent(**v, row=row)
    return agents


def _load_leave(table, declared_agents, problems) -> list[Leave]:
    if table is None:
        return []
    cols = [Column("agent_id", parse_code), Column("start", parse_moment), Column("end", parse_moment),
            Column("reason", parse_text, "")]
    out = []
    for row, v in parse_table(table, cols, problems):
        if declared_agents and v["agent_id"] not in declared_agents:
            problems.add(table.file, row, "agent_id", v["agent_id"], "unknown agent; expected an agent_id of agents.csv")
            continue
        s, e = v["start"], v["end"]
        if (s.weekday is None) != (e.weekday is None):
            problems.add(table.file, row, "end", table_cell(table, row, "end"),
                         "expected the same form as start (both dates, or both weekdays)")
            continue
        if s.naive is not None and e.as_end() <= s.naive:
            problems.add(table.file, row, "end", table_cell(table, row, "end"), "expected a moment after start")
            continue
        if s.weekday is not None and s.weekday == e.weekday and e.has_time and e.minutes <= s.minutes:
            problems.add(table.file, row, "end", table_cell(table, row, "end"),
                         "expected a moment after start (a typical-week leave may run past Sunday, as Sat to Mon, "
                         "but not round to its own start)")
            continue
        out.append(Leave(v["agent_id"], s, e, v["reason"], row))
    return out


def _day_or_weekday(text: str):
    t = text.strip()
    try:
        return datetime.strptime(t, "%Y-%m-%d").date(), None
    except ValueError:
        pass
    try:
        return None, parse_weekday(t)
    except ValueError:
        raise ValueError("expected a date YYYY-MM-DD or a weekday such as Tue") from None


def _yes_no(text: str) -> bool:
    t = text.strip().lower()
    if t in ("yes", "y", "true", "1"):
        return True
    if t in ("no", "n", "false", "0", ""):
        return False
    raise ValueError("expected yes or no")


def _load_requests(table, declared_agents, policy: Policy, problems) -> list[Request]:
    """requests.csv: each agent's wishes; a must is a rule, at most max_must_per_week of them a week."""
    if table is None:
        return []
    cols = [Column("agent_id", parse_code), Column("date_or_weekday", _day_or_weekday),
            Column("from", parse_clock, None), Column("to", lambda t: parse_clock(t, allow_24=True), None),
            Column("kind", _choice("prefer", "avoid")), Column("weight", parse_number(0, 10000), 1.0),
            Column("must", _yes_no, False)]
    out: list[Request] = []
    musts: dict[tuple[str, object], int] = {}  # (agent, ISO week or "weekly") -> hard requests
    limit = policy.requests.max_must_per_week
    for row, v in parse_table(table, cols, problems):
        if declared_agents and v["agent_id"] not in declared_agents:
            problems.add(table.file, row, "agent_id", v["agent_id"], "unknown agent; expected an agent_id of agents.csv")
            continue
        if (v["from"] is None) != (v["to"] is None):
            problems.add(table.file, row, "to" if v["to"] is None else "from", "",
                         "expected both from and to (a window), or neither (the whole day)")
            continue
        day, weekday = v["date_or_weekday"]
        if v["must"]:
            week = day.isocalendar()[:2] if day else "weekly"
            musts[(v["agent_id"], week)] = musts.get((v["agent_id"], week), 0) + 1
            weekly = musts.get((v["agent_id"], "weekly"), 0)
            worst = max([n for (a, w), n in musts.items() if a == v["agent_id"] and w != "weekly"] or [0])
            if weekly + worst > limit:
                problems.add(table.file, row, "must", "yes",
                             f"{v['agent_id']} has more than {limit} hard requests in a week "
                             "([requests] max_must_per_week in policy.toml); make this one a wish (must = no)")
                continue
        out.append(Request(v["agent_id"], day, weekday, v["from"], v["to"], v["kind"], v["weight"], v["must"], row))
    return out


def table_cell(table: Table, row: int, column: str) -> str:
    return next((cells.get(column, "") for r, cells in table.rows if r == row), "")


def _load_forecast(table, markets, declared_markets, policy: Policy, problems) -> tuple[list[ForecastRow], dict[str, int]]:
    if table is None:
        return [], {}
    cols = [Column("market", parse_code), Column("start", parse_text), Column("questions", parse_number(0))]
    rows = parse_table(table, cols, problems)
    out: list[ForecastRow] = []
    seen: dict[tuple, int] = {}
    forms: dict[str, str] = {}
    for row, v in rows:
        market = markets.get(v["market"])
        if market is None:
            if declared_markets and v["market"] not in declared_markets:
                problems.add(table.file, row, "market", v["market"], "unknown market; expected a market of markets.csv")
            continue
        text = v["start"]
        m = WEEKDAY_TIME.fullmatch(text.strip().lower())
        if m and m.group(2):
            try:
                minutes = parse_clock(m.group(2))
            except ValueError as e:
                problems.add(table.file, row, "start", text, str(e))
                continue
            fr = ForecastRow(v["market"], v["questions"], row, weekday=parse_weekday(m.group(1)), minutes=minutes)
            key, form = (v["market"], "typical", fr.weekday, minutes), "typical"
        else:
            try:
                instant = _forecast_instant(text, market.timezone, seen, v["market"])
            except ValueError as e:
                problems.add(table.file, row, "start", text, str(e))
                continue
            fr = ForecastRow(v["market"], v["questions"], row, instant=instant)
            key, form = (v["market"], "dated", instant), "dated"
        if key in seen:
            problems.add(table.file, row, "start", text, f"duplicate interval for market {v['market']}; already on row {seen[key]}")
            continue
        seen[key] = row
        if forms.setdefault(v["market"], form) != form:
            problems.add(table.file, row, "start", text,
                         f"market {v['market']} mixes dated rows and typical-week rows (Mon 09:00); expected one form per market")
            continue
        out.append(fr)
    if not out and table is not None and not problems.errors:
        problems.add(table.file, None, None, None, "the forecast has no rows: expected questions per market and interval")
    elif out and sum(r.questions for r in out) <= 0 and not problems.errors:
        problems.add(table.file, None, "questions", "0", "the forecast has no questions at all")
    return out, _row_minutes(out, markets, policy)


def _forecast_instant(text: str, tzname: str, seen: dict, market: str) -> datetime:
    """A dated forecast start as a UTC instant.

    A naive local time that the clock skips is an error; one it repeats is the
    first occurrence the first time the file names it and the second one the
    next time (file order), unless an explicit offset says which.
    """
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("expected a local time 2026-11-30 09:00, ISO 8601 with an offset, or a weekday and time such as Mon 09:00") from None
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    tz = pytz.timezone(tzname)
    try:
        local = tz.localize(value, is_dst=None)
    except pytz.NonExistentTimeError:
        raise ValueError(f"this local time does not exist in {tzname} (the clocks skip it for daylight saving)") from None
    except pytz.AmbiguousTimeError:
        first = tz.localize(value, is_dst=True).astimezone(timezone.utc)
        local = tz.localize(value, is_dst=(market, "dated", first) not in seen)
    return local.astimezone(timezone.utc)


def _row_minutes(rows: list[ForecastRow], markets, policy: Policy) -> dict[str, int]:
    """How long one forecast row lasts, per market.

    Given by `forecast_interval_minutes`, or else the greatest common divisor of
    the row spacing and 60 minutes: an hourly forecast stays hourly on a
    15-minute grid, a sparse one (only evening rows) stays hourly too; a
    market with a single row takes the planning interval.
    """
    if policy.plan.forecast_interval_minutes:
        return {m: policy.plan.forecast_interval_minutes for m in markets}
    starts: dict[str, list[int]] = {}
    for r in rows:
        key = (r.weekday * 1440 + r.minutes) if r.weekday is not None else int(r.instant.timestamp() // 60)
        starts.setdefault(r.market, []).append(key)
    out = {}
    for market in markets:
        s = sorted(set(starts.get(market, [])))
        g = 0
        for a, b in zip(s, s[1:]):
            g = math.gcd(g, b - a)
        out[market] = math.gcd(g, 60) if g else policy.plan.interval_minutes
    return out
