"""rota evaluate on hand-edited rosters: breaks are findings (exit 0), unreadable rows are input errors (exit 2)."""

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from clirun import rota
from scenario_builder import agent, write_scenario
from scheduler.calendar import planning_grid
from scheduler.io.roster import read_roster
from scheduler.io.scenario import load_scenario
from scheduler.staffing import compute_staffing
from scheduler.validate import Break, evaluate

AGENTS = [agent("A1", languages="en", min_hours=0), agent("A2", languages="fr", min_hours=0),
          agent("A3", languages="en;fr", max_days=2, max_hours=20)]


@pytest.fixture
def scenario(tmp_path):
    return write_scenario(
        tmp_path / "ev", sites=[{"site": "hq", "timezone": "Asia/Shanghai", "night_premium": 0.5}],
        agents=AGENTS, leave=[{"agent_id": "A2", "start": "Fri", "end": "Fri", "reason": "training"}],
        markets=[{"market": "US", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180},
                 {"market": "FR", "timezone": "Asia/Shanghai", "language": "fr", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8, "break_minutes": 60},
                {"shift": "N", "site": "hq", "start": "22:00", "hours": 8}],
        forecast=[{"market": m, "start": f"{d} {h:02d}:00", "questions": 1}
                  for m in ("US", "FR") for d in ("Mon", "Tue") for h in range(9, 17)])


HEADER = ["agent_id", "name", "site", "date", "start", "end", "timezone", "start_utc", "end_utc", "paid_hours",
          "break_start", "break_minutes", "queues", "cost"]


def roster(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in HEADER})
    return path


def found_breaks(workbook: Path) -> list[tuple]:
    """(rule, agent_id, roster_row) of every row of the Breaks sheet, sorted, so that a missing, an extra or a
    repeated finding all fail the comparison."""
    sheet = load_workbook(workbook)["Breaks"]
    assert [c.value for c in sheet[1]] == ["rule", "agent_id", "roster_row", "detail"]
    return sorted((b[0].value, b[1].value, b[2].value) for b in sheet.iter_rows(min_row=2))


def shift(agent_id, date, start="09:00", end="17:00", brk="13:00", queues="en", cost=""):
    return {"agent_id": agent_id, "date": date, "start": start, "end": end, "break_start": brk,
            "break_minutes": 60 if brk else 0, "queues": queues, "cost": cost}


def test_clean_roster_has_no_breaks_and_costs_recompute(scenario, tmp_path, capsys):
    path = roster(tmp_path / "week.csv", [shift("A1", "2026-11-30", cost="70.00"), shift("A2", "2026-11-30", queues="fr"),
                                          shift("A1", "2026-12-01"), shift("A2", "2026-12-01", queues="fr")])
    r = rota(capsys, "evaluate", scenario, path, "--out", tmp_path)
    assert r.code == 0 and "no rule breaks" in r.out
    wb = load_workbook(tmp_path / "week-evaluated.xlsx")
    summary = {x[0].value: x[1].value for x in wb["Summary"].iter_rows(min_row=4)}
    assert summary["cost_total"] == pytest.approx(4 * 7 * 10)  # 7 paid day hours at 10
    assert summary["shortfall_hours"] == pytest.approx(4 * 1)  # each break leaves one hour uncovered
    assert summary["week"] == "2026-W49"
    assert found_breaks(tmp_path / "week-evaluated.xlsx") == []


def test_each_hand_edit_is_judged(scenario, tmp_path, capsys):
    rows = [
        shift("A1", "2026-11-30", start="22:00", end="06:00", brk=""),          # row 2: night shift
        shift("A1", "2026-12-01", start="09:00"),                                # row 3: 3 h after: min_rest
        shift("A2", "2026-12-04", queues="fr"),                                  # row 4: on leave (Fri)
        shift("A2", "2026-11-30", queues="fr,en"),                               # row 5: does not speak en
        shift("A3", "2026-11-30", queues="en,fr", cost="1.00"),                  # row 6: stale cost
        shift("A3", "2026-11-30", start="22:00", end="06:00", brk="", queues="en"),  # row 7: second shift that day
        shift("A3", "2026-12-02", queues="fr"),                                  # row 8: second day
        shift("A1", "2026-12-02", start="10:00", end="18:00", brk="14:00"),      # row 9: no such template
        shift("A1", "2026-12-03", brk="09:30"),                                  # row 10: break in the first hour
        shift("A3", "2026-12-03", queues="fr"),                                  # row 11: third day (max 2), 29 h (max 20)
    ]
    r = rota(capsys, "evaluate", scenario, roster(tmp_path / "edited.csv", rows), "--out", tmp_path)
    assert r.code == 0
    # Exactly these, once each: a second shift the same day (row 7) is one break, not also min_rest, and the
    # third day of A3 (row 11) breaks max_days and max_hours but nothing else.
    expected = sorted([("min_rest", "A1", 3), ("leave", "A2", 4), ("language", "A2", 5), ("stale_cost", "A3", 6),
                       ("one_shift_per_day", "A3", 7), ("template", "A1", 9), ("break_placement", "A1", 10),
                       ("max_days", "A3", 11), ("max_hours", "A3", 11)])
    assert found_breaks(tmp_path / "edited-evaluated.xlsx") == expected
    assert f"Rule breaks ({len(expected)})" in r.out
    for rule, _, _ in expected:
        assert rule in r.out
    assert rota(capsys, "evaluate", scenario, tmp_path / "edited.csv", "--out", tmp_path / "s", "--strict").code == 1


def test_deleting_a_row_shows_as_shortfall(scenario, tmp_path, capsys):
    full = [shift("A1", "2026-11-30"), shift("A2", "2026-11-30", queues="fr")]
    assert "no rule breaks" in rota(capsys, "evaluate", scenario, roster(tmp_path / "a.csv", full), "--out", tmp_path).out
    assert "no rule breaks" in rota(capsys, "evaluate", scenario, roster(tmp_path / "b.csv", full[:1]), "--out", tmp_path).out
    def short(name):
        wb = load_workbook(tmp_path / f"{name}-evaluated.xlsx")
        return {x[0].value: x[1].value for x in wb["Summary"].iter_rows(min_row=4)}
    a, b = short("a"), short("b")
    assert b["shortfall_hours_fr"] == pytest.approx(a["shortfall_hours_fr"] + 7)
    assert b["cost_total"] == pytest.approx(a["cost_total"] - 70)


def test_bilingual_agent_counts_once_in_evaluation(scenario, tmp_path, capsys):
    r = rota(capsys, "evaluate", scenario, roster(tmp_path / "bi.csv", [shift("A3", "2026-11-30", queues="en,fr")]),
             "--out", tmp_path)
    assert r.code == 0 and found_breaks(tmp_path / "bi-evaluated.xlsx") == []
    wb = load_workbook(tmp_path / "bi-evaluated.xlsx")
    cov = [[c.value for c in row] for row in wb["Coverage"].iter_rows(min_row=2)]
    scheduled = sum(row[5] for row in cov)
    assert scheduled == pytest.approx(7.0)  # 7 worked hours, in one queue at a time


@pytest.mark.parametrize("edit, where", [
    ({"start": "25:99"}, "row 2, column start"),
    ({"agent_id": "Z9"}, "row 2, column agent_id"),
    ({"date": "30/11/2026"}, "row 2, column date"),
])
def test_unreadable_rows_exit_2(scenario, tmp_path, capsys, edit, where):
    path = roster(tmp_path / "bad.csv", [{**shift("A1", "2026-11-30"), **edit}])
    r = rota(capsys, "evaluate", scenario, path, "--out", tmp_path)
    assert r.code == 2 and f"bad.csv, {where}" in r.err
    assert not (tmp_path / "bad-evaluated.xlsx").exists()


def test_rows_far_from_the_week_are_findings_not_crashes(scenario, tmp_path, capsys):
    path = roster(tmp_path / "far.csv", [shift("A3", "2026-11-30"), shift("A1", "2026-10-05")]
                  + [shift("A3", f"2026-12-{d:02d}") for d in (8, 9, 10)])  # next week: A3 has max_days 2
    r = rota(capsys, "evaluate", scenario, path, "--week", "2026-11-30", "--out", tmp_path)
    assert r.code == 0 and r.out.count("outside_week") == 4
    # Only the four rows outside the week: the next week's three days are not counted against A3's max_days 2.
    assert found_breaks(tmp_path / "far-evaluated.xlsx") == [("outside_week", "A1", 3), ("outside_week", "A3", 4),
                                                             ("outside_week", "A3", 5), ("outside_week", "A3", 6)]
    assert "max_days" not in r.out and "max_hours" not in r.out
    bad = roster(tmp_path / "typo.csv", [shift("A1", "9999-12-31")])
    r = rota(capsys, "evaluate", scenario, bad, "--out", tmp_path)
    assert r.code == 2 and "typo.csv, row 2, column date" in r.err


def test_pool_by_market_roster_names_languages_and_evaluates(tmp_path, capsys):
    folder = write_scenario(
        tmp_path / "pm", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent("A1", languages="en", min_hours=0), agent("A2", languages="en;fr", min_hours=0)],
        markets=[{"market": "UK", "timezone": "Europe/London", "language": "en", "aht_seconds": 180},
                 {"market": "US", "timezone": "America/New_York", "language": "en", "aht_seconds": 180},
                 {"market": "FR", "timezone": "Europe/Paris", "language": "fr", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
        forecast=[{"market": m, "start": f"Mon {h:02d}:00", "questions": 5} for m in ("UK", "US", "FR") for h in range(0, 24)],
        policy_extra="")
    (folder / "policy.toml").write_text((folder / "policy.toml").read_text().replace("[targets]", 'pool_by = "market"\n\n[targets]'))
    out = tmp_path / "o"
    assert rota(capsys, "plan", folder, "--week", "2026-11-30", "--out", out, "--time-limit", "5", "--quiet").code == 0
    rows = list(csv.DictReader((out / "pm-2026-W49-roster.csv").open(encoding="utf-8-sig")))
    assert rows and all(set(r["queues"].split(",")) <= {"en", "fr"} for r in rows)
    r = rota(capsys, "evaluate", folder, out / "pm-2026-W49-roster.csv", "--out", tmp_path / "e")
    assert r.code == 0 and "no rule breaks" in r.out


# ------------------------------------------------------------------ one rule at a time, on the evaluator itself

WEEK = date(2026, 11, 30)  # Monday; Asia/Shanghai has no clock change


def one_rule_scenario(folder: Path, agents: list[dict], rules: str = "") -> Path:
    """One site, one market open 09:00-17:00 every day, a 09:00 and a 12:00 day shift (8 h, 1 h break)."""
    return write_scenario(
        folder, sites=[{"site": "hq", "timezone": "Asia/Shanghai"}], agents=agents,
        markets=[{"market": "US", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8, "break_minutes": 60},
                {"shift": "L", "site": "hq", "start": "12:00", "hours": 8, "break_minutes": 60}],
        forecast=[{"market": "US", "start": f"{d} {h:02d}:00", "questions": 1}
                  for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun") for h in range(9, 17)],
        policy_extra=rules)


def judged(folder: Path, path: Path, rows: list[dict]) -> list[Break]:
    """The evaluator's findings on a hand-made roster CSV, read by the same reader as `rota evaluate`."""
    sc = load_scenario(folder)
    grid = planning_grid(sc, WEEK)
    return evaluate(sc, grid, compute_staffing(sc, grid), read_roster(roster(path, rows), sc)).breaks


def late(agent_id, day):
    return shift(agent_id, day, start="12:00", end="20:00", brk="16:00")


def test_daily_window_break_names_the_row_outside_the_window(tmp_path):
    folder = one_rule_scenario(tmp_path / "dw", [agent("W", earliest_start="08:00", latest_end="18:00")])
    # 12:00-20:00 starts inside the window but ends two hours after it; the 09:00-17:00 day fits.
    assert judged(folder, tmp_path / "dw.csv", [late("W", "2026-11-30"), shift("W", "2026-12-01")]) == [
        Break("daily_window", "W", 2, "12:00-20:00 is outside the daily window 08:00-18:00")]
    assert judged(folder, tmp_path / "dw-fixed.csv", [shift("W", "2026-11-30"), shift("W", "2026-12-01")]) == []


def test_max_consecutive_days_break_names_the_first_day_too_many(tmp_path):
    folder = one_rule_scenario(tmp_path / "mc", [agent("K", max_days=5)], rules="\n[rules]\nmax_consecutive_days = 2\n")
    # In file order Wed, Mon, Tue, Thu: by date, Wednesday (row 2) is the third day in a row; Thursday, the
    # fourth, is not a second break.
    rows = [shift("K", "2026-12-02"), shift("K", "2026-11-30"), shift("K", "2026-12-01"), shift("K", "2026-12-03")]
    assert judged(folder, tmp_path / "mc.csv", rows) == [
        Break("max_consecutive_days", "K", 2, "day 3 in a row (2026-12-02); at most 2 allowed")]
    fixed = [shift("K", "2026-12-04"), shift("K", "2026-11-30"), shift("K", "2026-12-01"), shift("K", "2026-12-03")]
    assert judged(folder, tmp_path / "mc-fixed.csv", fixed) == []  # Mon-Tue, then Thu-Fri: runs of two


def test_min_hours_break_names_the_agents_last_shift(tmp_path):
    folder = one_rule_scenario(tmp_path / "mh", [agent("M", min_hours=20)])
    # Two 7-paid-hour days, Wednesday written first: the finding points at the last shift in time (row 2).
    assert judged(folder, tmp_path / "mh.csv", [shift("M", "2026-12-02"), shift("M", "2026-11-30")]) == [
        Break("min_hours", "M", 2, "14 paid hours; contract minimum 20")]
    # Nobody rostered at all: still a break, with no row to point at.
    assert judged(folder, tmp_path / "mh-empty.csv", []) == [
        Break("min_hours", "M", None, "0 paid hours; contract minimum 20")]
    fixed = [shift("M", "2026-12-02"), shift("M", "2026-11-30"), shift("M", "2026-12-04")]
    assert judged(folder, tmp_path / "mh-fixed.csv", fixed) == []  # 21 paid hours
