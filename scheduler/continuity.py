"""What a plan inherits, placed on the planned week: last week's shifts (`--previous`) and, in a re-plan,
the published shifts frozen before `--from`.

Both are facts, not choices: they keep the agent busy, count toward the
coverage of the minutes they work, and bound what the agent may do next
(rest, one shift a local day, days in a row). Last week's shifts count toward
none of this week's contract (hours, days, wages); frozen ones do, being this
week's. The model, the greedy start and the validator all read them from
here, each enforcing the rules in its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scheduler.calendar import Grid, to_local
from scheduler.domain import FixedShift, Scenario, clock_text
from scheduler.errors import Problems


class WorkedSpan:
    """A shift placed on the week (`start`, `end`, optional break `brk`, in week minutes): what its paid
    and worked minutes are read from, for an inherited shift and a roster row alike."""

    start: int
    end: int
    brk: tuple[int, int] | None

    @property
    def paid_minutes(self) -> int:
        return self.end - self.start - (self.brk[1] - self.brk[0] if self.brk else 0)

    def worked_spans(self) -> list[tuple[int, int]]:
        if not self.brk:
            return [(self.start, self.end)]
        return [(self.start, self.brk[0]), (self.brk[1], self.end)]


@dataclass(frozen=True)
class Held(WorkedSpan):
    """An inherited shift in week minutes: `start` < 0 for last week's."""

    agent_id: str
    day: date  # agent-local date it starts
    start: int
    end: int
    brk: tuple[int, int] | None
    languages: tuple[str, ...]
    row: int
    file: str

    @property
    def this_week(self) -> bool:
        return self.start >= 0

    def where(self) -> str:
        return f"{self.file} row {self.row}"


def place_fixed(f: FixedShift, grid: Grid) -> Held:
    brk = (grid.minute_of(f.break_start), grid.minute_of(f.break_end)) if f.break_start is not None else None
    return Held(f.agent_id, f.day, grid.minute_of(f.start), grid.minute_of(f.end), brk, f.languages, f.row, f.file)


def held_shifts(scenario: Scenario, grid: Grid) -> dict[str, list[Held]]:
    """Each agent's inherited shifts in time order: last week's that start before the week (the others are
    refused by `check_previous`), and the frozen ones of a re-plan."""
    c = scenario.continuity
    out: dict[str, list[Held]] = {}
    for f in c.previous or []:
        h = place_fixed(f, grid)
        if h.start < 0 and f.agent_id in scenario.agents:
            out.setdefault(f.agent_id, []).append(h)
    for f in c.frozen:
        if f.agent_id in scenario.agents:
            out.setdefault(f.agent_id, []).append(place_fixed(f, grid))
    return {a: sorted(hs, key=lambda h: (h.start, h.row)) for a, hs in out.items()}


def check_previous(scenario: Scenario, grid: Grid) -> None:
    """A previous roster holds the weeks before the planned one: a shift that starts inside it or later is
    an input error (exit 2), every one named at once."""
    problems = Problems()
    for f in scenario.continuity.previous or []:
        start = grid.minute_of(f.start)
        if start >= 0:
            tz = scenario.sites[scenario.agents[f.agent_id].site].timezone
            local = to_local(f.start, tz)
            where = "inside" if start < grid.minutes else "after"
            problems.add(f.file, f.row, "date", f"{f.day} {clock_text(local.hour * 60 + local.minute)}",
                         f"this shift starts {where} the planned week {grid.label}; --previous takes the roster of "
                         "the week before (its shifts that run into this week are kept as last week's)")
    problems.raise_if_any()


def clashes(held: list[Held], day: date, start: int, end: int, rest: int) -> bool:
    """Whether a shift on local `day` over [start, end) breaks a rule against the inherited shifts: a second
    shift that local day, an overlap, or less than `rest` minutes between the two."""
    return any(h.day == day or (start < h.end + rest and h.start < end + rest) for h in held)


def longest_run(days: set[date], new: set[date]) -> int:
    """The longest run of consecutive days in `days | new` that holds a day of `new` (0 if `new` is empty):
    the run a choice of this week's days makes, inherited days included."""
    every = sorted(days | new)
    best, run, touches, last = 0, 0, False, None
    for d in every:
        if last is not None and (d - last).days == 1:
            run += 1
        else:
            run, touches = 1, False
        touches |= d in new
        if touches:
            best = max(best, run)
        last = d
    return best


def boundary_note(scenario: Scenario, grid: Grid) -> str:
    """What a plan says about the week's start: which roster carried in, or that it is unchecked."""
    c = scenario.continuity
    if c.previous is None:
        return (f"no previous roster: rest and days in a row across the start of {grid.label} are unchecked "
                "(give last week's roster with --previous)")
    held = sum(1 for hs in held_shifts(scenario, grid).values() for h in hs if not h.this_week)
    return f"{c.previous_file}: {held} shifts of the weeks before carried in"
