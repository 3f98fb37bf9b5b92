"""What the model, the validator and the simulation share about a week: who may serve which queue, how a
span of minutes falls on the grid, and the requirement in whole units.

It sits below all three so that none of them reads another's internals: the
model and its check agree because both read these definitions, not because
one borrows the other's code.
"""

from __future__ import annotations

import numpy as np

from scheduler.domain import Scenario
from scheduler.shifts import ShiftOption
from scheduler.staffing import Staffing

SCALE = 100  # coverage is counted in 1/100 agent-minutes: the requirement (to 1/100 agent) is then exact


def required_units(staffing: Staffing, interval: int) -> dict[str, np.ndarray]:
    """Each queue's requirement per interval in 1/SCALE agent-minutes, exactly (it is given to 1/100 agent)."""
    return {q: np.round(staffing.required(q) * interval * SCALE).astype(np.int64) for q in staffing.loads}


def overlap(a: int, b: int, c: int, d: int) -> int:
    return max(0, min(b, d) - max(a, c))


def interval_overlaps(a: int, b: int, interval: int, size: int):
    """(interval, minutes) pairs that the span [a, b) covers on the grid."""
    first, last = max(a, 0) // interval, min(b, size * interval) - 1
    for i in range(first, last // interval + 1 if last >= 0 else first):
        m = overlap(a, b, i * interval, (i + 1) * interval)
        if m:
            yield i, m


def worked_per_interval(o: ShiftOption, offset: int | None, interval: int, size: int) -> dict[int, int]:
    """Minutes the shift works in each grid interval, its break (starting `offset` after the start) left out."""
    out = dict(interval_overlaps(o.start, o.end, interval, size))
    if offset is not None:
        for i, mins in interval_overlaps(o.start + offset, o.start + offset + o.break_minutes, interval, size):
            out[i] -= mins
    return {i: v for i, v in out.items() if v > 0}


def held_minutes(h, interval: int, size: int) -> dict[int, int]:
    """Minutes an inherited shift (`scheduler.continuity.Held`) works in each grid interval of the week."""
    out: dict[int, int] = {}
    for a, b in h.worked_spans():
        for i, mins in interval_overlaps(a, b, interval, size):
            out[i] = out.get(i, 0) + mins
    return out


def eligible_queues(scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """Queues each agent can serve: those of a language the agent speaks, in the agent's language order."""
    out = {}
    queues = scenario.queues  # (a property that builds the list: read once)
    for a in scenario.agents.values():
        out[a.agent_id] = tuple(q.queue for lang in a.languages for q in queues if q.language == lang)
    return out


def row_queues(scenario: Scenario, agent_id: str, languages: tuple[str, ...]) -> tuple[str, ...]:
    """The queues a roster row lets its agent serve: those of the row's languages that the agent speaks, in
    the agent's language order (`eligible_queues` for this one agent: called once per shift, it must not
    look at every agent)."""
    queues = scenario.queues
    return tuple(q.queue for lang in scenario.agents[agent_id].languages if lang in languages
                 for q in queues if q.language == lang)
