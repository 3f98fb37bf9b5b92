"""Fair nights and weekends, and agents' requests: in the model, the validator and the reports."""

from __future__ import annotations

from datetime import date, timezone

import pytest

from scenario_builder import agent, write_csv, write_scenario
from scheduler.errors import InputError, RotaError
from scheduler.io.roster import read_roster
from scheduler.io.scenario import load_scenario
from scheduler.plan import make_plan
from scheduler.validate import evaluate

WEEK = date(2026, 11, 30)
MON, WED, FRI = "2026-11-30", "2026-12-02", "2026-12-04"


def night_week(tmp_path, costs=(10, 11, 12), fairness=(40, 40), requests=None, **contract):
    """Three agents of one group; a night template only (22:00, 8 h); questions on Monday, Wednesday and
    Friday nights for one agent each. By cost alone the cheapest agent works all three."""
    nights = [f"{d} {h:02d}:00" for d in ("Mon", "Wed", "Fri") for h in (22, 23)] + \
             [f"{d} {h:02d}:00" for d in ("Tue", "Thu", "Sat") for h in range(0, 6)]
    folder = write_scenario(
        tmp_path / "s", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent(f"A{k}", cost=c, max_days=5, **contract) for k, c in enumerate(costs, start=1)],
        markets=[{"market": "CN", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 120}],
        shifts=[{"shift": "N", "site": "hq", "start": "22:00", "hours": 8}],
        forecast=[{"market": "CN", "start": t, "questions": 6} for t in nights],
        policy_extra=f"\n[fairness]\nnights_weight = {fairness[0]}\nweekends_weight = {fairness[1]}\n")
    if requests:
        write_csv(folder / "requests.csv", requests)
    return load_scenario(folder)


def who_works(p) -> dict[str, str]:
    return {str(s.row.date): s.row.agent_id for s in p.evaluation.shifts}


def test_fairness_spreads_three_nights_one_each_at_the_wage_it_costs(tmp_path):
    unfair = make_plan(night_week(tmp_path / "cost", fairness=(0, 0)), WEEK, time_limit=5)
    assert who_works(unfair) == {MON: "A1", WED: "A1", FRI: "A1"} and unfair.evaluation.cost == 240.0
    fair = make_plan(night_week(tmp_path / "fair"), WEEK, time_limit=5)
    assert sorted(who_works(fair).values()) == ["A1", "A2", "A3"]
    assert fair.evaluation.cost == 264.0  # 8 h at 10, 11 and 12: fairness costs 24 here, against 3 x 40 of spread
    assert fair.evaluation.shortfall_hours == unfair.evaluation.shortfall_hours
    g = fair.evaluation.people.groups
    assert (g["nights_fewest"].iloc[0], g["nights_most"].iloc[0]) == (1, 1) and fair.evaluation.people.fairness_cost == 0
    people = unfair.evaluation.people.agents.set_index("agent_id")
    assert list(people["nights"]) == [3, 0, 0] and unfair.evaluation.people.fairness_cost == 0  # weight 0
    assert fair.result.objective == pytest.approx(fair.evaluation.objective, abs=0.01)


def test_a_hard_request_is_never_broken_and_a_hand_made_break_of_it_is_found(tmp_path):
    sc = night_week(tmp_path, fairness=(0, 0), requests=[
        {"agent_id": "A1", "date_or_weekday": "Wed", "from": "", "to": "", "kind": "avoid", "weight": 1, "must": "yes"}])
    p = make_plan(sc, WEEK, time_limit=5)
    assert who_works(p)[WED] != "A1" and who_works(p)[MON] == "A1"
    assert p.evaluation.people.agents.set_index("agent_id").loc["A1", "requests_granted"] == 1
    write_csv(tmp_path / "r.csv", [{"agent_id": "A1", "date": WED, "start": "22:00", "end": "06:00", "queues": "en"}])
    found = evaluate(sc, p.grid, p.staffing, read_roster(tmp_path / "r.csv", sc)).breaks
    assert [(b.rule, b.roster_row) for b in found] == [("requests", 2)]
    assert "the hard request 'must avoid Wed' (requests.csv row 2)" in found[0].detail


def test_a_soft_request_is_granted_where_it_costs_nothing(tmp_path):
    wish = [{"agent_id": "A2", "date_or_weekday": FRI, "from": "22:00", "to": "24:00", "kind": "prefer", "weight": 2,
             "must": "no"}]
    p = make_plan(night_week(tmp_path, costs=(10, 10, 12), fairness=(0, 0), requests=wish), WEEK, time_limit=5)
    assert who_works(p)[FRI] == "A2" and who_works(p)[MON] in ("A1", "A2")
    assert p.evaluation.people.requests_cost == -4.0  # two hours inside the window, at 2 an hour: a reward
    assert p.evaluation.people.agents.set_index("agent_id").loc["A2", "requests_granted"] == 1


def test_hard_requests_that_leave_a_contract_impossible_are_diagnosed_by_agent(tmp_path):
    days = ("Mon", "Tue", "Wed")
    sc = night_week(tmp_path, fairness=(0, 0), min_hours=40, max_hours=40, requests=[
        {"agent_id": "A1", "date_or_weekday": d, "from": "", "to": "", "kind": "avoid", "weight": 1, "must": "yes"}
        for d in days])
    with pytest.raises(RotaError, match=r"agent A1 \(agents.csv row 2\): min_hours 40 cannot be reached: at most 32 "
                                        r"paid hours .* hard requests \(requests.csv rows 2, 3, 4\)"):
        make_plan(sc, WEEK, time_limit=5)


def test_more_hard_requests_than_the_policy_allows_is_an_input_error(tmp_path):
    rows = [{"agent_id": "A1", "date_or_weekday": d, "from": "", "to": "", "kind": "avoid", "weight": 1, "must": "yes"}
            for d in ("Mon", "Tue", "Wed", "Thu")]
    rows.append({"agent_id": "A2", "date_or_weekday": "Someday", "from": "10:00", "to": "", "kind": "avoid",
                 "weight": 1, "must": "maybe"})
    with pytest.raises(InputError) as e:
        night_week(tmp_path, requests=rows)
    text = str(e.value)
    assert "requests.csv, row 5, column must: 'yes': A1 has more than 3 hard requests in a week" in text
    assert "requests.csv, row 6, column date_or_weekday: 'Someday': expected a date YYYY-MM-DD or a weekday" in text
    assert "requests.csv, row 6, column must: 'maybe': expected yes or no" in text


# --------------------------------------------------------------------------- calendars

def paris_rows(tmp_path, sc, shifts):
    write_csv(tmp_path / "rows.csv", [{"agent_id": a, "date": d, "start": s, "end": e, "break_start": b,
                                       "break_minutes": 60 if b else 0, "queues": "en"} for a, d, s, e, b in shifts])
    return read_roster(tmp_path / "rows.csv", sc)


def paris(tmp_path):
    """Two Paris agents planned on Shanghai's clock; in the week of 2026-10-19 Europe/Paris goes back to
    winter time (Sunday 2026-10-25, 03:00): that Sunday's clock is an hour further from UTC than Saturday's."""
    folder = write_scenario(
        tmp_path / "paris", sites=[{"site": "paris", "timezone": "Europe/Paris"}],
        agents=[agent(f"P{k}", site="paris", max_days=5, max_hours=48) for k in (1, 2, 3)],
        markets=[{"market": "FR", "timezone": "Europe/Paris", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "paris", "start": "06:00-20:00/60", "hours": 9, "break_minutes": 60}],
        forecast=[{"market": "FR", "start": f"{d} {h:02d}:00", "questions": 10}
                  for d in ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat") for h in range(8, 23)])
    return load_scenario(folder)


def test_calendars_parse_back_with_every_event_at_the_rosters_utc_instants_in_a_dst_week(tmp_path, capsys):
    import icalendar
    import pandas as pd

    from clirun import rota

    paris(tmp_path)
    out = tmp_path / "out"
    r = rota(capsys, "plan", tmp_path / "paris", "--week", "2026-10-19", "--out", out, "--time-limit", 3, "--quiet",
             "--calendars")
    assert r.code == 0 and "updated 3 agents' calendars" in r.out
    roster = pd.read_csv(out / "paris-2026-W43-roster.csv", encoding="utf-8-sig")
    seen = set()
    for path in sorted((out / "calendars").glob("*.ics")):
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        assert [str(t.get("tzid")) for t in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
        for e in cal.walk("VEVENT"):
            start, end = (e.decoded(k).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                          for k in ("dtstart", "dtend"))
            assert e["dtstart"].params["TZID"] == "Europe/Paris"
            seen.add((path.stem, start, end))
    assert seen == set(zip(roster["agent_id"], roster["start_utc"], roster["end_utc"]))
    assert {s[:10] for _, s, _ in seen} >= {"2026-10-24", "2026-10-25"}  # either side of the change
    before = {p.name: p.read_bytes() for p in (out / "calendars").glob("*.ics")}
    again = rota(capsys, "plan", tmp_path / "paris", "--week", "2026-10-19", "--out", out, "--time-limit", 3, "--quiet",
                 "--calendars", "--force")
    assert again.code == 0 and {p.name: p.read_bytes() for p in (out / "calendars").glob("*.ics")} == before


def test_a_moved_shift_changes_one_event_with_a_higher_sequence_and_a_removed_one_is_cancelled_once(tmp_path):
    import icalendar

    from scheduler.calendar import planning_grid
    from scheduler.io.calendars import agent_calendar, uid
    from scheduler.staffing import compute_staffing

    sc = paris(tmp_path)
    grid = planning_grid(sc, date(2026, 10, 26))
    st = compute_staffing(sc, grid)
    week = [("P1", "2026-10-26", "08:00", "17:00", "12:00"), ("P1", "2026-10-27", "08:00", "17:00", "12:00"),
            ("P1", "2026-10-28", "08:00", "17:00", "12:00")]
    published = agent_calendar(evaluate(sc, grid, st, paris_rows(tmp_path, sc, week)), "P1", None)
    moved = week[:1] + [("P1", "2026-10-27", "10:00", "19:00", "14:00")]  # Tuesday later, Wednesday gone
    again = agent_calendar(evaluate(sc, grid, st, paris_rows(tmp_path, sc, moved)), "P1",
                           icalendar.Calendar.from_ical(published.to_ical()))

    def events(cal):
        return {str(e["uid"]): (e["dtstart"].to_ical(), int(e["sequence"]), str(e["status"])) for e in cal.walk("VEVENT")}
    old, new = events(published), events(again)
    mon, tue, wed = (uid("P1", date(2026, 10, d)) for d in (26, 27, 28))
    assert new[mon] == old[mon]
    assert new[tue] == (b"20261027T100000", 1, "CONFIRMED") and old[tue][1] == 0
    assert new[wed][1:] == (1, "CANCELLED")
    third = agent_calendar(evaluate(sc, grid, st, paris_rows(tmp_path, sc, moved)), "P1",
                           icalendar.Calendar.from_ical(again.to_ical()))
    assert set(events(third)) == {mon, tue} and events(third)[tue][1] == 1  # cancelled once, then gone


def test_with_previous_the_nights_of_the_weeks_before_count_toward_fairness(tmp_path):
    """A1, the cheapest, worked three nights last week: over the weeks counted, this week's three nights go
    to the others (3/2/1 is the narrowest spread left), though cost alone would give them all to A1."""
    from scheduler.io.roster import read_previous

    sc = night_week(tmp_path)
    last = [{"agent_id": "A1", "date": d, "start": "22:00", "end": "06:00", "queues": "en"}
            for d in ("2026-11-23", "2026-11-25", "2026-11-27")]
    write_csv(tmp_path / "last.csv", last)
    sc.continuity.previous, sc.continuity.previous_file = read_previous(tmp_path / "last.csv", sc)
    p = make_plan(sc, WEEK, time_limit=5)
    assert "A1" not in who_works(p).values() and len(who_works(p)) == 3
    g = p.evaluation.people.groups.iloc[0]
    assert (g["nights_fewest"], g["nights_most"]) == (1, 3)
