"""How the search spends its time: every tuning figure in one dataclass, passed in, not patched.

The search runs on deterministic time, not the wall clock, so the same inputs
and seed give the same rota on any machine; the time limit converts to a work
budget at the rate measured per solver worker on 2 cores, and the wall clock
only caps it. Rates are deterministic seconds per second of one thread,
measured on the sample, 150 and 300 agents, the 30-minute week and 1,000
agents; docs/model.md has the figures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchConfig:
    # -- work per second of one thread, by kind of pass
    fixed_lns_rate: float = 0.43  # LNS with a plan's shifts fixed, in each of two threads: 0.38-0.61
    beside_lp_rate: float = 0.55  # the same in one thread beside the LP: 0.53-0.75
    whole_beside_rate: float = 0.8  # LNS on the whole model in one thread beside an LP too large to guide:
    # 0.78-0.85 (150 agents with start ranges, 93.9 k variables)
    search_rate: float = 0.3  # a complete search, one thread: 0.20-0.61, mostly 0.34-0.44

    # -- shares of the time limit
    exact_share: float = 0.05  # a complete search from the greedy plan (proves small weeks optimal)
    stagger_share: float = 0.1  # at least, for the breaks and queues of those shifts (beside the LP, which takes a core)
    rounded_share: float = 0.1  # for the breaks and queues of the LP rounded to a rota (dived, or in one go)
    polish_share: float = 0.05  # at least, LNS on the whole model when there is no LP solution or nothing better
    lp_share: float = 0.7  # the LP guides the search when it should end within this share of the time limit
    rounding_share: float = 0.75  # and rounded by a dive when both should end within this share
    wall_cap: float = 2.0  # a slower machine may take up to this multiple of the limit rather than plan differently

    # -- the LP (HiGHS's interior point and crossover, search/relax.py): 50-80 iterations, each about
    # lp_iteration x (variables / 16,870) ** 1.3 s on 2 cores beside the search, and crossover pivots
    # (about 4 % of the variables) at lp_pivot x (variables / 16,870) s (alone, the sample: 51 and 706 in
    # 2.5 s; 300 agents, 61 k variables: 65 and 2,454 in 17.9 s; 1,000 agents, 186 k: 79 and 7,592 in 97 s).
    lp_iteration: float = 0.044
    lp_pivot: float = 0.00043

    # -- rounding the LP by diving (search/rounding.py): pivots about 0.4 x the variables, each about
    # dive_pivot x (variables / 34,000) ** 0.85 s (150 agents 0.53 ms, 300 agents 0.78, their 30-minute
    # week 1.23). At 1,000 agents the first round's took 6.6 ms each, three times this: no dive above
    # rounding_max_variables, where the formula is not known to hold.
    dive_pivot: float = 0.00053
    rounding_max_variables: int = 120_000  # the largest model measured at the formula's pace: 93,573
    # Where the whole LP's dive does not fit, the restricted model's LP is solved and dived instead
    # (1,000 agents: 59,125 variables, 60,301 pivots; 300 agents' 21,134: 19,737): one pivot per variable.
    restricted_pivots: float = 1.0
    # The share of the agents with a part shift whose shift is fixed each round: few on a small week, so
    # the LP makes up for each (the sample's dived LP: 43,429 fixing half, 42,985 a quarter, 42,900 a
    # tenth, 42,846 3 %); half on a large one (300 agents: 29.9 s for 175.2 k with a tenth, 18-20 s for
    # 175.1-175.3 k with half).
    dive_share: float = 0.5
    fine_dive_share: float = 0.05
    fine_max_variables: int = 25_000

    def whole_lns_rate(self, variables: int) -> float:
        """LNS on the whole model: 0.25, 0.22 and 0.19 at 17 k, 61 k and 186 k variables."""
        return 0.25 * min(1.0, (17_000 / variables) ** 0.11)

    def restricted_lns_rate(self, variables: int) -> float:
        """LNS on the LP-restricted model: 0.39 and 0.41 at 12.6 k and 17.9 k variables in a minute (slower
        over five), 0.27 and 0.31 at 31 k (the 30-minute week) and 48 k. On the benchmark families' weeks
        (6.6-13 k variables, 20 s) 0.35 ran 1.2-1.5 times over its time: 0.27."""
        return 0.27 * min(1.0, (18_000 / variables) ** 0.32)

    # -- what a plan does besides searching, by the whole model's variables: building it, reading and folding
    # its LP, the greedy start and the evaluation (150 agents with start ranges: 7.1 s for 93.9 k variables),
    # and building a restricted model (about 3.2e-5 s a variable)
    overhead_seconds: float = 0.5  # the staffing, and the evaluation (within the variables' share below)
    overhead_per_variable: float = 7.5e-5  # building the model, reading and folding its LP: 6.2-8.3e-5
    build_per_variable: float = 3.2e-5
    # Not counted apart: the evaluation's queue assignment (on every core), 1.9-3.3 s at 300 agents and
    # 5.0-13.9 s at 1,000 on the families' weeks. Counted (45 us an agent and interval), it took 2.3 s from
    # the search at 300 agents in 60 s, which moved the ladder's week off the whole LP's dive (1.90 % ->
    # 2.28 %): the paths' shares were measured with this limit.

    def search_seconds(self, limit: float, variables: int) -> float:
        """The search's share of a plan's time limit: the rest goes to the work around it (at least half)."""
        return max(0.5 * limit, limit - self.overhead_seconds - self.overhead_per_variable * variables)

    def build_seconds(self, variables: int) -> float:
        return self.build_per_variable * variables

    def setup_seconds(self, variables: int) -> float:
        """The wall time a pass takes beyond its work, loading and presolving the model: 0.1-0.2 s at
        16-40 k variables, 1.2-1.8 s at 94 k (the benchmark families). Counted as used, so passes end
        near the limit on large weeks too."""
        return 1.6e-5 * variables

    def lp_iteration_seconds(self, variables: int) -> float:
        return self.lp_iteration * (variables / 16_870) ** 1.3

    def lp_pivot_seconds(self, variables: int) -> float:
        return self.lp_pivot * variables / 16_870

    def lp_expected_seconds(self, variables: int) -> float:
        # 51-79 interior-point iterations, and crossover pivots about 4 % of the variables (4.0-4.6 %)
        return 65 * self.lp_iteration_seconds(variables) + 0.042 * variables * self.lp_pivot_seconds(variables)

    # A folded LP's pivots are dearer, its columns standing for whole kinds: 1.38-1.91 times the formula at
    # 300 agents (`shared` 18.1 k pivots in 20.5 s, 1.13 ms each against 0.75; `ranges` 1.41 ms, `individual`
    # 1.29, `grid30` 1.22 against 0.89)
    folded_pivot_factor: float = 1.62
    fold_dive: bool = True  # dive a folded LP that guides and deal it out (else: the restricted model's dive)
    # The folded LP's dive may take until this share of the search's time: the dealing and LNS on the dealt
    # shifts' breaks and queues follow (a dive cut short early is worth less than none: `ShiftDive.partial`).
    # At 300 agents and 60 s the dives took 12.9-18.1 k pivots, 15.7-22.4 s (`shared`, `ranges`,
    # `individual`, `grid30`): 0.75 cut `shared` short at 85 % of its course, 0.8 at 98 %.
    fold_dive_share: float = 0.8
    deal_rate: float = 0.65  # the dealing's deterministic seconds per second (`search.deal`: 2.0 in 3.1 s)

    def dive_pivot_seconds(self, variables: int, folded: bool = False) -> float:
        return self.dive_pivot * (variables / 34_000) ** 0.85 * (self.folded_pivot_factor if folded else 1.0)

    def dive_expected_seconds(self, variables: int, folded: bool = False) -> float:
        # pivots: about 0.4 a variable (whole LPs), 0.21-0.35 a column (folded ones)
        return (0.35 if folded else 0.4) * variables * self.dive_pivot_seconds(variables, folded)

    def lp_seconds(self, lp) -> float:
        """The LPs' time (folded and whole) and the dive's, from their iterations (deterministic), as the
        time limit counts it."""
        return (sum(it * self.lp_iteration_seconds(cols) + pv * self.lp_pivot_seconds(cols) for cols, it, pv, *_ in lp.runs)
                + lp.dive_pivots * self.dive_pivot_seconds(max(lp.dive_columns, 1), lp.dive_folded))

    def share_per_round(self, variables: int) -> float:
        """The share of part shifts a dive fixes each round on a model of this many variables."""
        return self.fine_dive_share if variables <= self.fine_max_variables else self.dive_share
