"""The LP relaxation of the rota model: a lower bound no rota can beat, from OR-Tools' linear solver (GLOP).

It is read off the CP-SAT model itself (every linear constraint, at-most-one
and clause, with each variable's bounds), so it relaxes exactly the model
that is solved, rounding cuts included, and needs no second description of
the rules. GLOP is deterministic and releases the GIL, so the bound is
computed in a thread beside the search.
"""

from __future__ import annotations

import threading

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

BIG = 2**62  # CP-SAT writes an unbounded side as +/- 2**63 - 1


def lp_relaxation(model: cp_model.CpModel, solver: str = "GLOP") -> pywraplp.Solver:
    proto = model.Proto()
    lp = pywraplp.Solver.CreateSolver(solver)
    inf = lp.infinity()
    xs = []
    for v in proto.variables:
        d = list(v.domain)
        xs.append(lp.NumVar(float(d[0]), float(d[-1]), ""))
    for c in proto.constraints:
        if list(c.enforcement_literal):
            raise ValueError("the LP relaxation reads plain constraints only (no enforcement literals)")
        if c.has_linear():
            d = list(c.linear.domain)
            row = lp.Constraint(float(d[0]) if d[0] > -BIG else -inf, float(d[-1]) if d[-1] < BIG else inf)
            for ref, k in zip(c.linear.vars, c.linear.coeffs):
                if ref < 0:
                    raise ValueError("negated reference in a linear constraint")
                row.SetCoefficient(xs[ref], float(k))
        elif c.has_at_most_one() or c.has_exactly_one() or c.has_bool_or():
            literals = list(c.at_most_one.literals if c.has_at_most_one() else
                            c.exactly_one.literals if c.has_exactly_one() else c.bool_or.literals)
            # A negated literal not(x) is 1 - x: move its constant to the right-hand side.
            negated = sum(1 for ref in literals if ref < 0)
            if c.has_at_most_one():
                row = lp.Constraint(-inf, 1.0 - negated)
            elif c.has_exactly_one():
                row = lp.Constraint(1.0 - negated, 1.0 - negated)
            else:
                row = lp.Constraint(1.0 - negated, inf)
            for ref in literals:
                var, sign = (xs[ref], 1.0) if ref >= 0 else (xs[-ref - 1], -1.0)
                row.SetCoefficient(var, row.GetCoefficient(var) + sign)
        else:
            raise ValueError("the LP relaxation reads linear constraints, at-most-one, exactly-one and clauses only")
    objective = lp.Objective()
    for ref, k in zip(proto.objective.vars, proto.objective.coeffs):
        objective.SetCoefficient(xs[ref], float(k))
    objective.SetOffset(float(proto.objective.offset))
    objective.SetMinimization()
    return lp


class LpBound:
    """The relaxation solved in a background thread; `result()` waits for it (objective units, or None)."""

    def __init__(self, model: cp_model.CpModel, work: float):
        """`work` limits GLOP in deterministic time, so whether the bound is found does not depend on the
        machine's speed or load (GLOP's deterministic second is about half a wall second on 2 cores)."""
        self._value: float | None = None
        self._solution: list[float] | None = None
        self.iterations = 0  # simplex iterations GLOP took: deterministic, unlike its wall time
        self._thread: threading.Thread | None = None
        if work <= 0:
            return  # no LP: results are None at once
        # A copy: the search changes the model's hints while the thread reads it.
        self._thread = threading.Thread(target=self._run, args=(model.clone(), work), daemon=True)
        self._thread.start()

    def _run(self, model: cp_model.CpModel, work: float) -> None:
        lp = lp_relaxation(model)
        lp.SetSolverSpecificParametersAsString(f"max_deterministic_time: {max(work, 1.0)}")
        status = lp.Solve()
        self.iterations = lp.iterations()
        if status == pywraplp.Solver.OPTIMAL:
            # A whisker below GLOP's optimum: its tolerances must not make the bound claim too much.
            value = lp.Objective().Value()
            self._value = value - 1e-7 * abs(value) - 1e-6
            self._solution = [v.solution_value() for v in lp.variables()]

    def result(self, wait: float | None = None) -> float | None:
        return None if self._wait(wait) else self._value

    def _wait(self, wait: float | None) -> bool:
        """Wait up to `wait` seconds; whether the LP is still running."""
        if self._thread is None:
            return False
        self._thread.join(wait)
        return self._thread.is_alive()

    def solution(self, wait: float | None = None) -> list[float] | None:
        """The relaxation's value of every model variable, by proto index (None if it was not solved)."""
        return None if self._wait(wait) else self._solution

    @property
    def started(self) -> bool:
        return self._thread is not None

    def running(self) -> bool:
        return self._wait(0)
