"""The simulation against exact theory, its routing rules, and `rota simulate` end to end."""

import csv
from datetime import date

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from clirun import rota
from scenario_builder import agent, write_scenario
from scheduler.staffing import erlang
from scheduler.calendar import planning_grid
from scheduler.io.scenario import load_scenario
from scheduler.io.roster import RosterRow
from scheduler.simulate import simulate
from scheduler.staffing import compute_staffing
from scheduler.validate import Shift

WEEK = date(2026, 11, 30)


def one_queue(tmp_path, n_agents, per_hour, aht, concurrency=1, patience=None, languages="en"):
    market = {"market": "M", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": aht, "concurrency": concurrency}
    if patience:
        market["patience_seconds"] = patience
    folder = write_scenario(tmp_path / "q", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
                            agents=[agent(f"A{k}", languages=languages) for k in range(n_agents)],
                            shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}], markets=[market],
                            forecast=[{"market": "M", "start": f"{d} {h:02d}:00", "questions": per_hour}
                                      for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun") for h in range(24)])
    sc = load_scenario(folder)
    grid = planning_grid(sc, WEEK)
    return sc, grid, compute_staffing(sc, grid)


def always_on(sc, grid, queues=("en",)):
    """Every agent on duty the whole week (the roster rules do not matter to theory)."""
    return [Shift(RosterRow(a, WEEK, 0, 0, None, 0, queues), 0, grid.minutes, None, 0.0) for a in sc.agents]


def stats(chats: pd.DataFrame, warmup: float = 3600.0):
    f = chats[chats["arrived"] >= warmup]
    wait = f["answered_at"] - f["arrived"]
    answered = f["answered_at"].notna()
    return {"p_wait": float((~answered | (wait > 1e-9)).mean()), "asa": float(wait[answered].mean()),
            "sl60": float((answered & (wait <= 60)).mean()), "abandon": float(f["abandoned"].mean())}


@pytest.mark.parametrize("agents, per_hour, aht, conc", [(7, 100, 180, 1), (4, 120, 200, 2)])
def test_constant_staffing_matches_erlang_c(tmp_path, agents, per_hour, aht, conc):
    sc, grid, st = one_queue(tmp_path, agents, per_hour, aht, concurrency=conc)
    runs = [stats(simulate(sc, grid, st, always_on(sc, grid), seed=s).chats) for s in range(4)]
    k = erlang.kpis(per_hour / 3600, aht, agents * conc, None, 60, 180)
    for key, exact in (("p_wait", k.wait_probability), ("asa", k.asa_seconds), ("sl60", k.service_level)):
        values = np.array([r[key] for r in runs])
        half = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
        assert abs(values.mean() - exact) <= max(3 * half, 0.02 * max(exact, 1)), (key, values.mean(), exact)


def test_patience_matches_erlang_a_abandonment(tmp_path):
    sc, grid, st = one_queue(tmp_path, 5, 150, 150, patience=60)
    runs = [stats(simulate(sc, grid, st, always_on(sc, grid), seed=s).chats) for s in range(4)]
    k = erlang.kpis(150 / 3600, 150, 5, 60, 60, 180)
    ab = np.array([r["abandon"] for r in runs])
    assert abs(ab.mean() - k.abandon_rate) <= max(3 * 1.96 * ab.std(ddof=1) / 2, 0.004), (ab.mean(), k.abandon_rate)
    assert k.abandon_rate > 0.01


def test_routing_respects_languages_concurrency_and_breaks(tmp_path):
    folder = write_scenario(
        tmp_path / "r", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent("BI", languages="fr;en"), agent("EN", languages="en")],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
        markets=[{"market": "F", "timezone": "Asia/Shanghai", "language": "fr", "aht_seconds": 300, "concurrency": 2},
                 {"market": "E", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 300, "concurrency": 2}],
        forecast=[{"market": m, "start": f"Mon {h:02d}:00", "questions": 40} for m in ("F", "E") for h in range(9, 17)])
    sc = load_scenario(folder)
    grid = planning_grid(sc, WEEK)
    st = compute_staffing(sc, grid)
    brk = (12 * 60, 13 * 60)
    shifts = [Shift(RosterRow("BI", WEEK, 540, 1020, 720, 60, ("fr", "en")), 540, 1020, brk, 0.0),
              Shift(RosterRow("EN", WEEK, 540, 1020, None, 0, ("en",)), 540, 1020, None, 0.0)]
    out = simulate(sc, grid, st, shifts, seed=3).chats
    served = out[out["agent"] != ""]
    assert set(served.loc[served["agent"] == "EN", "queue"]) == {"en"}
    assert set(served.loc[served["agent"] == "BI", "queue"]) == {"fr", "en"}
    for a in ("BI", "EN"):
        mine = served[served["agent"] == a]
        events = sorted([(t, 1) for t in mine["answered_at"]] + [(t, -1) for t in mine["ended_at"]], key=lambda e: (e[0], e[1]))
        level = peak = 0
        for _, d in events:
            level += d
            peak = max(peak, level)
        assert peak <= 2
    bi = served[served["agent"] == "BI"]
    assert not ((bi["answered_at"] >= brk[0] * 60) & (bi["answered_at"] < brk[1] * 60)).any()
    assert not ((served["answered_at"] < 540 * 60) | (served["answered_at"] >= 1020 * 60)).any()
    # Conservation: every question is answered, abandoned or still waiting at the end.
    waiting = out["answered_at"].isna() & ~out["abandoned"]
    assert len(out) == int(out["answered_at"].notna().sum() + out["abandoned"].sum() + waiting.sum())
    assert waiting.sum() > 0  # fr after 17:00 has nobody left
    again = simulate(sc, grid, st, shifts, seed=3).chats
    pd.testing.assert_frame_equal(out, again)
    assert not simulate(sc, grid, st, shifts, seed=4).chats.equals(out)


def test_rota_simulate_end_to_end(tmp_path, capsys):
    folder = write_scenario(
        tmp_path / "e2e", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent("A1", languages="en;fr", min_hours=0), agent("A2", languages="en", min_hours=0)],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8, "break_minutes": 60}],
        markets=[{"market": "US", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180, "patience_seconds": 90},
                 {"market": "FR", "timezone": "Asia/Shanghai", "language": "fr", "aht_seconds": 180}],
        forecast=[{"market": m, "start": f"{d} {h:02d}:00", "questions": 8}
                  for m in ("US", "FR") for d in ("Mon", "Tue") for h in range(9, 17)])
    assert rota(capsys, "plan", folder, "--week", "2026-11-30", "--out", tmp_path / "o", "--time-limit", "5", "--quiet").code == 0
    plan = tmp_path / "o" / "e2e-2026-W49.xlsx"
    before = plan.read_bytes()
    r = rota(capsys, "simulate", folder, plan, "--runs", "3", "--out", tmp_path / "o",
             "--history-out", tmp_path / "o" / "history.csv", "--processes", "1")
    assert r.code == 0, r.err
    assert "Predicted against simulated" in r.out and "within_10%" in r.out
    assert plan.read_bytes() == before
    wb = load_workbook(tmp_path / "o" / "e2e-2026-W49-simulated.xlsx")
    assert wb.sheetnames[:6] == ["Roster", "Schedule", "Coverage", "Markets", "Agents", "Summary"]
    assert {"Simulation", "SimulationMarkets", "SimulationWeek"} <= set(wb.sheetnames)
    header = [c.value for c in wb["Simulation"][1]]
    assert "sim_asa_seconds" in header and "sim_asa_seconds_ci" in header and header[-1] == "disagrees"
    with (tmp_path / "o" / "history.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["market", "arrived_at", "first_reply_at", "ended_at", "handled_by", "complex",
                             "resolved", "reply_language"]
    assert {r["market"] for r in rows} == {"US", "FR"} and all(r["arrived_at"].endswith("Z") for r in rows)
