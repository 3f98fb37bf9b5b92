"""The LP rounded by diving: whole shifts that keep every rule, and a dive that fails says so."""

from datetime import date

import numpy as np
import pytest
from scenario_builder import forty_hours_in_short_and_long_shifts

from scheduler import model as M
from scheduler.calendar import planning_grid
from scheduler.search.greedy import dived_hint_values
from scheduler.io.scenario import load_scenario
from scheduler.search import PlannedShift
from scheduler.week import eligible_queues
from scheduler.search.relax import LpBound, linear_program
from scheduler.io.roster import row_from_plan
from scheduler.search.rounding import ShiftDive
from scheduler.staffing import compute_staffing
from scheduler.validate import evaluate


def test_the_dive_ends_with_every_shift_whole_a_rota_that_keeps_every_rule_and_costs_at_least_the_lp(sample_week):
    sc, grid, st, m = sample_week.scenario, sample_week.grid, sample_week.staffing, sample_week.model
    lp = LpBound(m.model, start=True, dive=ShiftDive(m, 0.5), dive_pivots=10**6)
    solution, dived = np.array(lp.solution(wait=None)), lp.rounded(wait=None)
    assert dived is not None and lp.dive_rounds >= 3 and lp.dive_pivots > 0
    dived = np.array(dived)
    xs = np.array([x.Index() for x in m.x.values()])
    assert np.all((dived[xs] < 1e-6) | (dived[xs] > 1 - 1e-6))
    assert np.sum((solution[xs] > 1e-6) & (solution[xs] < 1 - 1e-6)) > 100  # the vertex it started from was not
    p = linear_program(m.model)
    assert p.cost @ dived + p.offset >= lp.result() - 1e-3 * M.UNITS
    # As a rota: the shifts the dive keeps, breaks where the LP put most of each; no rule broken.
    values = dived_hint_values(m, dived)
    chosen = [(a, j) for (a, j), x in m.x.items() if values[x.Name()]]
    assert len(chosen) == int(np.sum(dived[xs] > 0.5)) > 200
    queues = eligible_queues(sc)
    rows = []
    for a, j in chosen:
        lits = m.breaks.get((a, j), [])
        on = [k for k, b in lits if values[b.Name()]]
        assert len(on) == (1 if lits else 0)
        if lits:
            assert on[0] == max(lits, key=lambda kb: dived[kb[1].Index()])[0]
        rows.append(row_from_plan(sc, grid, PlannedShift(m.options[a][j], on[0] if on else None, queues[a])))
    assert evaluate(sc, grid, st, rows).breaks == []


def test_a_smaller_share_fixes_fewer_shifts_a_round_and_the_lp_makes_up_for_more_of_them(sample_week):
    """On the sample, fixing half the agents' shifts each round dives to an LP of 43,429; 5 % to 42,9xx."""
    m = sample_week.model
    p = linear_program(m.model)
    fixed, rounds, values = {}, {}, {}
    for share in (0.5, 0.05):
        dive = ShiftDive(m, share)
        counts = []
        real = dive.__call__

        def counting(v, f, real=real, counts=counts):
            ones, zeros = real(v, f)
            counts.append(len(ones))
            return ones, zeros
        lp = LpBound(m.model, start=True, dive=counting, dive_pivots=10**6)
        dived = lp.rounded(wait=None)
        assert dived is not None
        fixed[share], rounds[share] = max(counts[1:]), lp.dive_rounds  # (the first round keeps the whole ones)
        values[share] = (p.cost @ np.array(dived) + p.offset) / M.UNITS
    assert rounds[0.05] > 2 * rounds[0.5] and fixed[0.05] < fixed[0.5]
    assert values[0.05] < values[0.5] - 200


def test_a_shift_no_week_of_the_agent_can_hold_any_more_is_fixed_to_not_worked(tmp_path):
    """Four 8-hour days are whole; a fifth day must bring the last 8 of 40 hours: the 4-hour shift the LP
    works most cannot (the week would end at 36), so it goes to zero and the 8-hour one is fixed."""
    folder = forty_hours_in_short_and_long_shifts(tmp_path / "s")
    sc = load_scenario(folder)
    grid = planning_grid(sc, date(2026, 11, 30))
    m = M.build(sc, grid, compute_staffing(sc, grid))
    opts = m.options["A"]
    by_day = sorted({o.day for o in opts})
    col = {(o.day, o.template): m.x[("A", j)].Index() for j, o in enumerate(opts)}
    values = np.zeros(len(m.model.Proto().variables))
    whole = [col[(d, "L")] for d in by_day[:4]]
    values[whole] = 1.0
    values[col[(by_day[4], "S")]] = 0.6
    values[col[(by_day[5], "L")]] = 0.4
    fixed = np.zeros(len(values), dtype=bool)
    ones, zeros = ShiftDive(m, 0.5)(values, fixed)
    assert ones == whole + [col[(by_day[5], "L")]]
    assert zeros == [col[(by_day[4], "S")]]
    # Fixed already: not named again.
    fixed[whole] = True
    assert ShiftDive(m, 0.5)(values, fixed)[0] == [col[(by_day[5], "L")]]


def test_shifts_whose_fixing_makes_the_lp_infeasible_are_halved_down_to_one_which_is_fixed_to_zero(tmp_path):
    """40 hours owed in 5 days: all seven 4-hour shifts, three of them, even one, leave it out of reach.
    Each round bisects down to a single short shift and rules it out; the long shifts are untouched."""
    folder = forty_hours_in_short_and_long_shifts(tmp_path / "s")
    sc = load_scenario(folder)
    grid = planning_grid(sc, date(2026, 11, 30))
    m = M.build(sc, grid, compute_staffing(sc, grid))
    short = [m.x[("A", j)].Index() for j, o in enumerate(m.options["A"]) if o.template == "S"]
    assert len(short) == 7
    lp = LpBound(m.model, start=True, dive=lambda values, fixed: ([c for c in short if not fixed[c]], []),
                 dive_pivots=10**6)
    rounded = lp.rounded(wait=None)
    assert rounded is not None and lp.dive_rounds == 7
    assert [rounded[c] for c in short] == [0.0] * 7
    long = [m.x[("A", j)].Index() for j, o in enumerate(m.options["A"]) if o.template == "L"]
    assert sum(rounded[c] for c in long) == pytest.approx(5.0)


def test_a_dive_past_its_budget_of_pivots_gives_no_rounding_and_keeps_the_lp(sample_week):
    m = sample_week.model
    lp = LpBound(m.model, start=True, dive=ShiftDive(m, 0.5), dive_pivots=50)
    assert lp.solution(wait=None) is not None and lp.result() is not None
    assert lp.rounded(wait=None) is None and 0 < lp.dive_pivots <= 50


def test_a_dive_cancelled_midway_stops_and_gives_no_rounding_but_the_bound_stays(sample_week):
    m = sample_week.model
    dive = ShiftDive(m, 0.5)
    calls = []

    def cancelling(values, fixed):
        calls.append(1)
        if len(calls) == 2:
            lp.cancel()  # as the plan does at Ctrl-C or the wall cap
        return dive(values, fixed)

    lp = LpBound(m.model, start=True, dive=cancelling, dive_pivots=10**6)
    assert lp.rounded(wait=None) is None and not lp.running()
    assert len(calls) == 2 and lp.dive_rounds <= 2
    assert lp.result() is not None and lp.solution() is not None
