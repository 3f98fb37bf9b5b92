"""rota evaluate on hand-edited rosters: breaks are findings (exit 0), unreadable rows are input errors (exit 2)."""

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from clirun import rota
from scenario_builder import agent, write_scenario

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
    assert [c.value for c in wb["Breaks"][1]] == ["rule", "agent_id", "roster_row", "detail"]


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
    wb = load_workbook(tmp_path / "edited-evaluated.xlsx")
    found = {(b[0].value, b[2].value) for b in wb["Breaks"].iter_rows(min_row=2)}
    expected = {("min_rest", 3), ("leave", 4), ("language", 5), ("stale_cost", 6), ("one_shift_per_day", 7),
                ("max_days", 11), ("template", 9), ("break_placement", 10), ("max_hours", 11)}
    assert expected <= found
    assert ("min_rest", 7) not in found  # a second shift the same day is one break, not two
    for rule, row in expected:
        assert rule in r.out
    assert rota(capsys, "evaluate", scenario, tmp_path / "edited.csv", "--out", tmp_path / "s", "--strict").code == 1


def test_deleting_a_row_shows_as_shortfall(scenario, tmp_path, capsys):
    full = [shift("A1", "2026-11-30"), shift("A2", "2026-11-30", queues="fr")]
    rota(capsys, "evaluate", scenario, roster(tmp_path / "a.csv", full), "--out", tmp_path)
    rota(capsys, "evaluate", scenario, roster(tmp_path / "b.csv", full[:1]), "--out", tmp_path)
    def short(name):
        wb = load_workbook(tmp_path / f"{name}-evaluated.xlsx")
        return {x[0].value: x[1].value for x in wb["Summary"].iter_rows(min_row=4)}
    a, b = short("a"), short("b")
    assert b["shortfall_hours_fr"] == pytest.approx(a["shortfall_hours_fr"] + 7)
    assert b["cost_total"] == pytest.approx(a["cost_total"] - 70)


def test_bilingual_agent_counts_once_in_evaluation(scenario, tmp_path, capsys):
    r = rota(capsys, "evaluate", scenario, roster(tmp_path / "bi.csv", [shift("A3", "2026-11-30", queues="en,fr")]),
             "--out", tmp_path)
    assert r.code == 0
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
    rows = list(csv.DictReader((out / "pm-2026-W49-roster.csv").open()))
    assert rows and all(set(r["queues"].split(",")) <= {"en", "fr"} for r in rows)
    r = rota(capsys, "evaluate", folder, out / "pm-2026-W49-roster.csv", "--out", tmp_path / "e")
    assert r.code == 0 and "no rule breaks" in r.out
