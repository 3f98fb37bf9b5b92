"""The rota across weeks and within one: last week's shifts carried in (`--previous`), and a mid-week
re-plan that keeps the past and changes as little as pays (`rota replan`)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from ortools.sat.python import cp_model

from clirun import rota
from scenario_builder import agent, write_csv, write_scenario
from scheduler.calendar import planning_grid
from scheduler.io.roster import read_previous, read_roster
from scheduler.io.scenario import load_scenario
from scheduler.model import build
from scheduler.plan import make_plan, write_workbook
from scheduler.replanning import parse_from, replan
from scheduler.search.greedy import hint_values
from scheduler.staffing import compute_staffing
from scheduler.validate import evaluate

DST_WEEK = date(2026, 10, 26)  # Europe/Paris went back to winter time on Sunday 2026-10-25, 03:00
ROSTER = ["agent_id", "date", "start", "end", "break_start", "break_minutes", "queues"]


def previous_csv(path, rows) -> str:
    write_csv(path, [dict(zip(ROSTER, r)) for r in rows])
    return str(path)


def paris_week(tmp_path, previous_rows, **rules):
    """One Paris agent, planned on Shanghai's clock (the week starts Sunday 17:00 in Paris); day shifts of 8
    hours starting 06:00 to 12:00; English questions every Paris evening and morning."""
    extra = "\n[rules]\n" + "".join(f"{k} = {v}\n" for k, v in {"min_rest_hours": 11, **rules}.items())
    days = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
    folder = write_scenario(
        tmp_path / "s", sites=[{"site": "paris", "timezone": "Europe/Paris"}],
        agents=[agent("P1", site="paris", max_days=7, max_hours=60)],
        markets=[{"market": "UK", "timezone": "Europe/Paris", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "paris", "start": "06:00-12:00/60", "hours": 8}],
        forecast=[{"market": "UK", "start": f"{d} {h:02d}:00", "questions": 12} for d in days for h in (9, 18, 19, 20)],
        policy_extra=extra)
    sc = load_scenario(folder)
    if previous_rows is not None:
        sc.continuity.previous, sc.continuity.previous_file = read_previous(
            previous_csv(tmp_path / "previous.csv", previous_rows), sc)
    grid = planning_grid(sc, DST_WEEK)
    return sc, grid, compute_staffing(sc, grid)


def test_rest_runs_across_the_week_start_in_absolute_time_through_a_dst_change(tmp_path):
    """The last shift ended Sunday 23:00 Paris, after the clocks went back: 11 h of rest give Monday 10:00
    local (09:00 by the summer offset would be an hour short). The shift ran into the planned week (which
    starts Sunday 17:00 in Paris): it is last week's, covers those hours and keeps the agent busy."""
    sc, grid, st = paris_week(tmp_path, [("P1", "2026-10-25", "15:00", "23:00", "", 0, "en")])
    mondays = sorted(o.clock for o in build(sc, grid, st).options["P1"] if o.day == date(2026, 10, 26))
    assert mondays == [600, 660, 720]
    covered = evaluate(sc, grid, st, []).coverage.set_index("interval")["scheduled"]
    assert list(covered.loc[0:6].round(2)) == [1, 1, 1, 1, 1, 1, 0]  # Sun 17:00-23:00 Paris, grid's first hours
    bare, _, _ = paris_week(tmp_path / "bare", None)
    assert min(o.clock for o in build(bare, grid, st).options["P1"] if o.day == date(2026, 10, 26)) == 360
    assert evaluate(bare, grid, st, []).coverage["scheduled"].sum() == 0


def test_the_validator_flags_a_break_across_the_start_that_a_hand_made_roster_has(tmp_path):
    sc, grid, st = paris_week(tmp_path, [("P1", "2026-10-25", "15:00", "23:00", "", 0, "en")])
    rows = read_roster(previous_csv(tmp_path / "this.csv", [("P1", "2026-10-26", "09:00", "17:00", "", 0, "en")]), sc)
    found = evaluate(sc, grid, st, rows).breaks
    assert [(b.rule, b.roster_row) for b in found] == [("min_rest", 2)]
    assert "only 10 h after the previous shift (previous.csv row 2, the week before)" in found[0].detail
    assert evaluate(paris_week(tmp_path / "bare", None)[0], grid, st, rows).breaks == []


def test_days_in_a_row_count_last_weeks_thursday_to_sunday(tmp_path):
    """Worked Thursday to Sunday with max_consecutive_days = 5: Monday may be worked, not Tuesday too, by
    the model, the greedy start and the validator alike."""
    last = [("P1", f"2026-10-{d}", "06:00", "14:00", "", 0, "en") for d in (22, 23, 24, 25)]
    sc, grid, st = paris_week(tmp_path, last, max_consecutive_days=5)
    m = build(sc, grid, st)
    mon = [m.works("P1", j) for j, o in enumerate(m.options["P1"]) if o.day == date(2026, 10, 26)]
    tue = [m.works("P1", j) for j, o in enumerate(m.options["P1"]) if o.day == date(2026, 10, 27)]
    for days, status in (([mon], cp_model.OPTIMAL), ([mon, tue], cp_model.INFEASIBLE)):
        trial = m.model.clone()
        for lits in days:
            trial.Add(sum(lits) == 1)
        assert cp_model.CpSolver().Solve(trial) == status
    picked = {k for k, v in hint_values(m).items() if k.startswith("works(") and v}
    assert not any("day=2026-10-27" in k for k in picked) or not any("day=2026-10-26" in k for k in picked)
    rows = read_roster(previous_csv(tmp_path / "this.csv", [("P1", "2026-10-26", "12:00", "20:00", "", 0, "en"),
                                                            ("P1", "2026-10-27", "12:00", "20:00", "", 0, "en")]), sc)
    found = evaluate(sc, grid, st, rows).breaks
    assert [(b.rule, b.roster_row) for b in found] == [("max_consecutive_days", 3)]
    assert "(4 of them in the week before)" in found[0].detail


def test_a_previous_roster_inside_the_week_or_naming_strangers_is_refused_with_file_row_and_column(tmp_path, capsys):
    sc, grid, st = paris_week(tmp_path, None)
    bad = previous_csv(tmp_path / "last.csv", [("P1", "2026-10-25", "15:00", "23:00", "", 0, "en"),
                                               ("P1", "2026-10-26", "09:00", "17:00", "", 0, "en"),
                                               ("ZZ9", "2026-10-24", "09:00", "17:00", "", 0, "en")])
    r = rota(capsys, "plan", tmp_path / "s", "--week", DST_WEEK, "--previous", bad, "--out", tmp_path / "o")
    assert r.code == 2
    assert "last.csv, row 4, column agent_id: 'ZZ9': unknown agent" in r.err
    bad = previous_csv(tmp_path / "last.csv", [("P1", "2026-10-25", "15:00", "23:00", "", 0, "en"),
                                               ("P1", "2026-10-26", "09:00", "17:00", "", 0, "en")])
    r = rota(capsys, "plan", tmp_path / "s", "--week", DST_WEEK, "--previous", bad, "--out", tmp_path / "o")
    assert r.code == 2
    assert "last.csv, row 3, column date: '2026-10-26 09:00': this shift starts inside the planned week 2026-W44" in r.err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_a_plan_without_previous_says_once_that_the_start_is_unchecked(tmp_path, capsys):
    paris_week(tmp_path, None)
    r = rota(capsys, "plan", tmp_path / "s", "--week", DST_WEEK, "--out", tmp_path / "o", "--time-limit", 2, "--quiet")
    assert r.code == 0 and r.err.count("rest and days in a row across the start of 2026-W44 are unchecked") == 1


# --------------------------------------------------------------------------- re-plan

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def team(tmp_path, name="team", leave=None):
    """Six agents, day shifts at 08:00 or 09:00, about two needed on every hour 09:00-17:00: small enough
    that the plan is proven optimal, so a re-plan has nothing to gain but what the inputs change, and with
    the days to cover for one agent off sick."""
    return write_scenario(
        tmp_path / name, sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent(f"A{k}", cost=10 + k, min_hours=16, max_hours=40, max_days=5) for k in range(1, 7)],
        markets=[{"market": "CN", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 240}],
        shifts=[{"shift": "D", "site": "hq", "start": "08:00-09:00/60", "hours": 9, "break_minutes": 60}],
        forecast=[{"market": "CN", "start": f"{d} {h:02d}:00", "questions": 15} for d in DAYS for h in range(9, 17)],
        leave=leave, shortfall=60.0, policy_extra="\n[fairness]\nnights_weight = 0\nweekends_weight = 0\n")


WEEK = date(2026, 11, 30)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("published")
    sc = load_scenario(team(tmp))
    p = make_plan(sc, WEEK, time_limit=5)
    assert p.result.status == "OPTIMAL"
    workbook, _ = write_workbook(p, tmp / "out")
    return tmp, workbook, p


def test_replan_with_nothing_changed_changes_nothing(published):
    tmp, workbook, p = published
    sc = load_scenario(team(tmp))
    grid = planning_grid(sc, WEEK)
    r = replan(sc, workbook, parse_from("Wed 00:00", grid), time_limit=5)
    assert r.changes == [] and r.plan.evaluation.changes == []
    assert r.frozen == sum(1 for s in p.evaluation.shifts if s.row.date < date(2026, 12, 2))
    pd.testing.assert_frame_equal(r.plan.roster, p.roster)


def test_one_agent_off_sick_from_wednesday_changes_only_their_week_and_the_cover(published):
    tmp, workbook, p = published
    sick = next(a for a in ("A1", "A2", "A3", "A4", "A5", "A6")
                if any(s.row.agent_id == a and s.row.date >= date(2026, 12, 2) for s in p.evaluation.shifts))
    leave = [{"agent_id": sick, "start": "2026-12-02", "end": "2026-12-06", "reason": "sick"}]
    sc = load_scenario(team(tmp, "sick", leave))
    grid = planning_grid(sc, WEEK)
    since = parse_from("2026-12-02 00:00", grid)
    r = replan(sc, workbook, since, time_limit=5)
    new = r.plan.roster
    old = p.roster
    frozen = old[old["date"] < "2026-12-02"]
    assert len(frozen) == r.frozen > 0
    pd.testing.assert_frame_equal(new[new["date"] < "2026-12-02"].reset_index(drop=True), frozen.reset_index(drop=True))
    sick_later = old[(old["agent_id"] == sick) & (old["date"] >= "2026-12-02")]
    removed = [c for c in r.changes if c["agent_id"] == sick]
    assert len(removed) == len(sick_later) > 0 and {c["why"] for c in removed} == {"leave"}
    others = [c for c in r.changes if c["agent_id"] != sick]
    sick_days = set(sick_later["date"])
    assert all(c["why"] == "demand" and str(c["date"]) in sick_days and c["change"] in ("added", "moved") for c in others)
    assert r.plan.evaluation.breaks == []
    fresh = make_plan(sc, WEEK, time_limit=5)
    assert r.plan.evaluation.shortfall_cost <= fresh.evaluation.shortfall_cost + 0.01 * fresh.total
    assert r.before.shortfall_hours > r.plan.evaluation.shortfall_hours  # the cover bought something
    # The model priced exactly the changes the validator counts.
    assert r.plan.result.objective == pytest.approx(r.plan.total + len(r.changes) * sc.policy.costs.change_cost, abs=0.05)
    again = replan(sc, workbook, since, time_limit=5)  # the same inputs, seed and limit: the same re-plan
    pd.testing.assert_frame_equal(again.plan.roster, new)
    assert again.changes == r.changes


def test_the_search_starts_from_the_rota_it_is_given(published):
    """A published rota (or a what-if baseline) as the hint: exactly its shifts, with their breaks."""
    from scheduler.io.roster import fixed_shifts
    from scheduler.search.greedy import kept_hint_values

    tmp, _, p = published
    m = build(p.scenario, p.grid, p.staffing)
    hint = kept_hint_values(m, fixed_shifts(p.scenario, [s.row for s in p.evaluation.shifts], "published"))
    chosen = {k for k, v in hint.items() if k.startswith("works(") and v}
    assert chosen == {m.works(s.option.agent_id, m.options[s.option.agent_id].index(s.option)).Name()
                      for s in p.result.shifts}
    breaks = {k for k, v in hint.items() if k.startswith("break(") and v}
    assert len(breaks) == len(chosen) and all(f"offset={s.break_offset})" in " ".join(breaks) for s in p.result.shifts)


def test_replan_command_writes_a_changes_sheet_and_keeps_the_published_plan(published, capsys):
    from openpyxl import load_workbook

    tmp, workbook, p = published
    sick = next(s.row.agent_id for s in p.evaluation.shifts if s.row.date == date(2026, 12, 3))
    leave = [{"agent_id": sick, "start": "2026-12-03", "end": "2026-12-03", "reason": "sick"}]
    folder = team(tmp, "cli", leave)
    out = tmp / "replans"
    before = workbook.read_bytes()
    r = rota(capsys, "replan", folder, workbook, "--from", "2026-12-03 00:00", "--out", out, "--time-limit", 3, "--quiet")
    assert r.code == 0, r.err
    assert workbook.read_bytes() == before
    made = out / "cli-2026-W49-replan-20261203-0000.xlsx"
    wb = load_workbook(made, read_only=True)
    rows = [r for r in wb["Changes"].iter_rows(values_only=True) if any(v is not None for v in r)]
    assert rows[0] == ("agent_id", "name", "date", "change", "before", "after", "why")
    assert (sick, f"Agent {sick}", "removed", "leave") in {(r[0], r[1], r[3], r[6]) for r in rows[1:]}
    summary = dict(list(wb["Summary"].iter_rows(values_only=True))[2:])
    assert summary["changes"] == len(rows) - 1 and summary["replan_from"] == "2026-12-03 00:00 Asia/Shanghai"
    assert "Re-plan from 2026-12-03 00:00 Asia/Shanghai" in r.out
    again = rota(capsys, "replan", folder, workbook, "--from", "2026-12-03 00:00", "--out", out, "--time-limit", 3)
    assert again.code == 2 and "already exist; use --force" in again.err
