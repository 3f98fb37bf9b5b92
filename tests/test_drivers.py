"""Live streams, event days and the bot: what drives the questions, on the grid, in the history and in
what-if (issue 24)."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from clirun import rota
from scenario_builder import agent, write_csv, write_scenario
from scheduler.calendar import planning_grid
from scheduler.errors import InputError
from scheduler.io.history import load_history
from scheduler.io.scenario import load_scenario
from scheduler.staffing import compute_staffing

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def week_of(tmp_path, market: str, tz: str, streams=None, events=None, per_hour: float = 60.0, name="d"):
    """One market with the same questions every hour of a typical week, planned in Asia/Shanghai."""
    folder = write_scenario(
        tmp_path / name, sites=[{"site": "hq", "timezone": "Asia/Shanghai"}], agents=[agent("A1", min_hours=0)],
        markets=[{"market": market, "timezone": tz, "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
        forecast=[{"market": market, "start": f"{d} {h:02d}:00", "questions": per_hour} for d in DAYS for h in range(24)])
    for name_, rows in (("streams", streams), ("events", events)):
        if rows is not None:
            write_csv(folder / f"{name_}.csv", rows)
    return load_scenario(folder)


def questions(sc, week: date) -> np.ndarray:
    return compute_staffing(sc, planning_grid(sc, week)).markets["questions"].to_numpy()


def stream(market, start, end, factor=1.0, extra=0.0, tail=0):
    return {"market": market, "start": start, "end": end, "factor": factor, "extra_per_hour": extra, "tail_minutes": tail}


def test_a_stream_lands_on_the_grid_by_overlap_in_a_half_hour_zone_and_nothing_else_moves(tmp_path):
    # Fri 20:30-22:00 in Kolkata (+05:30) is 23:00-00:30 in Shanghai (+08:00): one whole hour and a half.
    plain = questions(week_of(tmp_path, "IN", "Asia/Kolkata", name="plain"), date(2026, 11, 30))
    sc = week_of(tmp_path, "IN", "Asia/Kolkata", streams=[stream("IN", "Fri 20:30", "Fri 22:00", factor=2)])
    with_stream = questions(sc, date(2026, 11, 30))
    fri_23 = 4 * 24 + 23
    assert with_stream[fri_23] == pytest.approx(120) and with_stream[fri_23 + 1] == pytest.approx(90)
    others = np.ones(len(plain), dtype=bool)
    others[[fri_23, fri_23 + 1]] = False
    assert np.array_equal(with_stream[others], plain[others])  # bit for bit
    staffing_plain = compute_staffing(week_of(tmp_path, "IN", "Asia/Kolkata", name="p2"), planning_grid(sc, date(2026, 11, 30)))
    staffing = compute_staffing(sc, planning_grid(sc, date(2026, 11, 30)))
    req, req_plain = staffing.frame["required"].to_numpy(), staffing_plain.frame["required"].to_numpy()
    assert np.array_equal(req[others], req_plain[others]) and req[fri_23] > req_plain[fri_23]


def test_a_stream_across_the_new_york_change_to_winter_time_lands_on_its_real_hour(tmp_path):
    # Week of 2026-10-26 (Shanghai). Sunday 1 November 10:00 in New York is EST (-05:00) after the change
    # that night: 15:00 UTC, 23:00 Shanghai, the last interval of the week (with EDT it would be 22:00).
    plain = questions(week_of(tmp_path, "US", "America/New_York", name="plain"), date(2026, 10, 26))
    sc = week_of(tmp_path, "US", "America/New_York", streams=[stream("US", "Sun 10:00", "Sun 11:00", factor=3)])
    q = questions(sc, date(2026, 10, 26))
    assert q[167] == pytest.approx(3 * plain[167]) and plain[167] == 60 and np.flatnonzero(q != plain).tolist() == [167]
    # Saturday 20:00 New York, still EDT (-04:00): 00:00 UTC Sunday, 08:00 Shanghai, interval 6 x 24 + 8.
    sc = week_of(tmp_path, "US", "America/New_York", streams=[stream("US", "Sat 20:00", "Sat 21:00", factor=3)], name="sat")
    q = questions(sc, date(2026, 10, 26))
    assert q[6 * 24 + 8] == pytest.approx(180) and np.flatnonzero(q != plain).tolist() == [6 * 24 + 8]


def test_tail_extra_and_an_event_day_compose(tmp_path):
    # Shanghai market on the planning clock: interval k is local hour k of the week.
    sc = week_of(tmp_path, "CN", "Asia/Shanghai",
                 streams=[stream("CN", "Mon 20:00", "Mon 21:00", factor=3, tail=60),
                          stream("CN", "Tue 10:00", "Tue 10:30", extra=30)],
                 events=[{"market": "*", "date": "2026-12-01", "end_date": "", "factor": 1.5, "name": "sale"}])
    q = questions(sc, date(2026, 11, 30))
    assert q[20] == pytest.approx(180)  # x3
    assert q[21] == pytest.approx(120)  # the tail: from x3 back to x1 linearly, x2 on average over the hour
    assert q[22] == pytest.approx(60)
    assert q[24 + 10] == pytest.approx(60 * 1.5 + 15)  # the event day, and 30/h for half an hour
    assert q[24 + 11] == pytest.approx(90) and q[47] == pytest.approx(90) and q[48] == pytest.approx(60)


def test_bad_stream_and_event_rows_are_named_all_at_once(tmp_path):
    with pytest.raises(InputError, match="5 problems in the input") as e:
        week_of(tmp_path, "CN", "Asia/Shanghai",
                streams=[stream("CN", "Fri 22:00", "Fri 20:00", 2), stream("XX", "Fri 20:00", "Fri 21:00", 2),
                         stream("CN", "Fri 20:00", "Fri 21:00", -1)],
                events=[{"market": "CN", "date": "2026-12-02", "end_date": "2026-12-01", "factor": 2, "name": "x"},
                        {"market": "CN", "date": "Fri", "end_date": "", "factor": 2, "name": "y"}])
    found = [(p.file, p.row, p.column) for p in e.value.problems]
    assert found == [("streams.csv", 4, "factor"), ("streams.csv", 2, "end"), ("streams.csv", 3, "market"),
                     ("events.csv", 2, "end_date"), ("events.csv", 3, "date")]


def test_a_dated_stream_outside_the_planned_week_is_a_note_not_an_error(tmp_path, capsys):
    sc = week_of(tmp_path, "CN", "Asia/Shanghai", streams=[stream("CN", "2026-11-11 20:00", "2026-11-11 22:00", 2)])
    st = compute_staffing(sc, planning_grid(sc, date(2026, 11, 30)))
    assert st.notes == ["streams.csv, row 2: stream CN 2026-11-11 20:00-2026-11-11 22:00 x2 is outside the planned "
                        "week 2026-W49; not applied"]
    assert np.all(st.markets["questions"].to_numpy() == 60)
    r = rota(capsys, "staffing", sc.path, "--week", "2026-11-30", "--out", tmp_path / "o")
    assert r.code == 0 and "note: streams.csv, row 2" in r.out


def test_the_bot_sweep_lowers_the_required_agent_hours_at_every_step(tmp_path):
    from scheduler import whatif as W

    sc = week_of(tmp_path, "CN", "Asia/Shanghai", per_hour=120)
    sweep = W.parse_bot("*=0.30..0.50/0.05")
    assert sweep.shares == (0.3, 0.35, 0.4, 0.45, 0.5)
    hours = []
    for v in W.variants([sweep])[1:]:
        changed = W.apply(sc, list(v.changes))
        assert changed.markets["CN"].bot_deflection == pytest.approx(float(v.name[4:]))
        hours.append(float(compute_staffing(changed, planning_grid(sc, date(2026, 11, 30))).frame["required"].sum()))
    assert all(a >= b for a, b in zip(hours, hours[1:])) and hours[0] > hours[-1], hours  # whole agents: steps


def test_bot_and_stream_options_are_checked(tmp_path):
    from scheduler import whatif as W
    from scheduler.errors import RotaError

    with pytest.raises(RotaError, match="expected MARKET=SHARE or MARKET=A..B/STEP"):
        W.parse_bot("*=0.5..0.3/0.05")
    with pytest.raises(RotaError, match="expected a moment after start"):
        W.parse_stream("FR Fri 22:00 Fri 20:00 2")
    change = W.parse_stream("FR Fri 20:00 Fri 22:00 2")
    assert change.describe() == "stream FR Fri 20:00-Fri 22:00 x2"
    sc = week_of(tmp_path, "FR", "Europe/Paris")
    assert len(W.apply(sc, [change]).streams) == 1
    with pytest.raises(RotaError, match="unknown market"):
        W.apply(sc, [W.parse_stream("XX Fri 20:00 Fri 22:00 2")])


# ------------------------------------------------------------------ the history both ways

def synthetic_history(path, weeks: int, rate_per_hour: int, stream_factor: float):
    """FR questions at a steady rate, every hour of `weeks` weeks from Monday 2026-10-26 (Paris), with every
    Friday 20:00-22:00 at `stream_factor` times the rate."""
    import pytz

    paris = pytz.timezone("Europe/Paris")
    rows = []
    start = datetime(2026, 10, 26)
    for h in range(weeks * 7 * 24):
        local = start + timedelta(hours=h)
        n = rate_per_hour * (stream_factor if local.weekday() == 4 and 20 <= local.hour < 22 else 1)
        for k in range(int(n)):
            t = paris.localize(local + timedelta(seconds=3600 * (k + 0.5) / n), is_dst=False).astimezone(timezone.utc)
            rows.append(["FR", t.strftime("%Y-%m-%dT%H:%M:%SZ"), "", "", "bot", 0, 1, "fr"])
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["market", "arrived_at", "first_reply_at", "ended_at", "handled_by", "complex", "resolved",
                    "reply_language"])
        w.writerows(rows)
    return path


def test_streams_divided_out_of_the_history_give_back_the_typical_week_and_review_sees_the_uplift(tmp_path):
    from scheduler import forecasting as F
    from scheduler import reviewing as R

    sc = week_of(tmp_path, "FR", "Europe/Paris", streams=[stream("FR", "Fri 20:00", "Fri 22:00", factor=2)],
                 per_hour=12)
    history = load_history(synthetic_history(tmp_path / "history.csv", 4, 12, 2.0), sc)
    fri_20 = [k for k, r in F.forecast(history, sc, 4).rows.iterrows() if r["start"] in ("Fri 20:00", "Fri 21:00")]
    plain = F.forecast(history, sc, 4).rows["questions"].to_numpy()
    cleaned = F.forecast(history, sc, 4, sc.streams, []).rows["questions"].to_numpy()
    assert plain[fri_20] == pytest.approx([24, 24], rel=0.05)  # learned as if every Friday had its stream
    assert cleaned == pytest.approx(np.full(168, 12.0), rel=0.05)  # the typical week, within 5 %
    uplifts = R.stream_uplifts(history, sc, sc.streams)
    assert len(uplifts) == 4 and uplifts["realised_uplift"].to_numpy() == pytest.approx([2.0] * 4, rel=0.05)
    assert list(uplifts["planned_factor"]) == [2.0] * 4


def test_review_and_forecast_take_the_history_weeks_streams_from_files(tmp_path, capsys):
    from openpyxl import load_workbook

    sc = week_of(tmp_path, "FR", "Europe/Paris", per_hour=12)  # the scenario has no streams of its own
    history = synthetic_history(tmp_path / "history.csv", 4, 12, 2.0)
    write_csv(tmp_path / "past-streams.csv", [stream("FR", "Fri 20:00", "Fri 22:00", factor=2)])
    r = rota(capsys, "review", sc.path, history, "--streams", tmp_path / "past-streams.csv", "--out", tmp_path / "o")
    assert r.code == 0
    assert "streams, questions during each against the typical week's:\n  FR Fri 20:00-Fri 22:00: x2.00 realised " \
           "over 4 occurrences against x2 planned" in r.out
    rows = list(load_workbook(tmp_path / "o" / "d-history-review.xlsx")["Streams"].iter_rows(values_only=True))
    assert rows[0] == ("market", "when", "start", "end", "planned_factor", "questions", "expected", "realised_uplift")
    assert len(rows) == 5 and all(row[-1] == pytest.approx(2.0, rel=0.05) for row in rows[1:])
    r = rota(capsys, "forecast", history, "--scenario", sc.path, "--streams", tmp_path / "past-streams.csv",
             "--weeks", "4", "--out", tmp_path / "forecast.csv")
    assert r.code == 0
    with (tmp_path / "forecast.csv").open(encoding="utf-8-sig") as f:
        friday = {row["start"]: float(row["questions"]) for row in csv.DictReader(f) if row["start"].startswith("Fri 2")}
    assert friday["Fri 20:00"] == pytest.approx(12, rel=0.05) and friday["Fri 21:00"] == pytest.approx(12, rel=0.05)
    r = rota(capsys, "forecast", history, "--scenario", sc.path, "--streams", tmp_path / "missing.csv",
             "--out", tmp_path / "f2.csv")
    assert r.code == 2 and "missing.csv: no such file" in r.err


# ------------------------------------------------------------------ edges found in review

def test_a_stream_in_a_zone_whose_clocks_move_half_an_hour(tmp_path):
    """Lord Howe moves its clocks by 30 minutes: its week is not a whole number of hours (it crashed)."""
    folder = write_scenario(
        tmp_path / "lh", sites=[{"site": "hq", "timezone": "Australia/Lord_Howe"}], agents=[agent("A1", min_hours=0)],
        markets=[{"market": "LH", "timezone": "Australia/Lord_Howe", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}], tz="Australia/Lord_Howe",
        forecast=[{"market": "LH", "start": f"{d} {h:02d}:00", "questions": 60} for d in DAYS for h in range(24)])
    write_csv(folder / "streams.csv", [stream("LH", "Wed 20:00", "Wed 21:00", factor=2)])
    sc = load_scenario(folder)
    grid = planning_grid(sc, date(2026, 4, 1))  # the change to winter time, Sunday 5 April 02:00 -> 01:30
    assert grid.minutes == 168 * 60 + 30
    q = compute_staffing(sc, grid).markets["questions"].to_numpy()
    assert q[2 * 24 + 20] == pytest.approx(120) and q.sum() == pytest.approx(60 * 168 + 60)  # the typical week, once


def test_a_dated_stream_that_started_weeks_before_still_covers_the_week(tmp_path):
    sc = week_of(tmp_path, "CN", "Asia/Shanghai", streams=[stream("CN", "2026-11-20 00:00", "2026-12-01 12:00", 2)])
    st = compute_staffing(sc, planning_grid(sc, date(2026, 11, 30)))
    q = st.markets["questions"].to_numpy()
    assert st.notes == [] and np.all(q[:36] == 120) and np.all(q[36:] == 60)


def test_a_what_if_stream_outside_the_planned_week_is_refused(tmp_path):
    from scheduler import whatif as W
    from scheduler.errors import RotaError

    sc = week_of(tmp_path, "CN", "Asia/Shanghai")
    grid = planning_grid(sc, date(2026, 11, 30))
    W.check_streams_in_week(sc, [W.parse_stream("CN Fri 20:00 Fri 22:00 2")], grid)
    with pytest.raises(RotaError, match="outside the planned week 2026-W49"):
        W.check_streams_in_week(sc, [W.parse_stream("CN 2026-12-11T20:00 2026-12-11T22:00 2")], grid)


def test_streams_read_from_the_scenario_workbook_are_streams(tmp_path):
    from openpyxl import Workbook

    from scheduler.staffing import driver_effects

    sc = week_of(tmp_path, "CN", "Asia/Shanghai")
    wb = Workbook()
    ws = wb.active
    ws.title = "streams"
    ws.append(["market", "start", "end", "factor"])
    ws.append(["CN", "Fri 20:00", "Fri 22:00", 2])
    wb.save(sc.path / "scenario.xlsx")
    sc = load_scenario(sc.path)
    grid = planning_grid(sc, date(2026, 11, 30))
    effects = driver_effects(sc, grid, compute_staffing(sc, grid))
    assert list(effects["kind"]) == ["stream"] and list(effects["questions_added"]) == [120.0]


def test_a_ctrl_c_before_the_solve_has_started_still_stops_it(sample_week):
    """A stop asked before CP-SAT runs (or after it returns) is not lost: the flag is kept and the search
    asked to stop for as long as it runs."""
    import os
    import signal
    import threading

    from ortools.sat.python import cp_model

    from scheduler.cpsat import run_stoppable

    model = sample_week.model.model.clone()
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = 30
    solver.parameters.num_workers = 1
    def ctrl_c_once_the_handler_is_ours():
        # Only once run_stoppable's handler is in place (Python's would interrupt pytest itself); the
        # bound only keeps a broken run_stoppable from spinning this thread for ever.
        for _ in range(200_000):
            if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
                os.kill(os.getpid(), signal.SIGINT)
                return

    threading.Thread(target=ctrl_c_once_the_handler_is_ours).start()
    status, stopped = run_stoppable(solver, model)
    assert stopped and solver.response_proto.deterministic_time < 30
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's handler is back
