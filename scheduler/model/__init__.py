"""The rota as one CP-SAT model: variables, and one builder per rule family. No search here
(`scheduler.search` solves it)."""

from scheduler.model.coverage import Coverage
from scheduler.model.rules import RULES, build
from scheduler.model.variables import UNITS, RotaModel

__all__ = ["RULES", "UNITS", "Coverage", "RotaModel", "build"]
