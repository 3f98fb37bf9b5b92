"""One rule, one name: every builder of the model has a check of the same name in the validator, and each
rule has a feasible/infeasible pair that both must judge alike (the model: solved with only that rule and
the shifts fixed; the validator: that check on the same shifts as Roster rows)."""

from __future__ import annotations

from datetime import date

import pytest
from ortools.sat.python import cp_model

from scenario_builder import agent, write_scenario
from scheduler.calendar import planning_grid
from scheduler.io.roster import row_from_plan
from scheduler.io.scenario import load_scenario
from scheduler.model import RULES, UNITS, RotaModel
from scheduler.search import PlannedShift
from scheduler.shifts import OPTION_RULES, all_options
from scheduler.staffing import compute_staffing
from scheduler.validate import CHECKS, RosterWeek, evaluate, place
from scheduler.validate import coverage as validate_coverage
from scheduler.validate import changes as validate_changes
from scheduler.validate import people as validate_people

WEEK = date(2026, 11, 30)
MON, TUE, WED, THU, FRI = "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"


def week_of(tmp_path, rules: str = "", **contract):
    """One agent at one site, an early template with a break and a late one; demand Monday 09:00-17:00."""
    folder = write_scenario(
        tmp_path / "s", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent("A1", **{"max_days": 7, "max_hours": 80, "min_hours": 0, **contract})],
        markets=[{"market": "CN", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "E", "site": "hq", "start": "07:00-09:00/60", "hours": 8, "break_minutes": 60},
                {"shift": "L", "site": "hq", "start": "14:00", "hours": 8}],
        forecast=[{"market": "CN", "start": f"{MON} {h:02d}:00", "questions": 20} for h in range(9, 17)],
        policy_extra=f"\n[rules]\nmin_rest_hours = 11\nmax_consecutive_days = 3\n{rules}")
    sc = load_scenario(folder)
    grid = planning_grid(sc, WEEK)
    return sc, grid, compute_staffing(sc, grid)


def fixed_model(sc, grid, staffing, builder, shifts, *also):
    """The model with only `builder` (and `also`), the given (day, clock, break offset) shifts of A1 fixed:
    its status and objective in currency."""
    m = RotaModel(sc, grid, staffing)
    term = builder(m)
    for other in also:
        other(m)
    chosen = {}
    for day, clock, offset in shifts:
        [j] = [j for j, o in enumerate(m.options["A1"]) if str(o.day) == day and o.clock == clock]
        chosen[j] = offset
    for j in range(len(m.options["A1"])):  # exactly these shifts, with these breaks
        m.model.Add(m.works("A1", j) == int(j in chosen))
        for k, b in m.breaks.get(("A1", j), []):
            m.model.Add(b == int(j in chosen and k == chosen[j]))
    if not isinstance(term, int):
        m.model.Minimize(term)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    status = solver.Solve(m.model)
    return status, (solver.ObjectiveValue() / UNITS if status == cp_model.OPTIMAL else None)


def roster_rows(sc, grid, shifts):
    options = {(str(o.day), o.clock): o for o in all_options(sc, grid)["A1"]}
    return [row_from_plan(sc, grid, PlannedShift(options[(day, clock)], offset, ("en",)))
            for day, clock, offset in shifts]


E7, E9, L14 = 7 * 60, 9 * 60, 14 * 60
MID = 240  # the break four hours into an early shift

# rule: (contract or rules, feasible shifts, infeasible shifts, the validator's rule names for the break)
HARD = {
    "one_shift_per_day": ({}, [(MON, E7, MID)], [(MON, E7, MID), (MON, L14, None)], {"one_shift_per_day"}),
    "break_placement": ({}, [(MON, E7, MID)], [(MON, E7, 0)], {"break_placement"}),
    "weekly_hours": ({"max_hours": 14}, [(MON, E7, MID), (TUE, E7, MID)], [(MON, E7, MID), (TUE, L14, None)],
                     {"max_hours"}),
    "max_days": ({"max_days": 2}, [(MON, E7, MID), (WED, E7, MID)], [(MON, E7, MID), (WED, E7, MID), (FRI, E7, MID)],
                 {"max_days"}),
    "min_rest": ({}, [(MON, L14, None), (TUE, E9, MID)], [(MON, L14, None), (TUE, 8 * 60, MID)], {"min_rest"}),
    "max_consecutive_days": ({}, [(MON, E7, MID), (TUE, E7, MID), (WED, E7, MID), (FRI, E7, MID)],
                             [(MON, E7, MID), (TUE, E7, MID), (WED, E7, MID), (THU, E7, MID)], {"max_consecutive_days"}),
}
OBJECTIVE = {"wage_cost", "coverage_shortfall", "change_cost", "fairness", "requests"}


def test_every_rule_has_a_check_of_its_name_and_a_pair():
    builders = {r.__name__ for r in RULES}
    checked = set(CHECKS) | {"coverage_shortfall", "change_cost", "fairness"}
    assert builders <= checked, builders - checked
    assert set(CHECKS) - builders == set(OPTION_RULES) - {"requests"}  # the rest are kept by the shift options
    assert builders == set(HARD) | OBJECTIVE
    assert hasattr(validate_coverage, "coverage_shortfall") and hasattr(validate_changes, "change_cost")
    assert hasattr(validate_people, "people") and hasattr(validate_people, "requests")


@pytest.mark.parametrize("rule", sorted(HARD))
def test_model_and_validator_judge_each_pair_alike(tmp_path, rule):
    contract, ok, bad, names = HARD[rule]
    sc, grid, st = week_of(tmp_path, **contract)
    builder = next(r for r in RULES if r.__name__ == rule)
    assert fixed_model(sc, grid, st, builder, ok)[0] == cp_model.OPTIMAL
    assert fixed_model(sc, grid, st, builder, bad)[0] == cp_model.INFEASIBLE
    check = CHECKS[rule]
    assert check(RosterWeek(sc, grid, place(sc, grid, roster_rows(sc, grid, ok)))) == []
    found = check(RosterWeek(sc, grid, place(sc, grid, roster_rows(sc, grid, bad))))
    assert {b.rule for b in found} == names and len(found) == 1


def test_the_objective_terms_equal_the_validators_recomputation(tmp_path):
    sc, grid, st = week_of(tmp_path)
    shifts = [(MON, E7, MID), (TUE, L14, None)]
    ev = evaluate(sc, grid, st, roster_rows(sc, grid, shifts))
    builders = {r.__name__: r for r in RULES}
    wages = fixed_model(sc, grid, st, builders["wage_cost"], shifts, builders["break_placement"])[1]
    assert wages == pytest.approx(ev.cost, abs=0.01)
    assert fixed_model(sc, grid, st, builders["coverage_shortfall"], shifts, builders["break_placement"])[1] == pytest.approx(ev.shortfall_cost,
                                                                                                 abs=0.01)
    assert ev.shortfall_hours > 0 and ev.cost > 0  # both terms are really compared


@pytest.mark.parametrize("rule, contract, leave", [
    ("daily_window", {"earliest_start": "08:00"}, None),
    ("leave", {}, [{"agent_id": "A1", "start": MON, "end": MON, "reason": "sick"}]),
])
def test_rules_kept_by_the_options_leave_no_option_and_are_checked(tmp_path, rule, contract, leave):
    """A shift the rule forbids is not an option of the model, and its row is a break of that name."""
    sc, grid, st = week_of(tmp_path, **contract)
    if leave:
        from scenario_builder import write_csv
        write_csv(tmp_path / "s" / "leave.csv", leave)
        sc = load_scenario(tmp_path / "s")
    opts = {(str(o.day), o.clock) for o in all_options(sc, grid)["A1"]}
    assert (MON, E7) not in opts and (TUE, E9) in opts
    folder_free = week_of(tmp_path / "free")[0]
    [row] = roster_rows(folder_free, grid, [(MON, E7, MID)])
    found = CHECKS[rule](RosterWeek(sc, grid, place(sc, grid, [row])))
    assert [b.rule for b in found] == [rule]
