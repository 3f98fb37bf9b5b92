"""The planning grid: time zones, DST weeks, off-grid offsets, conservation of questions."""

from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scenario_builder import agent, write_scenario
from scheduler.calendar import Grid, forecast_on_grid, leave_spans, planning_grid
from scheduler.errors import InputError
from scheduler.io.scenario import load_scenario

SITES = [{"site": "hq", "timezone": "Asia/Shanghai"}]
SHIFTS = [{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}]


def scenario(tmp_path: Path, markets, forecast, tz="Asia/Shanghai", interval=60, leave=None, name="s"):
    folder = write_scenario(tmp_path / name, sites=SITES, agents=[agent("A1", languages="en")], markets=markets,
                            shifts=SHIFTS, forecast=forecast, tz=tz, interval=interval, leave=leave)
    return load_scenario(folder)


def market(code, tz, lang="en"):
    return {"market": code, "timezone": tz, "language": lang, "aht_seconds": 180}


def test_grid_is_a_real_week_in_absolute_time():
    g = Grid("Europe/Paris", date(2026, 10, 19), 7, 60)  # contains the change of 2026-10-25
    assert g.minutes == 169 * 60 and g.size == 169
    assert g.start == datetime(2026, 10, 18, 22, 0, tzinfo=timezone.utc)
    assert Grid("Asia/Shanghai", date(2026, 11, 30), 7, 15).size == 672


def test_week_of_2026_10_26_keeps_every_question_across_the_us_change(tmp_path):
    # New York, dated hourly rows for the whole local week; 01:00 on 11-01 happens twice (file order).
    rows = []
    for day in range(26, 32):
        rows += [{"market": "US", "start": f"2026-10-{day} {h:02d}:00", "questions": 10} for h in range(24)]
    for h in range(24):
        rows.append({"market": "US", "start": f"2026-11-01 {h:02d}:00", "questions": 10})
        if h == 1:
            rows.append({"market": "US", "start": "2026-11-01 01:00", "questions": 10})  # the repeated hour
    sc = scenario(tmp_path, [market("US", "America/New_York")], rows, tz="America/New_York")
    grid = planning_grid(sc, date(2026, 10, 26))
    assert grid.size == 169  # the planning zone's own week has the extra hour
    per_market, outside = forecast_on_grid(sc, grid)
    assert per_market["US"].sum() == pytest.approx(len(rows) * 10)
    assert outside["US"] == pytest.approx(0)
    assert np.allclose(per_market["US"], 10)  # every real hour has exactly one row


def test_europe_changed_the_day_before(tmp_path):
    # Paris typical week planned on a Shanghai grid for the week after Europe's change: all questions land.
    rows = [{"market": "FR", "start": f"{d} {h:02d}:00", "questions": 5}
            for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun") for h in range(24)]
    sc = scenario(tmp_path, [market("FR", "Europe/Paris", "fr")], rows)
    per_market, _ = forecast_on_grid(sc, planning_grid(sc, date(2026, 10, 26)))
    assert per_market["FR"].sum() == pytest.approx(168 * 5)
    # Paris is UTC+1 after 10-25: local Mon 00:00 is Shanghai Mon 07:00, interval 7.
    assert per_market["FR"][7] == pytest.approx(5)


def test_nonexistent_local_time_is_an_error_naming_the_row(tmp_path):
    rows = [{"market": "US", "start": "2026-03-08 01:00", "questions": 1},
            {"market": "US", "start": "2026-03-08 02:30", "questions": 1}]
    with pytest.raises(InputError, match="1 problem in the input") as e:
        scenario(tmp_path, [market("US", "America/New_York")], rows)
    [p] = e.value.problems
    assert (p.file, p.row, p.column) == ("forecast.csv", 3, "start")
    assert "does not exist" in p.expected


def test_ambiguous_time_follows_file_order_or_offset(tmp_path):
    rows = [{"market": "US", "start": "2026-11-01 01:00", "questions": 3},
            {"market": "US", "start": "2026-11-01 01:00", "questions": 7},
            {"market": "US", "start": "2026-11-01T01:30:00-05:00", "questions": 100}]
    sc = scenario(tmp_path, [market("US", "America/New_York")], rows, interval=30)
    first, second, explicit = sc.forecast
    assert first.instant == datetime(2026, 11, 1, 5, 0, tzinfo=timezone.utc)  # EDT, -04:00
    assert second.instant == datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)  # EST, -05:00
    assert explicit.instant == datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("tz, start, split", [
    ("Asia/Kolkata", "Mon 10:00", {12: 0.5, 13: 0.5}),  # 04:30Z = 12:30 Shanghai
    ("Asia/Kathmandu", "Mon 10:00", {12: 0.75, 13: 0.25}),  # 04:15Z = 12:15 Shanghai
    ("Asia/Shanghai", "Mon 10:00", {10: 1.0}),
])
def test_off_grid_offsets_split_by_overlap(tmp_path, tz, start, split):
    sc = scenario(tmp_path, [market("M", tz)], [{"market": "M", "start": start, "questions": 100}])
    per_market, _ = forecast_on_grid(sc, planning_grid(sc, date(2026, 11, 30)))
    assert {int(i): round(float(v), 6) for i, v in enumerate(per_market["M"]) if v} == {i: 100 * f for i, f in split.items()}


def test_typical_week_wraps_across_the_week_end(tmp_path):
    # New York Sun 11:00 (EST) = Shanghai Mon 00:00 of the *next* week: it re-enters at the start.
    rows = [{"market": "US", "start": "Sun 10:30", "questions": 60}]
    sc = scenario(tmp_path, [market("US", "America/New_York")], rows, interval=60,
                  name="wrap")
    sc.forecast_minutes["US"] = 60
    per_market, _ = forecast_on_grid(sc, planning_grid(sc, date(2026, 11, 30)))
    assert per_market["US"].sum() == pytest.approx(60)
    assert per_market["US"][167] == pytest.approx(30) and per_market["US"][0] == pytest.approx(30)


def test_typical_leave_and_dated_leave_become_spans(tmp_path):
    leave = [{"agent_id": "A1", "start": "Wed", "end": "Thu", "reason": "annual"},
             {"agent_id": "A1", "start": "2026-12-05 13:00", "end": "2026-12-05 18:00", "reason": "medical"}]
    sc = scenario(tmp_path, [market("US", "America/New_York")], [{"market": "US", "start": "Mon 10:00", "questions": 1}],
                  leave=leave)
    grid = planning_grid(sc, date(2026, 11, 30))
    assert leave_spans(sc, grid, "A1") == [(2 * 1440, 4 * 1440), (5 * 1440 + 13 * 60, 5 * 1440 + 18 * 60)]



def test_typical_leave_past_sunday_covers_the_start_of_the_planned_week(tmp_path):
    """Standing leave Sat to Mon is off every Saturday to Monday: this week's Monday (from last week's
    Saturday) as well as this Saturday and Sunday (to next Monday, past the week)."""
    leave = [{"agent_id": "A1", "start": "Sat", "end": "Mon", "reason": "standing"}]
    sc = scenario(tmp_path, [market("US", "America/New_York")], [{"market": "US", "start": "Mon 10:00", "questions": 1}],
                  leave=leave)
    grid = planning_grid(sc, date(2026, 11, 30))
    assert leave_spans(sc, grid, "A1") == [(-2 * 1440, 1440), (5 * 1440, 8 * 1440)]


def test_typical_leave_that_ends_before_it_starts_on_its_own_weekday_is_an_error(tmp_path):
    leave = [{"agent_id": "A1", "start": "Fri 13:00", "end": "Fri 09:00", "reason": "half day"}]
    with pytest.raises(InputError, match="1 problem in the input") as e:
        scenario(tmp_path, [market("US", "America/New_York")], [{"market": "US", "start": "Mon 10:00", "questions": 1}],
                 leave=leave)
    [p] = e.value.problems
    assert (p.file, p.row, p.column) == ("leave.csv", 2, "end") and "expected a moment after start" in p.expected

ZONES = ["Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Europe/London", "Australia/Sydney",
         "Pacific/Chatham", "America/St_Johns", "Asia/Shanghai", "America/Sao_Paulo"]
WEEKS = [date(2026, 10, 26), date(2026, 3, 30), date(2026, 11, 2), date(2026, 4, 6), date(2026, 11, 30)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(zone=st.sampled_from(ZONES), plan_zone=st.sampled_from(ZONES), week=st.sampled_from(WEEKS),
       interval=st.sampled_from([15, 30, 60]),
       rows=st.dictionaries(st.tuples(st.integers(0, 6), st.integers(0, 23), st.sampled_from([0, 30])),
                            st.floats(0, 500, allow_nan=False), min_size=1, max_size=40))
def test_typical_week_conserves_questions(tmp_path_factory, zone, plan_zone, week, interval, rows):
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    forecast = [{"market": "M", "start": f"{days[d]} {h:02d}:{m:02d}", "questions": q} for (d, h, m), q in rows.items()]
    if sum(rows.values()) <= 0:
        forecast[0]["questions"] = 1.0
    sc = scenario(tmp_path_factory.mktemp("p"), [market("M", zone)], forecast, tz=plan_zone, interval=interval)
    per_market, _ = forecast_on_grid(sc, planning_grid(sc, week))
    assert per_market["M"].sum() == pytest.approx(sum(r["questions"] for r in forecast), rel=1e-9, abs=1e-6)
    assert (per_market["M"] >= 0).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(zone=st.sampled_from(ZONES), plan_zone=st.sampled_from(ZONES), week=st.sampled_from(WEEKS),
       interval=st.sampled_from([15, 30, 60]))
def test_dated_rows_inside_the_week_conserve_questions(tmp_path_factory, zone, plan_zone, week, interval):
    # Every UTC hour of a span well inside the week, as rows with explicit offsets: nothing lost, nothing doubled.
    grid = Grid(plan_zone, week, 7, interval)
    start = grid.start.replace(minute=0) + (grid.end - grid.start) / 7
    forecast = []
    for k in range(72):
        t = (start + k * (grid.end - grid.start) / 168).replace(second=0, microsecond=0)
        t = t.replace(minute=0)
        forecast.append({"market": "M", "start": t.isoformat(), "questions": 1 + k % 7})
    sc = scenario(tmp_path_factory.mktemp("d"), [market("M", zone)], forecast, tz=plan_zone, interval=interval)
    per_market, outside = forecast_on_grid(sc, planning_grid(sc, week))
    assert per_market["M"].sum() + outside["M"] == pytest.approx(sum(r["questions"] for r in forecast))
    assert outside["M"] == pytest.approx(0)
