"""The planned workbook's Schedule, Markets, Agents and Summary sheets, read back by header name and checked
against the Roster sheet (the HR import) and the scenario's own inputs."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import pytz
from openpyxl import load_workbook

from scenario_builder import agent, write_scenario
from scheduler.io.scenario import load_scenario
from scheduler.plan import make_plan, output_paths, write_outputs

WEEK = date(2026, 11, 30)  # planned in Asia/Shanghai: Mon 30 Nov 00:00 +08 = Sun 29 Nov 16:00 UTC
SITE_TZ = {"hq": "Asia/Shanghai", "lis": "Europe/Lisbon"}
MARKETS = {"US": ("America/New_York", "en", 6), "UK": ("Europe/London", "en", 4), "FR": ("Europe/Paris", "fr", 8)}
OPEN_DAYS = ("Mon", "Tue", "Wed", "Sat")  # each market's local days with questions, 09:00-17:00 local
SHORTFALL_PER_HOUR = 100.0


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """One plan, made once: two sites in different time zones (a night premium at one, a weekend premium at the
    other), three markets in three more, two of them pooled in one queue, and an agent too dear to roster."""
    folder = write_scenario(
        tmp_path_factory.mktemp("sheets") / "sheets",
        sites=[{"site": "hq", "timezone": SITE_TZ["hq"], "night_premium": 0.5},
               {"site": "lis", "timezone": SITE_TZ["lis"], "weekend_premium": 0.25}],
        agents=[agent("A1", site="hq", languages="en;fr", cost=10), agent("A2", site="hq", languages="en", cost=12, max_days=3),
                agent("A3", site="hq", languages="en", cost=150),
                agent("B1", site="lis", languages="fr;en", cost=15), agent("B2", site="lis", languages="fr", cost=14, min_hours=16)],
        markets=[{"market": m, "timezone": tz, "language": lang, "aht_seconds": 200} for m, (tz, lang, _) in MARKETS.items()],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8, "break_minutes": 60},
                {"shift": "N", "site": "hq", "start": "20:00", "hours": 8},
                {"shift": "E", "site": "lis", "start": "08:00", "hours": 8, "break_minutes": 30}],
        forecast=[{"market": m, "start": f"{d} {h:02d}:00", "questions": q}
                  for m, (_, _, q) in MARKETS.items() for d in OPEN_DAYS for h in range(9, 17)],
        shortfall=SHORTFALL_PER_HOUR)
    sc = load_scenario(folder)
    plan = make_plan(sc, WEEK, time_limit=3, workers=1)
    workbook, roster_csv = output_paths(sc, plan.grid, folder.parent / "out")
    write_outputs(plan.evaluation, plan.info, workbook, roster_csv)
    wb = load_workbook(workbook)
    roster = records(wb["Roster"])
    # Not a vacuous plan: shifts at both sites, and the dear agent left out.
    assert {r["site"] for r in roster} == {"hq", "lis"} and "A3" not in {r["agent_id"] for r in roster}
    return SimpleNamespace(plan=plan, scenario=sc, wb=wb, roster=roster)


def records(ws, header_row: int = 1) -> list[dict]:
    """A sheet's rows as dicts keyed by the header's names (never by position)."""
    rows = ws.iter_rows(min_row=header_row, values_only=True)
    header = next(rows)
    assert len(set(header)) == len(header), header
    return [dict(zip(header, r)) for r in rows if any(v is not None for v in r)]


def by_agent(roster: list[dict]) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for r in roster:
        out[r["agent_id"]].append(r)
    return out


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def night_minutes(r: dict) -> int:
    """Worked minutes of a Roster row in the night window (22:00-06:00 local), its break left out."""
    tz = pytz.timezone(r["timezone"])
    start, end = utc(r["start_utc"]).astimezone(tz), utc(r["end_utc"]).astimezone(tz)
    brk = None
    if r["break_minutes"]:
        b = tz.localize(datetime.combine(r["date"].date(), r["break_start"]))
        brk = (b, b + timedelta(minutes=r["break_minutes"]))
    count, t = 0, start
    while t < end:
        clock = t.hour * 60 + t.minute
        if (clock >= 22 * 60 or clock < 6 * 60) and not (brk and brk[0] <= t < brk[1]):
            count += 1
        t += timedelta(minutes=1)
    return count


def test_agents_sheet_sums_the_roster_rows_per_agent(planned):
    agents = {a["agent_id"]: a for a in records(planned.wb["Agents"])}
    assert list(agents) == ["A1", "A2", "A3", "B1", "B2"]
    per = by_agent(planned.roster)
    for agent_id, a in agents.items():
        rows = per.get(agent_id, [])
        contract = planned.scenario.agents[agent_id]
        assert (a["name"], a["site"], a["languages"]) == (contract.name, contract.site, ",".join(contract.languages))
        assert (a["min_hours"], a["max_hours"], a["max_days"]) == (contract.min_hours, contract.max_hours, contract.max_days)
        assert a["days"] == len({r["date"] for r in rows}), agent_id
        assert a["paid_hours"] == pytest.approx(sum(r["paid_hours"] for r in rows), abs=0.005), agent_id
        assert a["cost"] == pytest.approx(sum(r["cost"] for r in rows), abs=0.005), agent_id
        assert a["weekend_shifts"] == sum(1 for r in rows if r["date"].weekday() >= 5), agent_id
        nights = [night_minutes(r) for r in rows]
        assert a["night_hours"] == pytest.approx(sum(nights) / 60, abs=0.005), agent_id
        assert a["nights"] == sum(1 for n in nights if n), agent_id
    assert (agents["A3"]["days"], agents["A3"]["paid_hours"], agents["A3"]["cost"]) == (0, 0, 0)
    # The 20:00 shifts of hq reach into the night: the premium and the night columns are exercised.
    assert sum(a["night_hours"] for a in agents.values()) > 0


def test_schedule_shows_each_shift_in_local_time_in_its_agent_row_and_day_column(planned):
    ws = planned.wb["Schedule"]
    assert ws["A1"].value == f"Schedule {planned.plan.grid.label}: shifts in each agent's local time"
    rows = {r["agent_id"]: r for r in records(ws, header_row=2)}
    assert list(rows) == ["A1", "A2", "A3", "B1", "B2"]  # by site, then agent
    header = [c.value for c in ws[2]]
    days = header[header.index("languages") + 1:header.index("paid_hours")]
    expected: dict[tuple[str, str], str] = {}
    for r in planned.roster:
        # The local times come from the UTC instants in the agent's site's zone, not from the Roster's own clocks.
        tz = pytz.timezone(SITE_TZ[r["site"]])
        assert r["timezone"] == SITE_TZ[r["site"]]
        start, end = utc(r["start_utc"]).astimezone(tz), utc(r["end_utc"]).astimezone(tz)
        text = f"{start:%H:%M}-{end:%H:%M}"
        if r["break_minutes"]:
            text += f"\nbreak {r['break_start']:%H:%M}"
        expected[(r["agent_id"], f"{start:%a %d %b}")] = text
    assert len(expected) == len(planned.roster)  # one shift per agent and day
    assert {col for _, col in expected} <= set(days)
    shown = {(a, col): rows[a][col] for a in rows for col in days if rows[a][col]}
    assert shown == expected  # every shift where it belongs, and nothing else
    # A night shift is shown on the day it starts, ending after midnight.
    assert any(t.startswith("20:00-04:00") for t in shown.values())
    agents = {a["agent_id"]: a["paid_hours"] for a in records(planned.wb["Agents"])}
    assert {a: r["paid_hours"] for a, r in rows.items()} == pytest.approx(agents)


def test_markets_sheet_shows_each_market_in_its_local_time_with_its_queue_kpis(planned):
    grid = planned.plan.grid
    plan_tz = pytz.timezone(grid.timezone)
    markets = records(planned.wb["Markets"])
    coverage = {(c["queue"], c["interval_start"]): c for c in records(planned.wb["Coverage"])}
    assert len(coverage) == 2 * grid.size  # two queues: en (US, UK) and fr (FR)
    first = {"US": datetime(2026, 11, 29, 11), "UK": datetime(2026, 11, 29, 16), "FR": datetime(2026, 11, 29, 17)}
    pooled = defaultdict(float)
    for m, (tzname, language, per_hour) in MARKETS.items():
        tz = pytz.timezone(tzname)
        mine = [r for r in markets if r["market"] == m]
        assert len(mine) == grid.size
        assert {(r["timezone"], r["queue"]) for r in mine} == {(tzname, language)}
        starts = [r["local_start"] for r in mine]
        assert starts[0] == first[m] and all(b - a == timedelta(hours=1) for a, b in zip(starts, starts[1:]))
        # The forecast is in market-local time: questions exactly in the open hours of the open days, local.
        busy = {r["local_start"] for r in mine if r["questions"]}
        assert busy == {s for s in starts if f"{s:%a}" in OPEN_DAYS and 9 <= s.hour < 17}
        assert all(r["questions"] == pytest.approx(per_hour) for r in mine if r["local_start"] in busy)
        for r in mine:
            at = tz.localize(r["local_start"]).astimezone(plan_tz).replace(tzinfo=None)
            cov = coverage[(language, at)]
            for kpi in ("required", "scheduled", "gap", "asa_seconds", "service_level", "abandon_rate",
                        "occupancy", "targets_met"):
                assert r[kpi] == (pytest.approx(cov[kpi]) if isinstance(cov[kpi], float) else cov[kpi]), (m, at, kpi)
            pooled[(language, at)] += r["questions"]
    # The queue's questions are its markets' together (en = US + UK).
    assert pooled == pytest.approx({k: c["questions"] for k, c in coverage.items()})
    # Where someone answers, ASA is a figure; where questions come and nobody is on, it is left empty.
    # (Who answers is who can: `serving` counts the bilingual agents the rule counts in the other queue.)
    staffed = [r for r in markets if r["questions"] and r["serving"]]
    assert staffed and all(isinstance(r["asa_seconds"], (int, float)) for r in staffed)
    assert {id(r) for r in markets if r["questions"] and r["scheduled"]} <= {id(r) for r in staffed}
    unstaffed = [r for r in markets if r["arrivals"] and not r["serving"]]
    assert unstaffed and all(r["asa_seconds"] is None and r["targets_met"] == "no" for r in unstaffed)


def test_summary_states_cost_status_bound_and_gap(planned):
    items = {r["item"]: r["value"] for r in records(planned.wb["Summary"], header_row=3)}
    roster, info = planned.roster, planned.plan.info
    cost = sum(r["cost"] for r in roster)
    assert items["cost_total"] == pytest.approx(cost, abs=0.005)
    for site in SITE_TZ:
        assert items[f"cost_{site}"] == pytest.approx(sum(r["cost"] for r in roster if r["site"] == site), abs=0.005)
    assert items["shifts"] == len(roster)
    assert items["paid_hours"] == pytest.approx(sum(r["paid_hours"] for r in roster), abs=0.005)
    assert (items["agents_scheduled"], items["agents_total"]) == (len({r["agent_id"] for r in roster}), 5)
    shortfall = sum(c["shortfall_hours"] for c in records(planned.wb["Coverage"]))
    assert items["shortfall_hours"] == pytest.approx(shortfall, abs=0.005)
    assert items["shortfall_cost"] == pytest.approx(items["shortfall_hours"] * SHORTFALL_PER_HOUR, abs=0.01)
    assert items["total"] == pytest.approx(items["cost_total"] + items["shortfall_cost"], abs=0.01)
    assert items["rule_breaks"] == 0
    assert (items["week"], items["time_limit_seconds"]) == (planned.plan.grid.label, 3)
    # What the solver said, as it said it, and consistent with the figures beside it.
    assert items["solver_status"] == info.status and info.status in ("OPTIMAL", "FEASIBLE")
    assert items["lower_bound"] == pytest.approx(info.bound) and items["gap"] == pytest.approx(info.gap, abs=1e-12)
    objective = items["total"] + items["fairness_cost"] + items["requests_cost"]  # what the bound is of
    assert items["lower_bound"] <= objective + 0.01
    assert 0 <= items["gap"] <= max(0.0, (objective - items["lower_bound"]) / objective) + 1e-9
    assert items["solver_objective"] == pytest.approx(info.objective) and items["total"] <= info.objective + 0.01 * len(roster)
