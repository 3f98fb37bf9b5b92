"""The coverage rule: agents sent to queues per interval, and the shortfall below the requirement.

Agents who can serve the same set of queues are pooled per interval: the pool
sends whole agents to its queues and their minutes with them, which prices
coverage with a tight linear relaxation instead of one literal per agent,
queue and interval. Which single queue each agent serves is then picked
exactly by the evaluator (`scheduler.validate.coverage`), on its own model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from scheduler.week import SCALE


@dataclass
class Coverage:
    """The variables a solution's coverage is read back from."""

    serve: dict[tuple[str, int], list[tuple]]  # (pool, interval) -> [(queue, True)] or [(queue, minutes, agents)]
    shortfall: dict[tuple[str, int], cp_model.IntVar]
    need: dict[tuple[str, int], int]  # required 1/SCALE minutes where there is a shortfall variable
    term: object


def pooled_coverage(model: cp_model.CpModel, worked: dict[str, dict[int, object]],
                    heads: dict[str, dict[int, object]], queues_of: dict[str, tuple[str, ...]],
                    required: dict[str, np.ndarray], interval: int, price_per_unit: int) -> Coverage:
    """Per pool and interval, its minutes worked (`worked`) and agents on duty (`heads`) split over its
    queues with demand; shortfall per queue and interval is what is below the requirement
    (`required_units`), priced per unit."""
    cover: dict[tuple[str, int], list] = {}
    people: dict[tuple[str, int], list] = {}  # agents (whole heads) sent to each queue and interval
    serve: dict[tuple[str, int], list] = {}
    for pool, per_interval in worked.items():
        for i, w in per_interval.items():
            here = [q for q in queues_of[pool] if required[q][i] > 0]
            if not here:
                continue
            if len(here) == 1:
                cover.setdefault((here[0], i), []).append(w)
                serve[(pool, i)] = [(here[0], True)]
                people.setdefault((here[0], i), []).append(heads[pool][i])
                continue
            flows, counts = [], []
            for q in here:
                f = model.new_int_var(0, 10**7, f"minutes(pool={pool}, i={i}, queue={q})")
                k = model.new_int_var(0, 10**4, f"agents(pool={pool}, i={i}, queue={q})")
                model.add(f <= interval * k)
                flows.append(f)
                counts.append(k)
                cover.setdefault((q, i), []).append(f)
                people.setdefault((q, i), []).append(k)
            model.add(sum(flows) <= w)
            model.add(sum(counts) <= heads[pool][i])
            serve[(pool, i)] = list(zip(here, flows, counts))
    shortfall, terms, needs = {}, [], {}
    for q, req in required.items():
        for i in np.flatnonzero(req > 0):
            i = int(i)
            need = int(req[i])
            s = model.new_int_var(0, need, f"shortfall(queue={q}, i={i})")
            model.add(s + SCALE * sum(cover.get((q, i), [])) >= need)
            whole, part = divmod(need, interval * SCALE)
            if part:
                # Rounding cut: minutes come in whole agents of at most `interval` each, so with K agents
                # the shortfall is at least part * (whole + 1 - K). Valid for every rota, and it gives the
                # relaxation the cost of rounding a fractional requirement to whole people.
                model.add(s + part * sum(people.get((q, i), [])) >= part * (whole + 1))
            shortfall[(q, i)] = s
            needs[(q, i)] = need
            terms.append(s)
    return Coverage(serve, shortfall, needs, price_per_unit * sum(terms) if terms else 0)
