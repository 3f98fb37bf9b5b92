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
    both empty when every shift is whole.

    Over an LP folded by kinds of agent (`folding`, `scheduler.search.fold`), a column is the share of the
    kind's n agents on a shift, and it is whole when n times it is: "to one" fixes it at the next whole
    count up (`up`), "to zero" at the one below (`down`). With one agent a kind, this is the dive above.
    """

    def __init__(self, m: RotaModel, share: float, folding=None):
        """`share`: of the agents with a part shift, the share whose shift is fixed each round (most worked
        first; `SearchConfig.share_per_round`). `folding`: the LP is this folding's (the rounding is of its
        counts); None: the whole LP."""
        sc = m.scenario
        self.share = share
        self.folding = folding
        self.folded = folding is not None
        self.parts: list[int] = []  # the columns still part at each round
        groups = folding.members if folding is not None else [[a] for a in m.options]
        where = folding.columns if folding is not None else None
        self.columns: dict[str, np.ndarray] = {}
        self.size: dict[str, int] = {}
        for members in groups:
            a = members[0]
            cols = np.array([m.x[(a, j)].index for j in range(len(m.options[a]))], dtype=np.int64)
            self.columns[a] = where[cols] if where is not None else cols
            self.size[a] = len(members)
        width = len(folding.lp.cost) if folding is not None else len(m.model.Proto().variables)
        self.up = np.ones(width)  # the value "to one" fixes each column at
        self.down = np.zeros(width)  # and "to zero"
        self.paid = {a: np.array([o.paid_minutes for o in m.options[a]], dtype=np.int64) for a in self.columns}
        self.day = {a: np.unique([o.day for o in m.options[a]], return_inverse=True)[1].ravel() for a in self.columns}
        self.high = {a: contract_max_minutes(sc.agents[a]) for a in self.columns}
        self.low = {a: contract_min_minutes(sc, m.grid, sc.agents[a]) for a in self.columns}
        self.max_days = {a: sc.agents[a].max_days for a in self.columns}
        self.longest = {a: int(paid.max(initial=0)) for a, paid in self.paid.items()}

    @property
    def partial(self) -> bool:
        """A folded dive cut short (by its budget) still serves if few of its counts are left part, which
        the dealing rounds: at most a tenth of those part when it started. (Cut at 60 % of its course,
        with 300 of the 751 counts of the 300-agent `shared` week part, dealt out, the plan was 15 %
        above the bound, twice the one-go rounding's 7.75 %; cut at 85 %, 4.9 %.)"""
        return self.folded and len(self.parts) > 1 and self.parts[-1] <= 0.1 * self.parts[0]

    def __call__(self, values: np.ndarray, fixed: np.ndarray) -> tuple[list[int], list[int]]:
        ones: list[int] = []
        zeros: list[int] = []
        picks: list[tuple[float, int]] = []
        parts = 0
        for a, cols in self.columns.items():
            n = self.size[a]
            count = values[cols] * n
            near = np.round(count)
            integral = np.abs(count - near) <= (1 - ONE) * n
            whole = integral & (near >= 1)
            self.up[cols[whole]] = near[whole] / n
            ones.extend(int(c) for c in cols[whole & ~fixed[cols]])
            part = np.flatnonzero((count > 1e-6) & ~integral & ~fixed[cols])
            parts += len(part)
            if not len(part):
                continue
            floor = np.where(integral, near, np.floor(count)) * (count > 1e-6)  # the whole agents on each shift
            paid, days = int(floor @ self.paid[a]), int(floor.sum())
            on_day = np.bincount(self.day[a], weights=floor, minlength=int(self.day[a].max()) + 1)
            most = n * self.max_days[a]
            fraction = count[part] - floor[part]
            taken = 0  # one shift a round for each of the kind's agents
            for k in part[np.argsort(-fraction, kind="stable")]:
                col = int(cols[k])
                self.up[col], self.down[col] = (floor[k] + 1) / n, floor[k] / n
                after = paid + int(self.paid[a][k])
                if (days < most and on_day[self.day[a][k]] < n and after <= n * self.high[a]
                        and after + (most - days - 1) * self.longest[a] >= n * self.low[a]):
                    picks.append((-float(count[k] - floor[k]), col))
                    taken += 1
                    if taken == n:
                        break
                    paid, days = after, days + 1
                    on_day[self.day[a][k]] += 1
                    continue
                zeros.append(col)  # no week of this kind's agents has one more of it
        picks.sort()
        ones.extend(c for _, c in picks[:int(np.ceil(len(picks) * self.share))])
        self.parts.append(parts)
        return ones, zeros
