"""The greedy start obeys every rule the evaluator checks, so it is a feasible hint."""

from datetime import date

import pytest

from scenario_builder import forty_hours_in_short_and_long_shifts
from scheduler import model as M
from scheduler.calendar import planning_grid
from scheduler.search.greedy import GreedyRota
from scheduler.io.scenario import load_scenario
from scheduler.search import PlannedShift
from scheduler.week import eligible_queues
from scheduler.io.roster import row_from_plan
from scheduler.staffing import compute_staffing
from scheduler.validate import evaluate


def test_greedy_rota_of_the_sample_breaks_no_rule(sample_week):
    sc, grid, st, m = sample_week.scenario, sample_week.grid, sample_week.staffing, sample_week.model
    g = GreedyRota(m)
    g.run()
    rows = _rows(sc, grid, m, g)
    ev = evaluate(sc, grid, st, rows)
    assert ev.breaks == []
    assert len(rows) > 200 and ev.shortfall_hours < ev.coverage["required"].sum() * 0.25
    # Its hint names real variables and assigns every shift literal.
    values = g.hint_values()
    assert all(x.Name() in values for x in m.x.values())
    assert sum(values[x.Name()] for x in m.x.values()) == len(rows)


def _rows(sc, grid, m, g):
    queues = eligible_queues(sc)
    return [row_from_plan(sc, grid, PlannedShift(m.options[a][j], g.offset(a, j), queues[a]))
            for a, js in g.picked.items() for j in js]


def test_the_lp_rounded_rota_of_the_sample_keeps_the_lps_whole_shifts_and_breaks_no_rule(sample_week, sample_lp):
    sc, grid, st, m = sample_week.scenario, sample_week.grid, sample_week.staffing, sample_week.model
    solution = sample_lp.solution(wait=None)
    values = {k: solution[x.Index()] for k, x in m.x.items()}
    g = GreedyRota(m)
    g.round(values)
    assert evaluate(sc, grid, st, _rows(sc, grid, m, g)).breaks == []
    # The LP's whole shifts satisfy the rules among themselves, so only an agent planned again by the
    # greedy (its rounded week short of the contract minimum) loses any (the sample's vertex: none of 68).
    whole = {k for k, v in values.items() if v > 1 - 1e-6}
    kept = {(a, j) for a, js in g.picked.items() for j in js}
    assert len(whole) > 50 and len(whole - kept) <= 0.05 * len(whole)
    # Of the shifts it works at least half of, some clash (the sample: 16 of 255).
    half = {k for k, v in values.items() if v >= 0.5}
    assert len(half) > 200 and len(half - kept) <= 0.1 * len(half)


def test_a_rounded_week_that_cannot_reach_the_contract_minimum_is_planned_by_the_greedy(tmp_path):
    """The LP half-works three 4-hour shifts: rounded, they leave two days for 28 of the 40 hours owed."""
    folder = forty_hours_in_short_and_long_shifts(tmp_path / "s")
    sc = load_scenario(folder)
    grid = planning_grid(sc, date(2026, 11, 30))
    st = compute_staffing(sc, grid)
    m = M.build(sc, grid, st)
    opts = m.options["A"]
    short = [j for j, o in enumerate(opts) if o.template == "S"][:3]
    g = GreedyRota(m)
    g.round({("A", j): 0.5 if j in short else 0.0 for j in range(len(opts))})
    assert not set(short) & set(g.picked["A"])
    assert sum(opts[j].paid_minutes for j in g.picked["A"]) == 40 * 60
    # What is left uncovered is the requirement less the minutes of the week it kept, not of the one dropped.
    worked = {i: mins for j in g.picked["A"] for i, mins in g.work["A"][j]}
    expected = [max(0.0, r - worked.get(i, 0)) for i, r in enumerate(g.required["en"])]
    assert list(g.residual["en"]) == pytest.approx(expected)
    assert evaluate(sc, grid, st, _rows(sc, grid, m, g)).breaks == []


def test_no_plan_in_time_returns_the_start_not_an_empty_roster():
    """Where every pass runs out of time before it finds a plan (a slow machine, a tiny limit), the search
    falls back on its start, the greedy rota, whole: never an empty roster."""
    from scheduler.search import SearchConfig
    from scheduler.search.strategy import Search

    sc = load_scenario("inputs/sample")
    grid = planning_grid(sc, date(2026, 11, 30))
    st = compute_staffing(sc, grid)
    m = M.build(sc, grid, st)
    search = Search(m, SearchConfig(), 0.5, 1, 0, None)
    try:
        result = search.fallback()
    finally:
        search.lp.cancel()
    greedy = sum(search.start[x.Name()] for x in m.x.values())
    assert result.status == "FEASIBLE" and "no better plan found in the time limit" in result.note
    assert len(result.shifts) == greedy > 200
    assert evaluate(sc, grid, st, [row_from_plan(sc, grid, s) for s in result.shifts]).breaks == []


def test_an_options_value_is_what_it_covers_of_whats_left_in_the_agents_best_queue_less_its_cost():
    """`_values` scores all of an agent's options at once; here each is recounted one by one, mid-greedy,
    for a multilingual agent (its best queue taken per interval) and compared."""
    sc = load_scenario("inputs/sample")
    grid = planning_grid(sc, date(2026, 11, 30))
    m = M.build(sc, grid, compute_staffing(sc, grid))
    g = GreedyRota(m)
    order = g.order()
    for a in order[: len(order) // 2]:
        g.insert(a)
    multilingual = [a for a in order[len(order) // 2:] if len(g.eligible[a]) > 1]
    assert multilingual
    a = multilingual[0]
    by_hand = [sum(min(mins, max(g.residual[q][i] for q in g.eligible[a])) for i, mins in g.work[a][j]) * g.price
               - g.cost[a][j] for j in range(len(m.options[a]))]
    values = g._values(a)
    assert len(values) == len(by_hand) and max(by_hand) > 0 > min(by_hand)
    assert list(values) == by_hand  # the same sums in the same order: the same plans as one by one
