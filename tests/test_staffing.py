"""From forecast to required agents: pooling, concurrency, shrinkage, and staffing.csv."""

import csv
import re
from datetime import date

import pytest

from clirun import rota
from scenario_builder import agent, write_scenario
from scheduler.staffing import erlang
from scheduler.calendar import planning_grid
from scheduler.io.scenario import load_scenario
from scheduler.staffing import compute_staffing

WEEK = date(2026, 11, 30)


def scenario(tmp_path, markets, forecast, extra=""):
    folder = write_scenario(tmp_path / "s", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
                            agents=[agent("A1", languages="en;fr")],
                            shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
                            markets=markets, forecast=forecast, policy_extra=extra)
    return folder


def market(code, lang, **kw):
    return {"market": code, "timezone": "Asia/Shanghai", "language": lang, "aht_seconds": 180, **kw}


def row_at(st, queue, hour):
    f = st.frame
    return f[(f["queue"] == queue) & (f["interval"] == hour)].iloc[0]


def test_published_case_through_the_pipeline(tmp_path):
    # 100 contacts per 30 min, AHT 180 s, 80 % within 20 s -> 14 agents (ASA and occupancy targets loose).
    folder = scenario(tmp_path, [market("M", "en", answer_within_seconds=20, complex_answer_within_seconds=20,
                                        first_response_seconds=1000, max_occupancy=1)],
                      [{"market": "M", "start": "Mon 09:00", "questions": 100}])
    (folder / "policy.toml").write_text((folder / "policy.toml").read_text().replace("interval_minutes = 60", "interval_minutes = 30"))
    sc = load_scenario(folder)
    st = compute_staffing(sc, planning_grid(sc, WEEK))
    r = row_at(st, "en", 18)  # Mon 09:00 on a 30-minute grid
    assert (r["questions"], r["required"]) == (100, 14)
    assert r["service_level"] == pytest.approx(0.8884, abs=5e-5)


def test_small_queue_is_not_overstaffed(tmp_path):
    # 31.2 chats/h, AHT 300 s, 50 % within 600 s: 3 agents, not round(A+1) = 4.
    folder = scenario(tmp_path, [market("M", "en", aht_seconds=300, service_level=0.5, answer_within_seconds=600,
                                        complex_answer_within_seconds=600, first_response_seconds=1e4, max_occupancy=1)],
                      [{"market": "M", "start": "Mon 09:00", "questions": 31.2}])
    sc = load_scenario(folder)
    assert row_at(compute_staffing(sc, planning_grid(sc, WEEK)), "en", 9)["required"] == 3


def test_bot_concurrency_and_shrinkage(tmp_path):
    folder = scenario(tmp_path, [market("M", "en", bot_deflection=0.25, concurrency=3, shrinkage=0.2)],
                      [{"market": "M", "start": "Mon 09:00", "questions": 400}])
    sc = load_scenario(folder)
    r = row_at(compute_staffing(sc, planning_grid(sc, WEEK)), "en", 9)
    assert r["arrivals"] == pytest.approx(300)
    t = erlang.Targets(30, 0.8, 60, 180, 0.05, 0.85)
    servers = erlang.required_servers(300 / 3600, 180, None, t)
    agents = -(-servers // 3)
    assert r["agents"] == agents and r["required"] == pytest.approx(agents / 0.8, abs=0.005)


def test_pooled_queue_mixes_handle_times_and_takes_the_strictest_target(tmp_path):
    markets = [market("UK", "en", aht_seconds=120), market("US", "en", aht_seconds=240, answer_within_seconds=20)]
    forecast = [{"market": "UK", "start": "Mon 09:00", "questions": 60}, {"market": "US", "start": "Mon 09:00", "questions": 180},
                {"market": "UK", "start": "Mon 10:00", "questions": 60}]
    sc = load_scenario(scenario(tmp_path, markets, forecast))
    st = compute_staffing(sc, planning_grid(sc, WEEK))
    load = st.loads["en"]
    assert load.handle_seconds[9] == pytest.approx((60 * 120 + 180 * 240) / 240)
    assert load.targets["answer_within_seconds"][9] == 20  # US binds while it has questions
    assert load.targets["answer_within_seconds"][10] == 60  # only UK at 10:00
    both = row_at(st, "en", 9)["required"]
    expected = erlang.required_servers(240 / 3600, (60 * 120 + 180 * 240) / 240, None,
                                       erlang.Targets(30, 0.8, 20, 180, 0.05, 0.85))
    assert both == expected


def test_pool_by_market_keeps_a_queue_per_market(tmp_path):
    markets = [market("UK", "en"), market("US", "en")]
    folder = scenario(tmp_path, markets, [{"market": "UK", "start": "Mon 09:00", "questions": 10},
                                          {"market": "US", "start": "Mon 09:00", "questions": 10}])
    (folder / "policy.toml").write_text((folder / "policy.toml").read_text().replace("[targets]", 'pool_by = "market"\n\n[targets]'))
    sc = load_scenario(folder)
    assert [q.queue for q in sc.queues] == ["UK", "US"]
    st = compute_staffing(sc, planning_grid(sc, WEEK))
    assert row_at(st, "UK", 9)["required"] == row_at(st, "US", 9)["required"] == 2


def test_staffing_csv_has_exactly_the_spec_columns(tmp_path, capsys):
    folder = scenario(tmp_path, [market("FR", "fr", patience_seconds=90), market("US", "en")],
                      [{"market": "FR", "start": "Mon 20:00", "questions": 30}, {"market": "US", "start": "Tue 03:00", "questions": 50}])
    r = rota(capsys, "staffing", folder, "--week", "2026-12-02", "--out", tmp_path / "o")
    assert r.code == 0 and "peak_required" in r.out
    [path] = (tmp_path / "o").glob("*-2026-W49-staffing.csv")
    with path.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["queue", "interval_start", "questions", "arrivals", "required", "asa_seconds",
                             "service_level", "abandon_rate", "occupancy"]
    assert not any(r["required"].startswith("-") for r in rows)  # no -0.0 where nobody is needed
    assert len(rows) == 2 * 168
    assert all(re.fullmatch(r"2026-1[12]-\d\dT\d\d:00:00\+08:00", r["interval_start"]) for r in rows)
    fr = next(r for r in rows if r["queue"] == "fr" and r["interval_start"] == "2026-11-30T20:00:00+08:00")
    assert float(fr["questions"]) == 30 and float(fr["required"]) >= 1 and 0 < float(fr["abandon_rate"]) <= 0.05
    r2 = rota(capsys, "staffing", folder, "--week", "2026-12-02", "--out", tmp_path / "o")
    assert r2.code == 2 and "already exists" in r2.err


def test_targets_no_staffing_can_meet_are_a_clear_error(tmp_path, capsys):
    # 500,000 Erlangs at 1 % occupancy: fifty million chat servers.
    folder = scenario(tmp_path, [market("M", "en", max_occupancy=0.01)],
                      [{"market": "M", "start": "Mon 09:00", "questions": 1e7}])
    r = rota(capsys, "staffing", folder, "--out", tmp_path / "o")
    assert r.code == 2 and "queue en (markets M): no number of agents meets its targets" in r.err
    assert not (tmp_path / "o" / "staffing.csv").exists()
