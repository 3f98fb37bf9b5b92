"""rota: least-cost multilingual support rotas from a question forecast.

The library behind the `rota` command; docs/api.md shows it at work::

    import scheduler as rota
    sc = rota.load_scenario("inputs/sample")
    plan = rota.make_plan(sc, time_limit=10)
    plan.roster, plan.coverage, plan.total, plan.bound, plan.gap

Names load when first used, so `rota --help` does not wait for the solver,
pandas and openpyxl to import.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_API = {
    "load_scenario": "scheduler.io.scenario",
    "make_plan": "scheduler.plan",
    "Plan": "scheduler.plan",
    "write_workbook": "scheduler.plan",
    "evaluate_roster": "scheduler.plan",
    "read_roster": "scheduler.io.roster",
    "read_previous": "scheduler.io.roster",
    "replan": "scheduler.replanning",
    "load_history": "scheduler.io.history",
    "run_whatif": "scheduler.whatif",
    "Hire": "scheduler.whatif",
    "Remove": "scheduler.whatif",
    "Demand": "scheduler.whatif",
    "simulate_roster": "scheduler.simulate",
    "promise": "scheduler.promise",
    "forecast": "scheduler.forecasting",
    "review": "scheduler.reviewing",
    "SearchConfig": "scheduler.search",
    "RotaError": "scheduler.errors",
    "InputError": "scheduler.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scheduler' has no attribute {name!r}")
