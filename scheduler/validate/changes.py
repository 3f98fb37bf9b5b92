"""A re-plan's changes to the published week, counted from the rosters alone (no solver): per agent and
local day from `--from` on, the published shift against the new one. The model's `change_cost` term prices
exactly these, so a test can hold the two together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scheduler.calendar import Grid, to_local
from scheduler.continuity import Held, place_fixed
from scheduler.domain import Scenario, clock_text
from scheduler.validate.placed import Shift


@dataclass(frozen=True)
class Change:
    agent_id: str
    day: date  # agent-local
    before: tuple[int, int] | None  # week minutes of the published shift, None if none was published
    after: tuple[int, int] | None
    before_row: int | None  # the published roster's row
    after_row: int | None  # the new roster's row

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "moved" if self.before[0] != self.after[0] else "other hours"


def change_cost(scenario: Scenario, grid: Grid, shifts: list[Shift]) -> list[Change]:
    """Every change from the published shifts that start at or after the re-plan's `--from` to the shifts of
    the new roster that do: one per agent and local day where they differ in start or end (breaks and queues
    are not changes). Empty outside a re-plan."""
    c = scenario.continuity
    if c.replan_from is None:
        return []
    since = grid.minute_of(c.replan_from)
    before: dict[tuple[str, date], Held] = {(p.agent_id, p.day): place_fixed(p, grid) for p in c.published}
    after = {(s.row.agent_id, s.row.date): s for s in shifts if s.start >= since}
    out = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        span_b = (b.start, b.end) if b else None
        span_a = (a.start, a.end) if a else None
        if span_b != span_a:
            out.append(Change(key[0], key[1], span_b, span_a, b.row if b else None, a.row.row if a else None))
    return out


def describe(scenario: Scenario, grid: Grid, agent_id: str, span: tuple[int, int] | None) -> str:
    """A shift as a person reads it: `Wed 08:00-17:00` on the agent's clock (empty for none)."""
    if span is None:
        return ""
    agent = scenario.agents.get(agent_id)
    tz = scenario.sites[agent.site].timezone if agent else grid.timezone
    a, b = (to_local(grid.instant(m), tz) for m in span)
    return f"{a:%a %Y-%m-%d} {clock_text(a.hour * 60 + a.minute)}-{clock_text(b.hour * 60 + b.minute)}"
