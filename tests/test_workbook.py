"""Read the written workbook back, independently of the model code, and check what it claims."""

import csv
from collections import defaultdict
from datetime import datetime, time, timedelta, timezone

import pytest
import pytz
from openpyxl import load_workbook

from clirun import rota
from scenario_builder import agent, write_scenario

ROSTER_COLUMNS = ["agent_id", "name", "site", "date", "start", "end", "timezone", "start_utc", "end_utc",
                  "paid_hours", "break_start", "break_minutes", "queues", "cost"]
SITES = {"hq": ("Asia/Shanghai", 0.3, 0.0), "paris": ("Europe/Paris", 0.25, 0.5)}
AGENTS = ([agent(f"S{i}", site="hq", languages="en", cost=9, min_hours=16) for i in range(5)]
          + [agent("S9", site="hq", languages="en;fr", cost=10)]
          + [agent(f"P{i}", site="paris", languages="fr;en", cost=24, max_days=4, max_hours=32) for i in range(3)]
          + [agent("P9", site="paris", languages="fr", cost=22, earliest_start="12:00", latest_end="23:30")])
LEAVE = [{"agent_id": "S1", "start": "Thu", "end": "Fri", "reason": "annual leave"}]


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wb")
    forecast = []
    for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        forecast += [{"market": "FR", "start": f"{d} {h:02d}:00", "questions": 25 if h >= 18 else 8} for h in range(9, 24)]
        forecast += [{"market": "US", "start": f"{d} {h:02d}:00", "questions": 40 if 19 <= h <= 22 else 12}
                     for h in range(10, 24)]
    folder = write_scenario(
        tmp / "two", sites=[{"site": s, "timezone": tz, "night_premium": n, "weekend_premium": w}
                            for s, (tz, n, w) in SITES.items()],
        agents=AGENTS, leave=LEAVE, shortfall=80,
        markets=[{"market": "FR", "timezone": "Europe/Paris", "language": "fr", "aht_seconds": 180, "concurrency": 2},
                 {"market": "US", "timezone": "America/New_York", "language": "en", "aht_seconds": 200,
                  "concurrency": 2, "patience_seconds": 90}],
        shifts=[{"shift": "D", "site": "*", "start": "08:00-16:00/120", "hours": 8, "break_minutes": 60},
                {"shift": "N", "site": "hq", "start": "22:00", "hours": 9, "break_minutes": 60},
                {"shift": "P", "site": "paris", "start": "18:00", "hours": 5}],
        forecast=forecast)
    return folder, tmp / "out"


@pytest.fixture(scope="module")
def workbook(planned):
    folder, out = planned
    from scheduler.cli import main  # module-scoped: run the real entry point once for all tests here
    with pytest.raises(SystemExit) as e:
        main(["plan", str(folder), "--week", "2026-11-30", "--out", str(out), "--time-limit", "8", "--quiet"])
    assert e.value.code == 0
    path = out / "two-2026-W49.xlsx"
    return path, load_workbook(path), out / "two-2026-W49-roster.csv"


def roster_rows(wb):
    ws = wb["Roster"]
    header = [c.value for c in ws[1]]
    return header, [dict(zip(header, [c.value for c in row])) for row in ws.iter_rows(min_row=2)]


def test_sheets_and_roster_columns_are_the_contract(workbook):
    path, wb, roster_csv = workbook
    assert wb.sheetnames == ["Roster", "Schedule", "Coverage", "Markets", "Agents", "People", "Summary"]
    header, rows = roster_rows(wb)
    assert header == ROSTER_COLUMNS
    assert rows and all(isinstance(r["date"], datetime) and isinstance(r["start"], time) for r in rows)
    assert not wb["Roster"].merged_cells.ranges
    # Frozen under the header, which also heads every printed page.
    assert wb["Roster"].freeze_panes == "A2" and wb["Roster"].print_title_rows == "$1:$1"
    assert wb["Schedule"].print_title_rows == "$2:$2"
    assert roster_csv.read_bytes().startswith(b"\xef\xbb\xbf")  # a byte-order mark: Excel reads the accents
    with roster_csv.open(encoding="utf-8-sig") as f:
        csv_rows = list(csv.DictReader(f))
    assert list(csv_rows[0]) == ROSTER_COLUMNS and len(csv_rows) == len(rows)
    for x, c in zip(rows, csv_rows):
        assert c["agent_id"] == x["agent_id"] and c["date"] == x["date"].date().isoformat()
        assert c["start"] == x["start"].strftime("%H:%M") and float(c["cost"]) == pytest.approx(x["cost"])


def minute_cost(row, breaks):
    """Independent: walk every paid minute with pytz and the spec's premium rule."""
    site = row["site"]
    tzname, night, weekend = SITES[site]
    hourly = next(a["hourly_cost"] for a in AGENTS if a["agent_id"] == row["agent_id"])
    tz = pytz.timezone(tzname)
    start = datetime.fromisoformat(row["start_utc"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(row["end_utc"].replace("Z", "+00:00"))
    total, t = 0.0, start
    while t < end:
        if not (breaks and breaks[0] <= t < breaks[1]):
            local = t.astimezone(tz)
            clock = local.hour * 60 + local.minute
            rate = 1 + (night if (clock >= 22 * 60 or clock < 6 * 60) else 0) + (weekend if local.weekday() >= 5 else 0)
            total += hourly / 60 * rate
        t += timedelta(minutes=1)
    return total


def local_instant(tzname, day: datetime, clock: time, after: datetime | None = None):
    tz = pytz.timezone(tzname)
    naive = datetime.combine(day.date(), clock)
    t = tz.localize(naive).astimezone(timezone.utc)
    while after is not None and t <= after:
        naive += timedelta(days=1)
        t = tz.localize(naive).astimezone(timezone.utc)
    return t


def test_every_rule_holds_and_costs_recompute(workbook):
    _, wb, _ = workbook
    _, rows = roster_rows(wb)
    contracts = {a["agent_id"]: a for a in AGENTS}
    per_agent = defaultdict(list)
    for r in rows:
        tzname = SITES[r["site"]][0]
        assert r["timezone"] == tzname
        start = local_instant(tzname, r["date"], r["start"])
        end = local_instant(tzname, r["date"], r["end"], after=start)
        assert r["start_utc"] == start.strftime("%Y-%m-%dT%H:%M:%SZ") and r["end_utc"] == end.strftime("%Y-%m-%dT%H:%M:%SZ")
        brk = None
        if r["break_minutes"]:
            b = local_instant(tzname, r["date"], r["break_start"], after=start)
            brk = (b, b + timedelta(minutes=r["break_minutes"]))
            assert brk[0] >= start + timedelta(hours=1) and brk[1] <= end - timedelta(hours=1)
        length = (end - start).total_seconds() / 60
        assert r["paid_hours"] == pytest.approx((length - r["break_minutes"]) / 60)
        assert r["cost"] == pytest.approx(minute_cost(r, brk), abs=0.006)
        a = contracts[r["agent_id"]]
        spoken = a["languages"].split(";")
        assert set(r["queues"].split(",")) <= set(spoken)
        if a.get("earliest_start"):
            assert r["start"] >= time.fromisoformat(a["earliest_start"])
        per_agent[r["agent_id"]].append((start, end, r))
    for agent_id, shifts in per_agent.items():
        a = contracts[agent_id]
        shifts.sort(key=lambda s: s[0])
        dates = [s[2]["date"].date() for s in shifts]
        assert len(dates) == len(set(dates)) <= a["max_days"]
        for (s0, e0, _), (s1, e1, _) in zip(shifts, shifts[1:]):
            assert (s1 - e0) >= timedelta(hours=11)
        paid = sum(s[2]["paid_hours"] for s in shifts)
        assert paid <= a["max_hours"] + 1e-9
    for a in AGENTS:
        paid = sum(s[2]["paid_hours"] for s in per_agent.get(a["agent_id"], []))
        minimum = a["min_hours"] * (5 / 7 if a["agent_id"] == "S1" else 1)  # two leave days of seven, pro rata
        assert paid >= minimum - 1e-6
    # Leave: S1 works nothing Thu-Fri (Shanghai).
    assert not [s for s in per_agent.get("S1", []) if s[2]["date"].weekday() in (3, 4)]


def test_coverage_and_summary_agree_with_the_roster(workbook):
    _, wb, _ = workbook
    _, rows = roster_rows(wb)
    ws = wb["Coverage"]
    header = [c.value for c in ws[1]][:14]
    cov = [dict(zip(header, [c.value for c in r][:14])) for r in ws.iter_rows(min_row=2)]
    # Worked agent-hours per interval, recomputed from the rows, equal what Coverage schedules in all queues.
    worked = defaultdict(float)
    week_start = datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc)  # Mon 00:00 Shanghai
    for r in rows:
        tzname = SITES[r["site"]][0]
        start = local_instant(tzname, r["date"], r["start"])
        end = local_instant(tzname, r["date"], r["end"], after=start)
        brk = None
        if r["break_minutes"]:
            b = local_instant(tzname, r["date"], r["break_start"], after=start)
            brk = (b, b + timedelta(minutes=r["break_minutes"]))
        t = start
        while t < end:
            if not (brk and brk[0] <= t < brk[1]):
                i = int((t - week_start).total_seconds() // 3600)
                if 0 <= i < 168:
                    worked[i] += 1 / 60
            t += timedelta(minutes=1)
    scheduled = defaultdict(float)
    for c in cov:
        scheduled[int((pytz.timezone("Asia/Shanghai").localize(c["interval_start"]) - week_start).total_seconds() // 3600)] += c["scheduled"]
    for i in range(168):
        assert scheduled[i] == pytest.approx(worked[i], abs=1e-3), i
    shortfall = sum(max(0.0, c["required"] - c["scheduled"]) for c in cov)
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=4)}
    assert summary["cost_total"] == pytest.approx(sum(r["cost"] for r in rows))
    assert summary["shortfall_hours"] == pytest.approx(shortfall, abs=0.01)
    assert summary["cost_hq"] + summary["cost_paris"] == pytest.approx(summary["cost_total"])
    assert summary["solver_status"] in ("OPTIMAL", "FEASIBLE")
    agents = {r[0].value: r for r in wb["Agents"].iter_rows(min_row=2)}
    for a in AGENTS:
        paid = sum(r["paid_hours"] for r in rows if r["agent_id"] == a["agent_id"])
        assert agents[a["agent_id"]][5].value == pytest.approx(paid)


def test_planned_roster_evaluates_to_what_plan_reported(workbook, capsys, tmp_path):
    path, wb, roster_csv = workbook
    folder = path.parent.parent / "two"
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=4)}
    for source in (path, roster_csv):
        r = rota(capsys, "evaluate", folder, source, "--out", tmp_path / source.suffix[1:])
        assert r.code == 0 and "no rule breaks" in r.out
        ev = load_workbook(tmp_path / source.suffix[1:] / f"{source.stem}-evaluated.xlsx")
        got = {x[0].value: x[1].value for x in ev["Summary"].iter_rows(min_row=4)}
        for key in ("cost_total", "shortfall_hours", "cost_hq", "cost_paris"):
            assert got[key] == pytest.approx(summary[key]), key
        assert ev.sheetnames[-1] == "Breaks"


def test_an_existing_plan_is_never_overwritten(planned, workbook, capsys):
    folder, out = planned
    path = workbook[0]
    before = path.read_bytes()
    r = rota(capsys, "plan", folder, "--week", "2026-11-30", "--out", out, "--time-limit", "1", "--quiet")
    assert r.code == 2 and "already exist" in r.err and "--force" in r.err
    assert path.read_bytes() == before
