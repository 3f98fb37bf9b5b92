"""Rounding the LP relaxation to a rota by diving: fix some shifts, re-solve, repeat.

The LP's vertex is very fractional (at 300 agents, 1,232 of the 1,987
shifts it uses; 254 of the 300 agents work part of a shift), and rounding it
in one go loses most of its advantage: taking each shift the LP works at
least half of, the greedy filling in, cost 202 k before LNS and 182.6 k
after (the LP: 171.3 k). Diving keeps it: each round keeps the shifts the LP
works whole and fixes one more per agent to worked (the one the LP works
most, for a share of the agents whose shift has the most: half on a large
week, fewer on a small one, where each fixing weighs more), and the LP
re-solves from its last basis by dual simplex, so the other agents' shifts
move to make up for what was rounded.
With every shift whole, the LP is 175.3 k at 300 agents (2.4 % above the
relaxation), and its shifts, with breaks and queues placed by LNS, 175.8 k
after 10 s (HiGHS in scheduler/search/relax.py does the re-solves; figures in
docs/model.md).

A shift that cannot be part of the agent's week any more with the shifts
already whole (over the weekly maximum, or leaving the minimum out of reach
in the days left) is fixed to not worked instead. These checks are
necessary, not sufficient (rest, consecutive days and the days actually
left are the LP's to find), so a re-solve can still turn out infeasible
(coverage is soft and never makes it so): the round then tries the first
half of its shifts, down to a single one, which is fixed to not worked
(`LpBound._diving`). The whole LP's dives on the ladder's weeks never
needed it; the restricted model's LP, with fewer shifts to choose from,
did once at 1,000 agents.
"""

from __future__ import annotations

import numpy as np

from scheduler.model import RotaModel
from scheduler.shifts import contract_max_minutes, contract_min_minutes

ONE = 1 - 1e-6  # an LP value this close to 1 is a whole shift


class ShiftDive:
    """Chooses, from the LP's current values, the shifts to fix next: `(to one, to zero)` column lists,
    both empty when every shift is whole."""

    def __init__(self, m: RotaModel, share: float):
        """`share`: of the agents with a part shift, the share whose shift is fixed each round (most worked
        first; `SearchConfig.share_per_round`)."""
        sc = m.scenario
        self.share = share
        self.columns = {a: np.array([m.x[(a, j)].index for j in range(len(opts))], dtype=np.int64)
                        for a, opts in m.options.items()}
        self.paid = {a: np.array([o.paid_minutes for o in opts], dtype=np.int64) for a, opts in m.options.items()}
        self.high = {a: contract_max_minutes(sc.agents[a]) for a in m.options}
        self.low = {a: contract_min_minutes(sc, m.grid, sc.agents[a]) for a in m.options}
        self.max_days = {a: sc.agents[a].max_days for a in m.options}
        self.longest = {a: int(paid.max(initial=0)) for a, paid in self.paid.items()}

    def __call__(self, values: np.ndarray, fixed: np.ndarray) -> tuple[list[int], list[int]]:
        ones: list[int] = []
        zeros: list[int] = []
        picks: list[tuple[float, int]] = []
        for a, cols in self.columns.items():
            v = values[cols]
            whole = v >= ONE
            ones.extend(int(c) for c in cols[whole & ~fixed[cols]])
            part = np.flatnonzero((v > 1e-6) & ~whole & ~fixed[cols])
            if not len(part):
                continue
            paid, days = int(self.paid[a][whole].sum()), int(whole.sum())
            for k in part[np.argsort(-v[part], kind="stable")]:
                after = paid + int(self.paid[a][k])
                if (days < self.max_days[a] and after <= self.high[a]
                        and after + (self.max_days[a] - days - 1) * self.longest[a] >= self.low[a]):
                    picks.append((-float(v[k]), int(cols[k])))
                    break
                zeros.append(int(cols[k]))  # no week of this agent has it any more
        picks.sort()
        ones.extend(c for _, c in picks[:int(np.ceil(len(picks) * self.share))])
        return ones, zeros
