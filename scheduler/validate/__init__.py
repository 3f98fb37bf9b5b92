"""The solver-free validator: one check per rule, its own coverage, costs recomputed. It never imports the
model or the search, so the plan and its check cannot move together."""

from scheduler.validate.checks import CHECKS
from scheduler.validate.coverage import assign_queues, coverage_shortfall
from scheduler.validate.evaluation import Evaluation, evaluate
from scheduler.validate.placed import BREAK_COLUMNS, Break, RosterWeek, Shift, place

__all__ = ["BREAK_COLUMNS", "CHECKS", "Break", "Evaluation", "RosterWeek", "Shift", "assign_queues",
           "coverage_shortfall", "evaluate", "place"]
