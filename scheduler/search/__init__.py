"""How the model is solved: a greedy start, the LP relaxation (bound and guide), rounding by diving, and
LNS passes, all steered by one `SearchConfig`."""

from scheduler.search.config import SearchConfig
from scheduler.search.result import PlannedShift, SolveResult
from scheduler.search.strategy import solve

__all__ = ["PlannedShift", "SearchConfig", "SolveResult", "solve"]
