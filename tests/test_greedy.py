"""The greedy start obeys every rule the evaluator checks, so it is a feasible hint."""

from datetime import date

from scheduler import model as M
from scheduler.calendar import planning_grid
from scheduler.greedy import GreedyRota
from scheduler.inputs import load_scenario
from scheduler.model import PlannedShift, eligible_queues
from scheduler.roster import row_from_plan
from scheduler.staffing import compute_staffing
from scheduler.validate import evaluate


def test_greedy_rota_of_the_sample_breaks_no_rule():
    sc = load_scenario("inputs/sample")
    grid = planning_grid(sc, date(2026, 11, 30))
    st = compute_staffing(sc, grid)
    m = M.build(sc, grid, st)
    g = GreedyRota(m)
    g.run()
    queues = eligible_queues(sc)
    rows = [row_from_plan(sc, grid, PlannedShift(m.options[a][j], g.mid(m.options[a][j]), queues[a]))
            for a, js in g.picked.items() for j in js]
    ev = evaluate(sc, grid, st, rows)
    assert ev.breaks == []
    assert len(rows) > 200 and ev.shortfall_hours < ev.coverage["required"].sum() * 0.25
    # Its hint names real variables and assigns every shift literal.
    values = g.hint_values()
    assert all(x.Name() in values for x in m.x.values())
    assert sum(values[x.Name()] for x in m.x.values()) == len(rows)


def test_no_plan_in_time_returns_the_start_not_an_empty_roster(tmp_path, capsys, monkeypatch):
    """Every pass runs out of time before it finds a plan (as on a slow machine with a tiny limit)."""
    from clirun import rota
    from ortools.sat.python import cp_model

    from scheduler import model

    def out_of_time(solver, m, progress):
        solver.parameters.max_time_in_seconds = 0.0
        model.run_solver(solver, m)
        return cp_model.UNKNOWN, False, True

    monkeypatch.setattr(model, "_solve_interruptibly", out_of_time)
    r = rota(capsys, "plan", "inputs/sample", "--week", "2026-11-30", "--out", tmp_path, "--time-limit", "0.5", "--quiet")
    assert r.code == 0 and "no better plan found in the time limit" in r.err
    rows = (tmp_path / "sample-2026-W49-roster.csv").read_text().splitlines()
    assert len(rows) > 200
    assert "rule breaks" not in r.out
