"""The typed domain a scenario loads into.

Clock times are minutes after local midnight (`int`); instants are tz-aware
`datetime`s in UTC. Local clocks appear only where a person reads them (the
input files and the workbook). Units are in the field names, as in the files.
See docs/glossary.md for every name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def clock_text(minutes: int | None) -> str:
    """Minutes after midnight as HH:MM (24:00 and later wrap); empty for None."""
    if minutes is None:
        return ""
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def setting(default, *, lo: float | None = None, hi: float | None = None, choices: tuple | None = None,
            kind: str | None = None):
    """A policy.toml setting: its default and what a value must be, in one place. The loader parses every
    setting from this (`scheduler.io.scenario.load_policy`): a number within [lo, hi] (whole if the field
    is an int), one of `choices`, or a `kind` of text ("timezone", "clock" HH:MM, "weekday")."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "choices": choices, "kind": kind})


@dataclass(frozen=True)
class Targets:
    """Response targets of a queue; the defaults are the team's KPIs."""

    first_response_seconds: float = setting(30.0, lo=0.001)
    service_level: float = setting(0.8, lo=0, hi=1)
    answer_within_seconds: float = setting(60.0, lo=0)
    complex_answer_within_seconds: float = setting(180.0, lo=0)
    max_abandon_rate: float = setting(0.05, lo=0, hi=1)
    max_occupancy: float = setting(0.85, lo=0.01, hi=1)
    shrinkage: float = setting(0.0, lo=0, hi=0.95)
    # resolved on first contact, in the viewer's language (reviewed, not staffed)
    min_resolution_rate: float = setting(0.85, lo=0, hi=1)


TARGET_FIELDS = tuple(Targets.__dataclass_fields__)


@dataclass(frozen=True)
class PlanSettings:
    timezone: str = setting("Asia/Shanghai", kind="timezone")
    interval_minutes: int = setting(60, choices=(15, 30, 60))
    days: int = setting(7, lo=1, hi=28)
    week_start: int = setting(0, kind="weekday")  # Monday
    pool_by: str = setting("language", choices=("language", "market"))
    # Length of one forecast row; None = inferred from the spacing of the rows.
    forecast_interval_minutes: int | None = setting(None, choices=(5, 10, 15, 20, 30, 60))


@dataclass(frozen=True)
class RuleSettings:
    min_rest_hours: float = setting(11.0, lo=0, hi=48)
    max_consecutive_days: int = setting(6, lo=1, hi=28)
    night_start: int = setting(22 * 60, kind="clock")
    night_end: int = setting(6 * 60, kind="clock")


@dataclass(frozen=True)
class CostSettings:
    shortfall_per_agent_hour: float = setting(50.0, lo=0)
    # What one change to a published shift costs a re-plan (`rota replan`): agents and HR pay for each.
    change_cost: float = setting(20.0, lo=0)


@dataclass(frozen=True)
class FairnessSettings:
    """Money per unit of spread (most minus fewest) within a fairness group; 0 turns one off. Off by default:
    the spread rows cost the search more than they should (docs/inputs.md, `[fairness]`), so a team turns
    them on, at weights below an agent-hour of shortfall (40 on the sample)."""

    nights_weight: float = setting(0.0, lo=0)
    weekends_weight: float = setting(0.0, lo=0)


@dataclass(frozen=True)
class RequestSettings:
    max_must_per_week: int = setting(3, lo=0, hi=14)  # hard requests (must = yes) an agent may have a week


@dataclass(frozen=True)
class SimulationSettings:
    """The play of every plan (`rota plan`, `replan`, `whatif`): runs of the week chat by chat, and rounds
    that correct the rota where the play misses a target the formulas counted met (docs/inputs.md)."""

    runs: int = setting(10, lo=0, hi=1000)  # 0: no play; the formulas' figures are the promise
    rounds: int = setting(0, lo=0, hi=10)  # off: measured dearer on every family (docs/inputs.md)


@dataclass(frozen=True)
class SolverSettings:
    time_limit_seconds: float = setting(30.0, lo=0.1)
    workers: int = setting(2, lo=1, hi=256)
    seed: int = setting(0, lo=0, hi=2**31 - 1)


@dataclass(frozen=True)
class Policy:
    plan: PlanSettings = field(default_factory=PlanSettings)
    targets: Targets = field(default_factory=Targets)
    rules: RuleSettings = field(default_factory=RuleSettings)
    costs: CostSettings = field(default_factory=CostSettings)
    solver: SolverSettings = field(default_factory=SolverSettings)
    fairness: FairnessSettings = field(default_factory=FairnessSettings)
    requests: RequestSettings = field(default_factory=RequestSettings)
    simulation: SimulationSettings = field(default_factory=SimulationSettings)


@dataclass(frozen=True)
class Site:
    site: str
    timezone: str
    night_premium: float = 0.0
    weekend_premium: float = 0.0


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    site: str
    languages: tuple[str, ...]
    hourly_cost: float
    min_hours: float
    max_hours: float
    max_days: int = 5
    earliest_start: int | None = None  # agent-local minutes after midnight
    latest_end: int | None = None  # may be 1440 (24:00); below earliest_start = window crosses midnight
    fairness_group: str = ""  # as given in agents.csv; empty: site, contract hours and languages decide
    row: int = 0  # spreadsheet row in agents.csv, for messages

    def fits_window(self, clock: int, length: int) -> bool:
        """Whether a shift starting at local `clock` (minutes) and lasting `length` lies in the daily window."""
        es, le = self.earliest_start, self.latest_end
        if es is None:
            return True
        if le > es:
            return es <= clock and clock + length <= le
        # The window crosses midnight: [es, le + 24h) from the evening, or the morning tail [.., le).
        return (clock >= es and clock + length <= le + 1440) or (clock + length <= le)


@dataclass(frozen=True)
class Market:
    market: str
    timezone: str
    language: str
    aht_seconds: float
    bot_deflection: float = 0.0
    complex_share: float = 0.0
    aht_complex_seconds: float | None = None
    concurrency: int = 1
    patience_seconds: float | None = None
    targets: Targets = field(default_factory=Targets)  # policy targets with this market's overrides

    @property
    def handle_seconds(self) -> float:
        """Mean handle time of a human chat, general and complex mixed."""
        complex_aht = self.aht_complex_seconds or self.aht_seconds
        return (1 - self.complex_share) * self.aht_seconds + self.complex_share * complex_aht


@dataclass(frozen=True)
class ShiftTemplate:
    shift: str
    site: str  # a site code or "*"
    starts: tuple[int, ...]  # site-local minutes after midnight
    minutes: int  # length, may cross midnight
    break_minutes: int = 0
    weekdays: frozenset[int] = frozenset(range(7))
    row: int = 0

    def applies_to(self, site: str) -> bool:
        return self.site in ("*", site)


@dataclass(frozen=True)
class LocalMoment:
    """A leave boundary as written: a date/datetime, or a weekday (+ time) of a typical week."""

    weekday: int | None  # set for the typical-week form
    naive: datetime | None  # set for the dated form
    minutes: int  # time of day (0 when only a day was given)
    has_time: bool

    def as_end(self) -> datetime:
        """A dated leave end; a date alone is inclusive: leave runs to the end of that day."""
        return self.naive if self.has_time else datetime.combine(self.naive.date() + timedelta(days=1), time())

    def text(self) -> str:
        """As a person writes it: `2026-11-27 20:00`, `Fri 20:00`, `Fri`."""
        if self.weekday is None:
            return f"{self.naive:%Y-%m-%d %H:%M}" if self.has_time else f"{self.naive:%Y-%m-%d}"
        return WEEKDAYS[self.weekday] + (f" {clock_text(self.minutes)}" if self.has_time else "")


@dataclass(frozen=True)
class Stream:
    """A live stream in one market (streams.csv), on the market's local clock: its questions run at
    `factor` times the forecast plus `extra_per_hour`, and fade back linearly over `tail_minutes`."""

    market: str
    start: LocalMoment
    end: LocalMoment
    factor: float = 1.0
    extra_per_hour: float = 0.0
    tail_minutes: int = 0
    row: int = 0
    file: str = "streams.csv"

    def describe(self) -> str:
        what = [f"x{self.factor:g}"] if self.factor != 1 else []
        what += [f"+{self.extra_per_hour:g}/h"] if self.extra_per_hour else []
        return f"{self.market} {self.start.text()}-{self.end.text()} {' '.join(what)}".rstrip()


@dataclass(frozen=True)
class Event:
    """An event day (events.csv): every question of the market's local days `first` to `last` runs at
    `factor` times the forecast; market "*" is every market, each on its own local days."""

    market: str
    first: date
    last: date
    factor: float
    name: str = ""
    row: int = 0
    file: str = "events.csv"


@dataclass(frozen=True)
class Leave:
    agent_id: str
    start: LocalMoment
    end: LocalMoment
    reason: str = ""
    row: int = 0


@dataclass(frozen=True)
class Request:
    """An agent's request (requests.csv), on the agent's local clock: a date or a weekday, a window
    (`start`..`end`, None for the whole day; an end at or before the start is the next day), `prefer` or
    `avoid`, a weight (money per hour of the shift inside the window) and whether it is a must."""

    agent_id: str
    day: date | None
    weekday: int | None
    start: int | None
    end: int | None
    kind: str  # "prefer" or "avoid"
    weight: float = 1.0
    must: bool = False
    row: int = 0

    def describe(self) -> str:
        when = f"{self.day}" if self.day else WEEKDAYS[self.weekday]
        window = f" {clock_text(self.start)}-{clock_text(self.end)}" if self.start is not None else ""
        return f"{'must ' if self.must else ''}{self.kind} {when}{window}"


@dataclass(frozen=True)
class ForecastRow:
    market: str
    questions: float
    row: int
    instant: datetime | None = None  # dated rows: the UTC start
    weekday: int | None = None  # typical-week rows
    minutes: int = 0  # typical-week rows: local time of day


@dataclass(frozen=True)
class Queue:
    """The agents of one language (or one market) answer one queue."""

    queue: str
    language: str
    markets: tuple[str, ...]


@dataclass(frozen=True)
class FixedShift:
    """A shift that is not the plan's to choose, as a roster states it: worked in the week before
    (`--previous`) or published before a re-plan's `--from`. Instants are UTC; `day` is the agent-local date
    the shift starts on; `languages` are the Roster's `queues`; `row` and `file` name it in messages."""

    agent_id: str
    day: date
    start: datetime
    end: datetime
    break_start: datetime | None
    break_end: datetime | None
    languages: tuple[str, ...]
    row: int = 0
    file: str = ""


@dataclass
class Continuity:
    """What a plan inherits: last week's shifts (None when no previous roster was given: the week's start is
    then unchecked), and for a re-plan the published shifts frozen before `replan_from` and those after it,
    each change to which costs `change_cost`."""

    previous: list[FixedShift] | None = None
    previous_file: str = ""
    frozen: list[FixedShift] = field(default_factory=list)
    published: list[FixedShift] = field(default_factory=list)
    replan_from: datetime | None = None  # UTC


@dataclass
class Scenario:
    name: str
    path: Path
    policy: Policy
    sites: dict[str, Site]
    agents: dict[str, Agent]
    markets: dict[str, Market]
    templates: list[ShiftTemplate]
    leave: list[Leave]
    forecast: list[ForecastRow]
    forecast_minutes: dict[str, int]  # length of one forecast row, per market
    fingerprint: str = ""
    warnings: list = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    continuity: Continuity = field(default_factory=Continuity)
    requests: list[Request] = field(default_factory=list)

    @property
    def queues(self) -> list[Queue]:
        if self.policy.plan.pool_by == "market":
            return [Queue(m.market, m.language, (m.market,)) for m in self.markets.values()]
        by_lang: dict[str, list[str]] = {}
        for m in self.markets.values():
            by_lang.setdefault(m.language, []).append(m.market)
        return [Queue(lang, lang, tuple(ms)) for lang, ms in by_lang.items()]

    def queue_of_market(self, market: str) -> str:
        for q in self.queues:
            if market in q.markets:
                return q.queue
        raise KeyError(market)

    def templates_for(self, site: str) -> list[ShiftTemplate]:
        return [t for t in self.templates if t.applies_to(site)]
