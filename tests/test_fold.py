"""The LP over kinds of agent: exact where agents are alike, a valid bound where wages differ."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from scheduler import model as M
from scheduler.calendar import planning_grid
from scheduler.io.scenario import load_scenario
from scheduler.search.fold import fold
from scheduler.search.relax import linear_program, lp_relaxation
from scheduler.staffing import compute_staffing
from scenario_builder import agent, write_scenario

WEEK = date(2026, 3, 2)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _scenario(tmp_path, agents, leave=None):
    forecast = [{"market": "CN", "start": f"{d} {h:02d}:00", "questions": 14 + (5 * h + 3 * k) % 19}
                for k, d in enumerate(DAYS) for h in range(7, 23)]
    folder = write_scenario(
        tmp_path / "s", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}], agents=agents,
        markets=[{"market": "CN", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 120,
                  "concurrency": 2}],
        shifts=[{"shift": "D", "site": "hq", "start": "07:00-13:00/120", "hours": 9, "break_minutes": 60},
                {"shift": "P", "site": "hq", "start": "17:00", "hours": 5}],
        forecast=forecast, leave=leave)
    sc = load_scenario(folder)
    grid = planning_grid(sc, WEEK)
    return M.build(sc, grid, compute_staffing(sc, grid))


def _optimum(model) -> float:
    lp = lp_relaxation(model)
    assert lp.Solve() == lp.OPTIMAL
    return lp.Objective().Value()


def _folded_optimum(f) -> tuple[float, np.ndarray]:
    import highspy

    from scheduler.search.relax import lagrangian_bound

    p = f.lp
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    h.addVars(len(p.cost), np.clip(p.lower, -inf, inf), np.clip(p.upper, -inf, inf))
    h.changeColsCost(len(p.cost), np.arange(len(p.cost), dtype=np.int32), p.cost / 2**20)
    h.addRows(len(p.row_lower), np.clip(p.row_lower, -inf, inf), np.clip(p.row_upper, -inf, inf), len(p.index),
              p.starts[:-1].astype(np.int32), p.index.astype(np.int32), p.value)
    h.run()
    solution = h.getSolution()
    return lagrangian_bound(p, np.array(solution.row_dual) * 2**20), np.array(f.unfold(solution.col_value))


def test_alike_agents_fold_into_one_kind_with_the_lps_own_optimum(tmp_path):
    """Six agents of two contracts and a seventh on leave: three kinds; the folded LP's optimum is the whole
    LP's, and its solution unfolded is a solution of the whole LP at that cost."""
    agents = [agent(f"A{k}", min_hours=16) for k in range(3)] + [agent(f"B{k}", max_hours=24, max_days=4)
                                                                 for k in range(3)] + [agent("C0", min_hours=16)]
    m = _scenario(tmp_path, agents, leave=[{"agent_id": "C0", "start": "Wed", "end": "Thu", "reason": "leave"}])
    p = linear_program(m.model)
    f = fold(p, [v.name for v in m.model.Proto().variables])
    assert (f.agents, f.kinds) == (7, 3)
    assert len(f.lp.cost) < 0.6 * len(p.cost)
    whole = _optimum(m.model)
    bound, x = _folded_optimum(f)
    assert bound == pytest.approx(whole, rel=1e-6)
    rows = np.repeat(np.arange(len(p.row_lower)), np.diff(p.starts))
    ax = np.bincount(rows, weights=p.value * x[p.index], minlength=len(p.row_lower))
    assert np.all(ax >= p.row_lower - 1e-6) and np.all(ax <= p.row_upper + 1e-6)
    assert p.cost @ x + p.offset == pytest.approx(whole, rel=1e-6)


def test_a_wage_of_ones_own_is_a_kind_of_ones_own_and_the_cheapest_wage_relaxation_bounds_from_below(tmp_path):
    agents = [agent(f"A{k}", min_hours=16, cost=10 + k) for k in range(4)]
    m = _scenario(tmp_path, agents)
    p = linear_program(m.model)
    names = [v.name for v in m.model.Proto().variables]
    exact, cheap = fold(p, names), fold(p, names, relaxed=True)
    assert (exact.kinds, cheap.kinds) == (4, 1)
    whole = _optimum(m.model)
    assert _folded_optimum(exact)[0] == pytest.approx(whole, rel=1e-6)
    relaxed = _folded_optimum(cheap)[0]
    # Below the LP, and below the same week with everyone at the cheapest wage: each column takes the kind's
    # cheapest cost, so a shift is paid at the lowest wage and its unpaid break refunded at the highest.
    cheapest = _scenario(tmp_path / "cheap", [agent(f"A{k}", min_hours=16, cost=10) for k in range(4)])
    assert 0.9 * whole < relaxed <= _optimum(cheapest.model) + 1e-6 * whole < whole


def test_the_exact_lp_after_the_cheapest_wage_dive_runs_only_if_it_should_end_in_time(tmp_path):
    """Four wages: the cheapest-wage relaxation guides and is dived; the exact LP follows for the bound when
    it fits in the limit, and is not started when it does not (it would only take a core from the search)."""
    from scheduler.search.relax import LpBound
    from scheduler.search.rounding import ShiftDive

    m = _scenario(tmp_path, [agent(f"A{k}", min_hours=16, cost=10 + k) for k in range(4)])
    p = linear_program(m.model)
    names = [v.name for v in m.model.Proto().variables]
    exact, cheap = fold(p, names), fold(p, names, relaxed=True)
    asked = []
    for fits in (True, False):
        lp = LpBound(m.model, start=True, dive=ShiftDive(m, 0.5, cheap), dive_pivots=10**6,
                     prepared=(p, exact, cheap), bound_fits=lambda lpb, cols, fits=fits: asked.append(cols) or fits)
        assert lp.rounded(wait=60) is not None
        value = lp.result(wait=60)
        assert lp.relaxed_bound == pytest.approx(_folded_optimum(cheap)[0], rel=1e-6)
        if fits:
            assert lp.exact_done and lp.skipped == []
            assert value == pytest.approx(_optimum(m.model), rel=1e-6) and value > lp.relaxed_bound
        else:
            assert not lp.exact_done and lp.skipped == [len(exact.lp.cost)] and value == lp.relaxed_bound
    assert asked == [len(exact.lp.cost)] * 2  # asked once a run, after the dive, of the exact LP


def test_a_kinds_work_is_dealt_out_whole_and_the_days_go_round(tmp_path):
    from scheduler.search.greedy import spread_over_kinds

    m = _scenario(tmp_path, [agent(f"A{k}", min_hours=16) for k in range(3)])
    agents = ["A0", "A1", "A2"]
    days = sorted({o.day for o in m.options["A0"]})
    values = {key: 0.0 for key in m.x}
    monday = [j for j, o in enumerate(m.options["A0"]) if o.day == days[0]][:3]
    tuesday = [j for j, o in enumerate(m.options["A0"]) if o.day == days[1]][0]
    wednesday = [j for j, o in enumerate(m.options["A0"]) if o.day == days[2]][0]
    for a in agents:
        for j in monday:
            values[(a, j)] = 1 / 3  # three agents, a third of each of three shifts: one each
        values[(a, tuesday)] = values[(a, wednesday)] = 2 / 3  # two of the three, not the same two
    out = spread_over_kinds(m, values, [agents])
    assert sorted(next(j for j in monday if out[(a, j)] == 1.0) for a in agents) == sorted(monday)
    assert all(sum(out[(a, j)] for j in monday) == 1.0 for a in agents)
    off = [[a for a in agents if out[(a, j)] == 0.0] for j in (tuesday, wednesday)]
    assert [len(x) for x in off] == [1, 1] and off[0] != off[1]
    assert set(out.values()) <= {0.0, 1.0}


# ---------------------------------------------------------------- the folded LP dived, and dealt out

def _held_nothing(members):
    return {}, {a: 0 for a in members}, {a: 0 for a in members}


def _rota_breaks(m, hint) -> list:
    """The rules a hint's rota breaks, as the validator finds them."""
    from scheduler.io.roster import row_from_plan
    from scheduler.search import PlannedShift
    from scheduler.validate import evaluate
    from scheduler.week import eligible_queues

    queues = eligible_queues(m.scenario)
    rows = []
    for (a, j), x in m.x.items():
        if hint[x.Name()]:
            on = [k for k, b in m.breaks.get((a, j), []) if hint[b.Name()]]
            rows.append(row_from_plan(m.scenario, m.grid, PlannedShift(m.options[a][j], on[0] if on else None,
                                                                       queues[a])))
    return evaluate(m.scenario, m.grid, m.staffing, rows).breaks


def test_a_folded_dive_makes_every_kinds_count_whole_and_its_dealing_keeps_every_rule(tmp_path):
    from scheduler.search.greedy import dealt_hint_values
    from scheduler.search.relax import LpBound
    from scheduler.search.rounding import ShiftDive

    agents = [agent(f"A{k}", min_hours=24) for k in range(4)] + [agent(f"B{k}", max_hours=24, max_days=4)
                                                                 for k in range(3)]
    m = _scenario(tmp_path, agents)
    p = linear_program(m.model)
    f = fold(p, [v.name for v in m.model.Proto().variables])
    assert f.kinds == 2
    lp = LpBound(m.model, start=True, dive=ShiftDive(m, 0.5, f), dive_pivots=10**6, prepared=(p, f, None))
    dived = lp.rounded(wait=None)
    assert dived is not None and lp.dive_rounds >= 1 and lp.dive_columns == len(f.lp.cost)
    dived = np.array(dived)
    counts = {}
    for members in f.members:
        for j in range(len(m.options[members[0]])):
            c = sum(dived[m.x[(a, j)].Index()] for a in members)
            assert abs(c - round(c)) < 1e-6  # a whole number of the kind's agents on every shift
            counts[(members[0], j)] = round(c)
    assert p.cost @ dived + p.offset >= lp.result() - 1e-6 * abs(lp.result())
    hint, _ = dealt_hint_values(m, dived, f.members)
    assert _rota_breaks(m, hint) == []
    # The shifts the dive counted are dealt to the kind's agents, all but one: the dealing finds no weeks of
    # the three B agents (24 hours, 4 days at most) that hold them all.
    dealt = {(members[0], j): sum(hint[m.x[(a, j)].Name()] for a in members)
             for members in f.members for j in range(len(m.options[members[0]]))}
    assert sum(counts.values()) > 20
    assert sum(min(dealt[k], c) for k, c in counts.items()) == sum(counts.values()) - 1


def test_dealing_never_gives_an_agent_two_shifts_without_the_rest_between_them(tmp_path):
    """Two alike agents; Monday's 17:00 shift and 07:00 one, and Tuesday's 07:00 twice. Whoever works
    Monday evening cannot work Tuesday at 07:00 (9 hours of rest, 11 owed): three of the four are dealt."""
    from scheduler.search.deal import deal

    m = _scenario(tmp_path, [agent("A0"), agent("A1")])
    opts = m.options["A0"]
    days = sorted({o.day for o in opts})

    def at(day, clock):
        return next(j for j, o in enumerate(opts) if o.day == days[day] and o.clock == clock * 60)
    count = [0] * len(opts)
    count[at(0, 17)] = count[at(0, 7)] = 1
    count[at(1, 7)] = 2
    picks, _ = deal(m, ["A0", "A1"], count, *_held_nothing(["A0", "A1"]))
    assert sum(len(p) for p in picks.values()) == 3
    evening = next(a for a in picks if at(0, 17) in picks[a])
    other = "A1" if evening == "A0" else "A0"
    assert picks[evening] == [at(0, 17)] and sorted(picks[other]) == sorted([at(0, 7), at(1, 7)])


def test_dealing_swaps_a_short_shift_for_a_long_one_where_a_minimum_needs_it(tmp_path):
    """Two agents owing exactly 40 hours in 5 days; the counts give both four 8-hour days and Friday one
    4-hour and one 8-hour shift: the 4-hour one would leave its agent at 36 hours, so both take Friday's
    8 hours (one beyond the count) and the 4-hour shift is left."""
    from scheduler.search.deal import deal

    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    folder = write_scenario(
        tmp_path / "s", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent(a, min_hours=40, max_hours=40, max_days=5) for a in ("A0", "A1")],
        markets=[{"market": "CN", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "S", "site": "hq", "start": "09:00", "hours": 4},
                {"shift": "L", "site": "hq", "start": "09:00", "hours": 8}],
        forecast=[{"market": "CN", "start": f"{d} {h:02d}:00", "questions": 10} for d in days for h in range(9, 17)])
    sc = load_scenario(folder)
    grid = planning_grid(sc, WEEK)
    m = M.build(sc, grid, compute_staffing(sc, grid))
    opts = m.options["A0"]
    week = sorted({o.day for o in opts})
    count = [0] * len(opts)
    for j, o in enumerate(opts):
        if o.template == "L" and o.day in week[:4]:
            count[j] = 2
        if o.day == week[4]:
            count[j] = 1
    picks, _ = deal(m, ["A0", "A1"], count, *_held_nothing(["A0", "A1"]))
    for a in ("A0", "A1"):
        assert [opts[j].template for j in sorted(picks[a], key=lambda j: opts[j].start)] == ["L"] * 5


def test_a_folded_dive_cut_short_serves_only_if_few_counts_are_left_part(tmp_path):
    from scheduler.search.relax import LpBound
    from scheduler.search.rounding import ShiftDive

    m = _scenario(tmp_path, [agent(f"A{k}", min_hours=16) for k in range(3)])
    p = linear_program(m.model)
    f = fold(p, [v.name for v in m.model.Proto().variables])
    lp = LpBound(m.model, start=True, dive=ShiftDive(m, 0.5, f), dive_pivots=0, prepared=(p, f, None))
    assert lp.rounded(wait=None) is None and lp.dive_pivots == 0 and lp.solution(wait=0) is not None
    dive = ShiftDive(m, 0.5, f)
    dive.parts = [40, 20]
    assert not dive.partial
    dive.parts = [40, 20, 4]
    assert dive.partial and not ShiftDive(m, 0.5).partial
