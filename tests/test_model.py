"""The rota model: hand-checkable optima, and a feasible/infeasible pair per rule."""

from datetime import date

import pytest
from ortools.sat.python import cp_model

from scenario_builder import agent, write_scenario
from dataclasses import replace

from scheduler import model as M
from scheduler.model import rules
from scheduler.search import SearchConfig
from scheduler.calendar import planning_grid
from scheduler.io.scenario import load_scenario
from scheduler.plan import make_plan
from scheduler.staffing import compute_staffing

WEEK = date(2026, 11, 30)  # a Monday
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hours(market, day, first, last, q=1.0):
    """Forecast rows for local hours first..last-1 of one weekday (1 question/h needs exactly 1 agent)."""
    return [{"market": market, "start": f"{day} {h:02d}:00", "questions": q} for h in range(first, last)]


def one_site(tmp_path, agents, shifts, forecast, markets=None, night=0.0, weekend=0.0, **kw):
    markets = markets or [{"market": "CN", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}]
    folder = write_scenario(tmp_path / "s", sites=[{"site": "hq", "timezone": "Asia/Shanghai",
                                                    "night_premium": night, "weekend_premium": weekend}],
                            agents=agents, markets=markets, shifts=shifts, forecast=forecast, **kw)
    return load_scenario(folder)


def test_night_shift_with_break_has_the_hand_computed_optimum(tmp_path):
    # Need 1 agent Mon 22:00-Tue 06:00; one agent, one 9-h template with a 1-h break: the break costs 1 h of
    # shortfall wherever it goes. Paid 8 h: 7 night hours at 10 * 1.5 and 06:00-07:00 at 10 -> 115.
    sc = one_site(tmp_path, [agent("A1", cost=10)],
                  [{"shift": "N", "site": "hq", "start": "22:00", "hours": 9, "break_minutes": 60, "days": "Mon"}],
                  hours("CN", "Mon", 22, 24) + hours("CN", "Tue", 0, 6), night=0.5, shortfall=1000)
    p = make_plan(sc, WEEK, time_limit=20)
    ev = p.evaluation
    assert p.result.status == "OPTIMAL"
    assert ev.cost == pytest.approx(115.0)
    assert ev.shortfall_hours == pytest.approx(1.0)
    assert p.result.objective == pytest.approx(115.0 + 1000.0)
    [shift] = ev.shifts
    assert shift.brk is not None and 1 * 60 <= shift.brk[0] - shift.start <= 7 * 60 - 60
    assert ev.breaks == []


def test_bilingual_agent_is_never_counted_in_two_queues(tmp_path):
    markets = [{"market": "FR", "timezone": "Asia/Shanghai", "language": "fr", "aht_seconds": 180},
               {"market": "US", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}]
    sc = one_site(tmp_path, [agent("A1", languages="fr;en")],
                  [{"shift": "D", "site": "hq", "start": "09:00", "hours": 8, "days": "Mon"}],
                  hours("FR", "Mon", 9, 17) + hours("US", "Mon", 9, 17), markets=markets)
    ev = make_plan(sc, WEEK, time_limit=20).evaluation
    assert ev.shortfall_hours == pytest.approx(8.0)
    assert ev.coverage["scheduled"].sum() == pytest.approx(8.0)  # 8 agent-hours in total, not 16
    per_interval = ev.coverage.groupby("interval")["scheduled"].sum()
    assert per_interval.max() == pytest.approx(1.0)


def test_too_few_agents_returns_a_plan_and_its_shortfall(tmp_path):
    sc = one_site(tmp_path, [agent("A1")], [{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
                  hours("CN", "Tue", 9, 17, q=10))  # 10/h needs 2 agents
    p = make_plan(sc, WEEK, time_limit=20)
    ev = p.evaluation
    req = ev.coverage["required"].sum()
    assert req == 16
    assert ev.shortfall_hours == pytest.approx(8.0)
    assert len(ev.shifts) == 1 and ev.shifts[0].row.date == date(2026, 12, 1)
    short = ev.coverage[ev.coverage["shortfall_hours"] > 0]
    assert list(short["interval"]) == list(range(24 + 9, 24 + 17))


def test_overnight_shift_across_the_week_end(tmp_path):
    # Sunday 22:00 + 9 h runs into next week: paid in full, counted only inside this week's grid.
    sc = one_site(tmp_path, [agent("A1", cost=20)],
                  [{"shift": "N", "site": "hq", "start": "22:00", "hours": 9, "days": "Sun"}],
                  hours("CN", "Sun", 22, 24), shortfall=1000)
    ev = make_plan(sc, WEEK, time_limit=20).evaluation
    [shift] = ev.shifts
    assert shift.row.date == date(2026, 12, 6) and shift.end > ev.grid.minutes
    assert ev.cost == pytest.approx(9 * 20)
    assert ev.coverage["scheduled"].sum() == pytest.approx(2.0)
    assert ev.shortfall_hours == 0


def test_dst_week_paris_overnight_shift_is_nine_real_hours(tmp_path):
    # Europe/Paris planning week of 2026-10-19 holds the change of Sun 10-25 (03:00 CEST -> 02:00 CET).
    folder = write_scenario(
        tmp_path / "dst", tz="Europe/Paris",
        sites=[{"site": "paris", "timezone": "Europe/Paris", "night_premium": 0.25}],
        agents=[agent("P1", site="paris", languages="fr", cost=24)],
        markets=[{"market": "FR", "timezone": "Europe/Paris", "language": "fr", "aht_seconds": 180}],
        shifts=[{"shift": "N", "site": "paris", "start": "22:00", "hours": 9, "days": "Sat"}],
        forecast=[{"market": "FR", "start": f"2026-10-24 {h:02d}:00", "questions": 1} for h in (22, 23)]
        + [{"market": "FR", "start": f"2026-10-25 {h:02d}:00", "questions": 1} for h in range(0, 6)],
        shortfall=1000)
    sc = load_scenario(folder)
    ev = make_plan(sc, date(2026, 10, 19), time_limit=20).evaluation
    assert ev.grid.size == 169
    [shift] = ev.shifts
    assert (shift.row.start, shift.row.end) == (22 * 60, 6 * 60)  # 22:00 CEST + 9 h = 06:00 CET
    assert shift.end - shift.start == 9 * 60
    # Night 22:00-06:00 local is 9 real hours this night: all 9 paid hours at the premium.
    assert ev.cost == pytest.approx(9 * 24 * 1.25)
    assert ev.shortfall_hours == 0 and ev.breaks == []


# ------------------------------------------------------------ one rule at a time

def rule_status(sc, rules, fixed: list[tuple[str, str, int]]) -> int:
    """Build only `rules`, fix the shifts (agent, 'YYYY-MM-DD', local start minutes) to 1 and solve."""
    grid = planning_grid(sc, WEEK)
    m = M.RotaModel(sc, grid, compute_staffing(sc, grid))
    for rule in rules:
        rule(m)
    for a, day, clock in fixed:
        js = [j for j, o in enumerate(m.options[a]) if str(o.day) == day and o.clock == clock]
        assert js, (a, day, clock)
        m.model.Add(m.works(a, js[0]) == 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10
    return solver.Solve(m.model)


TEMPLATES = [{"shift": "E", "site": "hq", "start": "07:00-09:00/60", "hours": 8},
             {"shift": "L", "site": "hq", "start": "14:00", "hours": 8}]


@pytest.fixture
def rules_scenario(tmp_path):
    return one_site(tmp_path, [agent("A1", max_days=7, max_hours=80, min_hours=0)], TEMPLATES,
                    hours("CN", "Mon", 9, 10), policy_extra="\n[rules]\nmin_rest_hours = 11\nmax_consecutive_days = 6\n")


@pytest.mark.parametrize("fixed, status", [
    ([("A1", "2026-11-30", 14 * 60), ("A1", "2026-12-01", 9 * 60)], cp_model.OPTIMAL),  # 22:00 -> 09:00: 11 h
    ([("A1", "2026-11-30", 14 * 60), ("A1", "2026-12-01", 8 * 60)], cp_model.INFEASIBLE),  # 10 h
])
def test_min_rest(rules_scenario, fixed, status):
    assert rule_status(rules_scenario, [rules.min_rest], fixed) == status


@pytest.mark.parametrize("fixed, status", [
    ([("A1", "2026-11-30", 7 * 60)], cp_model.OPTIMAL),
    ([("A1", "2026-11-30", 7 * 60), ("A1", "2026-11-30", 14 * 60)], cp_model.INFEASIBLE),
])
def test_one_shift_per_day(rules_scenario, fixed, status):
    assert rule_status(rules_scenario, [rules.one_shift_per_day], fixed) == status


@pytest.mark.parametrize("n, status", [(6, cp_model.OPTIMAL), (7, cp_model.INFEASIBLE)])
def test_max_consecutive_days(rules_scenario, n, status):
    fixed = [("A1", f"2026-{11 if d == 0 else 12}-{30 if d == 0 else d:02d}", 7 * 60) for d in range(n)]
    assert rule_status(rules_scenario, [rules.max_consecutive_days], fixed) == status


@pytest.mark.parametrize("max_days, status", [(5, cp_model.OPTIMAL), (4, cp_model.INFEASIBLE)])
def test_max_days(tmp_path, max_days, status):
    sc = one_site(tmp_path, [agent("A1", max_days=max_days, max_hours=80)], TEMPLATES, hours("CN", "Mon", 9, 10))
    fixed = [("A1", f"2026-12-{d:02d}", 7 * 60) for d in range(1, 6)]
    assert rule_status(sc, [rules.max_days], fixed) == status


@pytest.mark.parametrize("max_hours, min_hours, shifts, status", [
    (16, 0, 2, cp_model.OPTIMAL), (15, 0, 2, cp_model.INFEASIBLE),
    (40, 24, 3, cp_model.OPTIMAL), (40, 25, 3, cp_model.OPTIMAL),  # free to add a 4th shift
])
def test_weekly_hours(tmp_path, max_hours, min_hours, shifts, status):
    sc = one_site(tmp_path, [agent("A1", max_days=7, max_hours=max_hours, min_hours=min_hours)], TEMPLATES,
                  hours("CN", "Mon", 9, 10))
    fixed = [("A1", f"2026-12-{d:02d}", 7 * 60) for d in range(1, 1 + shifts)]
    assert rule_status(sc, [rules.weekly_hours], fixed) == status


def test_min_hours_unreachable_is_infeasible_not_a_silent_pass(tmp_path):
    sc = one_site(tmp_path, [agent("A1", max_days=1, max_hours=40, min_hours=9)], TEMPLATES, hours("CN", "Mon", 9, 10))
    assert rule_status(sc, [rules.weekly_hours, rules.max_days], []) == cp_model.INFEASIBLE


def test_leave_window_and_template_days_remove_options(tmp_path):
    sc = one_site(tmp_path, [agent("A1", earliest_start="08:00", latest_end="23:00")],
                  TEMPLATES + [{"shift": "W", "site": "hq", "start": "10:00", "hours": 6, "days": "Sat-Sun"}],
                  hours("CN", "Mon", 9, 10), leave=[{"agent_id": "A1", "start": "Tue", "end": "Wed", "reason": "x"}])
    grid = planning_grid(sc, WEEK)
    m = M.RotaModel(sc, grid, compute_staffing(sc, grid))
    opts = m.options["A1"]
    assert all(o.clock >= 8 * 60 for o in opts)  # 07:00 is before the window
    assert not any(o.day in (date(2026, 12, 1), date(2026, 12, 2)) for o in opts)  # leave
    assert {o.day.weekday() for o in opts if o.template == "W"} == {5, 6}
    # 14:00 + 8 h ends 22:00 (inside 23:00); 10:00 + 6 h fine.
    assert {o.template for o in opts} == {"E", "L", "W"}


def test_impossible_contracts_are_diagnosed_before_solving(tmp_path, capsys):
    from clirun import rota
    folder = write_scenario(
        tmp_path / "diag", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent("A1", min_hours=30, max_days=3), agent("A2", earliest_start="08:00", latest_end="12:00"),
                agent("A3", min_hours=20, max_days=5)],
        markets=[{"market": "CN", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8, "break_minutes": 60}],
        forecast=hours("CN", "Mon", 9, 17), leave=[{"agent_id": "A3", "start": "Mon", "end": "Thu", "reason": "x"}])
    r = rota(capsys, "plan", folder, "--week", "2026-11-30", "--out", tmp_path / "o", "--time-limit", "1")
    assert r.code == 2
    assert "agent A1 (agents.csv row 2): min_hours 30 cannot be reached: at most 21 paid hours fit in max_days 3" in r.err
    assert "agent A2 (agents.csv row 3): no shift template of site hq fits the daily window 08:00-12:00" in r.err
    # A3: 20 h pro rata for 4 days of leave is 8.57 h, reachable in the 3 days left: no complaint.
    assert "A3" not in r.err
    assert not (tmp_path / "o").exists()
    assert rota(capsys, "check", folder).code == 2


def test_shifts_ending_in_the_repeated_hour_evaluate_as_planned(tmp_path, capsys):
    # 2026-10-25 Paris: 03:00 CEST -> 02:00 CET. A Saturday 18:00 + 9 h shift ends at the second 02:00.
    from clirun import rota
    folder = write_scenario(
        tmp_path / "rep", tz="Europe/Paris",
        sites=[{"site": "paris", "timezone": "Europe/Paris", "night_premium": 0.25}],
        agents=[agent("P1", site="paris", languages="fr", cost=24, min_hours=0),
                agent("P2", site="paris", languages="fr", cost=24, min_hours=0)],
        markets=[{"market": "FR", "timezone": "Europe/Paris", "language": "fr", "aht_seconds": 180}],
        shifts=[{"shift": "E", "site": "paris", "start": "18:00", "hours": 9, "break_minutes": 60, "days": "Sat"},
                {"shift": "N", "site": "paris", "start": "22:00", "hours": 9, "break_minutes": 60, "days": "Sat"}],
        forecast=[{"market": "FR", "start": f"2026-10-24 {h:02d}:00", "questions": 1} for h in range(18, 24)]
        + [{"market": "FR", "start": f"2026-10-25T{h:02d}:00:00+0{1 if h >= 3 else 2}:00", "questions": 1} for h in range(0, 6)],
        shortfall=1000)
    out = tmp_path / "o"
    assert rota(capsys, "plan", folder, "--week", "2026-10-19", "--out", out, "--time-limit", "10", "--quiet").code == 0
    rows = list(__import__("csv").DictReader((out / "rep-2026-W43-roster.csv").open(encoding="utf-8-sig")))
    assert {(r["start"], r["end"]) for r in rows} == {("18:00", "02:00"), ("22:00", "06:00")}
    assert all(float(r["paid_hours"]) == 8 for r in rows)
    # The breaks avoid starting in the repeated hour, and the planned roster evaluates with no break of any rule.
    assert all(not r["break_start"].startswith("02:") for r in rows)
    r = rota(capsys, "evaluate", folder, out / "rep-2026-W43-roster.csv", "--out", tmp_path / "e")
    assert r.code == 0 and "no rule breaks" in r.out


def test_leave_inside_a_break_keeps_the_shift_with_that_break(tmp_path):
    sc = one_site(tmp_path, [agent("A1")],
                  [{"shift": "D", "site": "hq", "start": "08:00", "hours": 9, "break_minutes": 60}],
                  hours("CN", "Tue", 8, 17), leave=[{"agent_id": "A1", "start": "2026-12-01 12:00", "end": "2026-12-01 13:00",
                                                      "reason": "dentist"}])
    grid = planning_grid(sc, WEEK)
    m = M.RotaModel(sc, grid, compute_staffing(sc, grid))
    [tuesday] = [o for o in m.options["A1"] if o.day == date(2026, 12, 1)]
    assert tuesday.break_offsets == (4 * 60,)  # the break must be 12:00-13:00
    ev = make_plan(sc, WEEK, time_limit=10).evaluation
    tue = [s for s in ev.shifts if s.row.date == date(2026, 12, 1)]
    assert tue and tue[0].row.break_start == 12 * 60 and ev.breaks == []


def test_reported_gap_uses_the_plans_exact_total(tmp_path):
    sc = one_site(tmp_path, [agent("A1"), agent("A2")], [{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
                  hours("CN", "Tue", 9, 17, q=10))
    p = make_plan(sc, WEEK, time_limit=10)
    assert p.result.bound <= p.evaluation.total + 1e-6
    assert p.result.gap == pytest.approx(max(0.0, (p.evaluation.total - p.result.bound) / p.evaluation.total), abs=1e-9) \
        or p.result.gap == 0.0


def test_lp_bound_prices_rounding_to_whole_agents(tmp_path):
    # 10 % shrinkage: each hour 09-17 needs 1 / 0.9 agents, 1.12 to the hundredth: 67.2 agent-minutes. The
    # best rota is one agent (8 h x 10 = 80) and 7.2 minutes short each hour (8 x 7.2 x 60/60 = 57.6): 137.6.
    # A plain LP relaxation takes 0.12 of a second agent instead (80 + 9.6); the rounding cut makes the LP
    # bound the optimum itself.
    sc = one_site(tmp_path, [agent("A1"), agent("A2")],
                  [{"shift": "D", "site": "hq", "start": "09:00", "hours": 8, "days": "Tue"}],
                  hours("CN", "Tue", 9, 17), shortfall=60, shrinkage=0.1)
    p = make_plan(sc, WEEK, time_limit=10)
    assert p.evaluation.total == pytest.approx(137.6)
    assert p.result.lp_bound == pytest.approx(137.6, abs=0.01)
    assert p.result.status == "OPTIMAL" and p.result.gap == pytest.approx(0.0, abs=1e-6)


def test_lp_relaxation_reads_negated_literals():
    from scheduler.search.relax import lp_relaxation

    m = cp_model.CpModel()
    x, y = m.NewBoolVar("x"), m.NewBoolVar("y")
    m.AddBoolOr([x.Not(), y.Not()])  # x + y <= 1
    m.AddAtMostOne([x.Not(), y])  # (1 - x) + y <= 1, so y <= x
    m.Minimize(-10 * x - 20 * y)
    lp = lp_relaxation(m)
    assert lp.Solve() == lp.OPTIMAL
    assert lp.Objective().Value() == pytest.approx(-15.0)  # x = y = 1/2; the best integer point gives -10
    solver = cp_model.CpSolver()
    assert solver.Solve(m) == cp_model.OPTIMAL and solver.ObjectiveValue() == pytest.approx(-10.0)


def test_lp_bound_agrees_with_glop_and_any_duals_bound_from_below(tmp_path):
    """The plan's LP (HiGHS's interior point, read off through its duals) against OR-Tools' GLOP on the same
    relaxation; and the Lagrangian value of arbitrary duals never claims more than the LP optimum."""
    import numpy as np

    from scheduler.search.relax import LpBound, lagrangian_bound, linear_program, lp_relaxation

    m = _built(_breaks_scenario(tmp_path))
    glop = lp_relaxation(m.model)
    assert glop.Solve() == glop.OPTIMAL
    optimum = glop.Objective().Value()
    lp = LpBound(m.model, start=True)
    assert lp.result(wait=None) == pytest.approx(optimum, rel=1e-7)
    assert len(lp.solution()) == len(m.model.Proto().variables) and lp.iterations > 0
    p = linear_program(m.model)
    exact = np.array([c.dual_value() for c in glop.constraints()])
    assert lagrangian_bound(p, exact) == pytest.approx(optimum, rel=1e-9)
    rng = np.random.default_rng(3)
    for scale in (1e-3, 1.0, 1e3):
        noisy = exact + scale * rng.standard_normal(len(exact)) * np.abs(exact).mean()
        assert lagrangian_bound(p, noisy) <= optimum + 1e-6 * abs(optimum)


def test_the_lp_is_given_to_highs_in_currency_sized_costs_scaled_by_a_power_of_two(sample_lp):
    """HiGHS's tolerances are absolute; the duals must scale back exactly (the test above checks the bound)."""
    import numpy as np

    from scheduler.search.relax import cost_scale

    scale = cost_scale(np.array([1.08e8, -3.0, 0.0]))
    assert scale == 2.0 ** -19 and 128 < 1.08e8 * scale <= 256
    assert cost_scale(np.array([200.0, 1.0])) == 1.0 and cost_scale(np.zeros(3)) == 1.0
    # Unscaled, the sample's crossover needs 35 clean-up iterations; scaled, none.
    lp = sample_lp
    assert lp.result(wait=None) is not None and lp.cleanup == 0 and lp.pivots > 0


def test_a_cancelled_lp_stops_and_claims_no_bound():
    """Ctrl-C or the wall cap cancels the LP thread: HiGHS must stop rather than hold a core, and an LP
    cancelled before it is done must not report a bound, however far it had got. (How fast it stops is
    measured in benchmarks, not asserted here.)"""
    from scheduler.search.relax import LpBound

    m = _built(load_scenario("inputs/sample"))
    lp = LpBound(m.model, start=True)
    lp.cancel()  # at once: before the first iteration or inside the interior-point method
    assert lp.result(wait=None) is None and lp.solution() is None and lp.rounded(wait=None) is None
    assert not lp.running() and lp.iterations < 51  # the sample's LP takes 51 iterations to the end


def _built(sc) -> M.RotaModel:
    grid = planning_grid(sc, WEEK)
    return M.build(sc, grid, compute_staffing(sc, grid))


def _breaks_scenario(tmp_path):
    """Eight agents, nine-hour shifts with a one-hour break, starts 06:00-12:00, demand that rises and falls
    through every day: where shifts start and breaks go matters, and no short search proves the optimum."""
    forecast = [{"market": "CN", "start": f"{d} {h:02d}:00", "questions": 12 + (7 * h + 5 * k) % 23}
                for k, d in enumerate(DAYS) for h in range(6, 22)]
    return one_site(tmp_path, [agent(f"A{k}") for k in range(8)],
                    [{"shift": "D", "site": "hq", "start": "06:00-12:00/60", "hours": 9, "break_minutes": 60}],
                    forecast)


NO_PROOF = SearchConfig(exact_share=1e-9)  # no proof in the first pass, so the later passes run


def _names(p) -> list[str]:
    return [r.name for r in p.result.passes]


def test_a_week_whose_lp_is_too_large_to_guide_is_planned_by_lns_beside_it_and_still_bounded(tmp_path):
    never = replace(NO_PROOF, lp_iteration=1e9)  # the LP is expected never to end within the limit
    p = make_plan(_breaks_scenario(tmp_path), WEEK, time_limit=3, workers=2, search=never)
    assert _names(p) == ["complete search", "shifts fixed", "whole-model LNS beside the LP"]
    assert p.result.start == "" and p.evaluation.breaks == [] and len(p.result.shifts) >= 10
    # The LP still ran beside the search (its eight alike agents are one kind) and bounds the plan.
    assert 0 < p.result.lp_bound <= p.evaluation.total + 1e-6


def test_a_week_whose_lp_fits_is_planned_on_the_lp_shifts_within_the_lp_bound(tmp_path):
    p = make_plan(_breaks_scenario(tmp_path), WEEK, time_limit=4, workers=2, search=NO_PROOF)
    assert _names(p)[:4] == ["complete search", "shifts fixed", "dived start", "restricted LNS"]
    assert p.result.start == "dived"
    assert p.evaluation.breaks == [] and len(p.result.shifts) >= 10
    assert 0 < p.result.lp_bound <= p.evaluation.total + 1e-6
    assert p.result.bound >= p.result.lp_bound - 1e-6


def test_the_dived_start_replaces_the_plan_only_if_it_is_better(tmp_path):
    """A pass from another hint (the LP's rounding) is adopted only when its plan beats the current one;
    the restricted LNS then starts from whichever plan is current."""
    from scheduler.search.strategy import Search

    sc = _breaks_scenario(tmp_path)
    m = _built(sc)
    search = Search(m, NO_PROOF, 4, 2, 0, None)
    try:
        assert not search.run("complete search", m, m.model, 0.2, lns_only=False, rate=0.3)
        before = dict(search.start)
        worse = _nobody_works(m)
        from scheduler.search.models import with_shifts_fixed

        search.run("worse start", m, with_shifts_fixed(m, worse), 1e-3, lns_only=True, hint=worse, rate=0.43)
        assert not search.adopted and search.start == before and search.passes[-1].adopted is False
        assert search.passes[-1].objective > search.passes[0].objective
    finally:
        search.lp.cancel()


def test_a_small_week_is_dived_a_few_agents_a_round_and_a_large_one_half_of_them():
    c = SearchConfig()
    assert c.share_per_round(c.fine_max_variables) == c.fine_dive_share < c.dive_share
    assert c.share_per_round(c.fine_max_variables + 1) == c.dive_share


def _whole(m: M.RotaModel, solution) -> bool:
    """Every shift of the solution is worked or not, none in part."""
    return all(min(solution[x.Index()], 1 - solution[x.Index()]) < 1e-6 for x in m.x.values())


def test_where_the_whole_lps_dive_does_not_fit_the_lp_folded_over_kinds_is_dived_and_dealt_out(tmp_path):
    p = make_plan(_breaks_scenario(tmp_path), WEEK, time_limit=4, workers=2,
                  search=replace(NO_PROOF, rounding_max_variables=0))  # the whole LP is never dived
    assert p.result.start == "folded dive" and p.evaluation.breaks == []
    assert p.result.kinds < len(p.scenario.agents)
    assert _names(p)[:3] == ["complete search", "shifts fixed", "folded dive start"]


def test_where_no_folded_lp_is_dived_the_restricted_models_lp_is(tmp_path):
    p = make_plan(_breaks_scenario(tmp_path), WEEK, time_limit=4, workers=2,
                  search=replace(NO_PROOF, rounding_max_variables=0, fold_dive=False))
    assert p.result.start == "restricted dive" and p.evaluation.breaks == []
    assert _names(p)[:4] == ["complete search", "shifts fixed", "restricted LNS beside its dive",
                             "restricted dive start"]


def test_where_no_dive_fits_the_time_limit_the_lps_shifts_are_rounded_in_one_go(tmp_path):
    p = make_plan(_breaks_scenario(tmp_path), WEEK, time_limit=4, workers=2,
                  search=replace(NO_PROOF, rounding_share=0.0, fold_dive=False))
    assert p.result.start == "rounded" and p.evaluation.breaks == []
    assert "rounded start" in _names(p)


def _nobody_works(m: M.RotaModel) -> dict[str, int]:
    """The complete hint of the empty rota."""
    values = {x.Name(): 0 for x in m.x.values()}
    for flows in m.coverage.serve.values():
        for _, var, *count in flows:
            if var is not True:
                values[var.Name()] = values[count[0].Name()] = 0
    values.update({s.Name(): m.coverage.need[k] for k, s in m.coverage.shortfall.items()})
    return values


def test_every_plan_is_checked_where_it_is_made():
    """make_plan refuses a plan the validator finds a rule break in, or whose recomputed costs are above the
    solver's objective: either is a bug (InternalError), never passed on as a plan. Shortfall above the
    model's (its pooled coverage is a relaxation) is said in the plan's note."""
    from types import SimpleNamespace

    from scheduler.errors import InternalError
    from scheduler.plan import _check_plan
    from scheduler.validate import Break

    clean = SimpleNamespace(breaks=[], objective=100.0, shortfall_cost=40.0, shifts=[object()] * 3)
    _check_plan(SimpleNamespace(objective=100.02, note=""), clean)  # within a cent a shift: costs are rounded
    with pytest.raises(InternalError, match="the plan breaks 1 rules by the validator: min_rest"):
        _check_plan(SimpleNamespace(objective=100.0),
                    SimpleNamespace(breaks=[Break("min_rest", "A1", 3, "only 9 h")], objective=100.0, shifts=[]))
    with pytest.raises(InternalError, match="the validator's costs 60.00 without shortfall are above the solver's "
                                            "objective 59.90"):
        _check_plan(SimpleNamespace(objective=59.9, note=""), clean)
    result = SimpleNamespace(objective=99.9, note="")
    _check_plan(result, clean)
    assert result.note.startswith("the evaluated total is 0.10 above the solver's objective")
