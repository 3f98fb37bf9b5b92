"""Seeded generator of realistic scenario folders (the format of docs/inputs.md).

The business: a cross-border live-commerce seller answers viewers' chat
questions during live streams in North America, Europe and South-East Asia,
from a few support sites (Shenzhen night team for the Americas, Manila for
South-East Asia, a small Paris team for Europe; Kuala Lumpur and Mexico City
join at larger sizes).

    python benchmarks/generate.py --out DIR --agents N --seed S \
        [--languages K] [--volume-scale X] [--interval 60|30|15] [--family NAME] [--force]

writes policy.toml, sites.csv, markets.csv, forecast.csv, agents.csv,
shifts.csv, leave.csv and a README.md, and prints a capacity check per
language. `--agents 60 --seed 7` (the defaults) is the bundled sample:

    python benchmarks/generate.py --out inputs/sample --force

How sizes scale: the number of languages grows with the headcount (8 at 60
agents) up to K; more markets of the active languages join at larger sizes;
sites stay 3 to 5. The volume is calibrated so that the staffing need (as the
product computes it) is TARGET_LOAD of the agents' contracted maximum hours, whatever the size,
and --volume-scale multiplies that volume (the workforce stays the same, so
the owner can make a scenario tighter or looser). Agents are hired per
language in proportion to each language's need, except the languages in
UNDER_HIRED, which the seller staffs thinner: that is where plans get tight.
`--family` picks another shape of week for the benchmarks (FAMILIES: start
ranges, shared or individual wages, six sites, a daylight-saving week, a
30-minute grid); the default, `ladder`, is the one described here.

The standard library, numpy and the product's own `scheduler.staffing.erlang` (so the
volume is calibrated on the staffing the product will actually require).
"""

# No `from __future__ import annotations`: with it, dataclasses look the
# module up in sys.modules, which a by-path import does not fill in.
import argparse
import csv
import math
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PLAN_TIMEZONE = "Asia/Shanghai"
# A winter week with no daylight-saving change anywhere: the capacity check
# places each market's typical week on the planning grid through this week.
REFERENCE_MONDAY = (2026, 1, 5)

# Targets and rules written to policy.toml; the capacity check uses the same.
TARGETS = {
    "first_response_seconds": 30,
    "service_level": 0.8,
    "answer_within_seconds": 60,
    "complex_answer_within_seconds": 180,
    "max_abandon_rate": 0.05,
    "max_occupancy": 0.85,
    "shrinkage": 0.1,
}
MIN_REST_HOURS = 11

# Rough staffing rule of thumb: an agent handles concurrency * 3600 / AHT
# chats an hour at 75 % efficiency, and any hour with questions needs one.
ROUGH_EFFICIENCY = 0.75
# Rough need / contracted maximum hours that volume is calibrated to.
TARGET_LOAD = 0.82
# Languages hired thinner than their need (share of the fair headcount).
UNDER_HIRED = {"fr": 0.9, "pt": 0.85, "de": 0.9}
FULL_TIME = (32, 40, 5)  # min_hours, max_hours, max_days
PART_TIME = (16, 24, 4)
WINDOW_SHARE = 0.08  # agents with a daily availability window
LEAVE_PER_AGENTS = 15  # one leave row per this many agents (at least 3)

# Relative question volume by local hour: evening live streams (19-23 h),
# an afternoon shoulder, no streams (so no questions) 02:00-09:00. Weekends peak higher and
# earlier with a busier afternoon.
WEEKDAY_CURVE = (0.40, 0.20, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.18, 0.26, 0.31,
                 0.36, 0.40, 0.44, 0.46, 0.45, 0.44, 0.55, 0.78, 0.95, 1.00, 0.86, 0.62)
WEEKEND_CURVE = (0.52, 0.28, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.18, 0.30, 0.42,
                 0.52, 0.58, 0.64, 0.68, 0.72, 0.84, 0.98, 1.00, 0.90, 0.76, 0.60, 0.44)
DAY_LEVEL = (0.92, 0.95, 1.00, 1.00, 1.04, 1.22, 1.15)
FRIDAY_EVENING_BUMP = 1.20  # Fri 20:00-24:00
MONDAY_SMALL_HOURS = 0.80  # Mon 00:00-02:00, after Sunday's earlier night


@dataclass(frozen=True)
class MarketSpec:
    """A market in the catalogue; `peak` is its weekday evening peak in
    questions/hour before calibration, `min_agents` the size it joins at."""

    code: str
    timezone: str
    language: str
    peak: float
    aht_seconds: int
    bot_deflection: float
    complex_share: float
    aht_complex_seconds: int
    concurrency: int
    patience_seconds: int | None
    peak_shift_hours: int = 0  # a later (+) or earlier (-) evening than usual
    min_agents: int = 0

    @property
    def aht_mix_seconds(self) -> float:
        share = self.complex_share
        return (1 - share) * self.aht_seconds + share * self.aht_complex_seconds


M = MarketSpec
MARKETS = (
    # The twelve markets of the sample.
    M("US-E", "America/New_York", "en", 165, 150, 0.35, 0.12, 330, 3, 90),
    M("US-W", "America/Los_Angeles", "en", 100, 150, 0.35, 0.12, 330, 3, None),
    M("MX", "America/Mexico_City", "es", 75, 190, 0.25, 0.18, 420, 2, 120),
    M("BR", "America/Sao_Paulo", "pt", 55, 200, 0.20, 0.20, 450, 2, None, 1),
    M("UK", "Europe/London", "en", 70, 150, 0.33, 0.12, 330, 3, 75, -1),
    M("FR", "Europe/Paris", "fr", 65, 180, 0.28, 0.20, 420, 2, None),
    M("DE", "Europe/Berlin", "de", 40, 200, 0.25, 0.25, 480, 2, 150, -1),
    M("ES", "Europe/Madrid", "es", 40, 180, 0.22, 0.15, 400, 2, None, 1),
    M("TH", "Asia/Bangkok", "th", 180, 140, 0.30, 0.10, 300, 3, 60),
    M("VN", "Asia/Ho_Chi_Minh", "vi", 95, 150, 0.28, 0.12, 320, 3, None),
    M("ID", "Asia/Jakarta", "id", 150, 145, 0.30, 0.12, 320, 3, 75),
    M("PH", "Asia/Manila", "en", 75, 140, 0.32, 0.10, 300, 3, None),
    # More markets of the same languages as the seller grows.
    M("CA", "America/Toronto", "en", 55, 170, 0.30, 0.15, 360, 3, None, 0, 150),
    M("CO", "America/Bogota", "es", 45, 200, 0.20, 0.18, 420, 2, 100, 0, 150),
    M("BE", "Europe/Brussels", "fr", 30, 190, 0.25, 0.20, 420, 2, None, 0, 250),
    M("AT", "Europe/Vienna", "de", 25, 200, 0.22, 0.25, 480, 2, 150, -1, 250),
    M("AU", "Australia/Sydney", "en", 45, 165, 0.30, 0.12, 330, 3, None, 0, 300),
    M("AR", "America/Argentina/Buenos_Aires", "es", 40, 200, 0.20, 0.18, 420, 2, None, 1, 400),
    M("SG", "Asia/Singapore", "en", 35, 150, 0.30, 0.10, 300, 3, 60, 0, 400),
    M("CL", "America/Santiago", "es", 30, 200, 0.20, 0.18, 420, 2, None, 0, 600),
    M("PT", "Europe/Lisbon", "pt", 25, 210, 0.18, 0.20, 450, 2, 120, 0, 600),
    M("CH", "Europe/Zurich", "de", 20, 200, 0.22, 0.25, 480, 2, None, -1, 800),
    # Markets of the languages beyond the first eight.
    M("JP", "Asia/Tokyo", "ja", 110, 180, 0.30, 0.15, 400, 2, None),
    M("KR", "Asia/Seoul", "ko", 85, 170, 0.30, 0.15, 380, 2, 90),
    M("IT", "Europe/Rome", "it", 45, 190, 0.22, 0.20, 420, 2, None, 1),
    M("MY", "Asia/Kuala_Lumpur", "ms", 65, 160, 0.25, 0.12, 320, 3, 75),
    M("SA", "Asia/Riyadh", "ar", 55, 200, 0.20, 0.20, 420, 2, None, 1),
    M("AE", "Asia/Dubai", "ar", 35, 190, 0.25, 0.20, 420, 2, None, 1, 400),
    M("IN", "Asia/Kolkata", "hi", 90, 170, 0.25, 0.15, 360, 3, 60),
    M("TR", "Europe/Istanbul", "tr", 45, 190, 0.20, 0.20, 420, 2, None),
    M("PL", "Europe/Warsaw", "pl", 30, 190, 0.22, 0.20, 420, 2, 120),
    M("NL", "Europe/Amsterdam", "nl", 25, 180, 0.25, 0.18, 400, 2, None),
)
del M

# Languages in the order a growing seller adds them; the first eight make
# the sample (the order keeps every site useful when fewer are asked for).
LANGUAGES = ("en", "es", "th", "fr", "id", "pt", "vi", "de",
             "ja", "ko", "it", "ms", "ar", "hi", "tr", "pl", "nl")


@dataclass(frozen=True)
class ShiftSpec:
    code: str
    start: str  # "HH:MM" or "HH:MM-HH:MM/step"
    hours: int
    break_minutes: int = 0
    days: str = ""  # e.g. "Mon-Fri"; empty = every day

    def start_hours(self) -> list[float]:
        """Every start this template allows, in hours after local midnight."""
        if "-" not in self.start:
            return [_clock(self.start)]
        span, step = self.start.split("/")
        first, last = (_clock(part) for part in span.split("-"))
        count = int(round((last - first) * 60 / int(step)))
        return [first + i * int(step) / 60 for i in range(count + 1)]

    def day_indexes(self) -> list[int]:
        if not self.days:
            return list(range(7))
        first, last = (WEEKDAYS.index(part) for part in self.days.split("-"))
        return list(range(first, last + 1))

    @property
    def paid_hours(self) -> float:
        return self.hours - self.break_minutes / 60


@dataclass(frozen=True)
class Window:
    """A daily availability window offered to some agents of a site."""

    earliest: str
    latest: str
    part_time: bool
    why: str


@dataclass(frozen=True)
class SiteSpec:
    name: str
    timezone: str
    night_premium: float
    weekend_premium: float
    wage_range: tuple[float, float]  # USD/hour before premiums
    part_time_share: float
    min_agents: int  # the size at which the site opens
    # Share of each language's headcount the site would take (normalised
    # over the sites that are open), and which second languages its
    # agents bring: primary -> (probability of a second, candidates).
    language_weight: dict[str, float]
    second_language: dict[str, tuple[float, tuple[str, ...]]]
    third_language_chance: float
    shifts: tuple[ShiftSpec, ...]
    windows: tuple[Window, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    family_name_first: bool = False


S = ShiftSpec
SITES = (
    SiteSpec(
        "shenzhen", "Asia/Shanghai", 0.30, 0.0, (8.0, 11.0), 0.10, 0,
        {"en": 0.80, "es": 0.85, "pt": 1.0, "ja": 0.7, "ko": 0.6},
        {"en": (0.25, ("es",)), "es": (0.50, ("en",)), "pt": (0.40, ("en", "es")),
         "ja": (0.5, ("en",)), "ko": (0.5, ("en",))},
        0.0,
        (  # Nights cover the Americas' business day, mornings their evening streams.
            S("SZ-N22", "22:00", 9, 60), S("SZ-N21", "21:00", 9, 60),
            S("SZ-AM", "06:00-08:00/60", 9, 60), S("SZ-D", "10:00", 9, 60),
            S("SZ-L", "14:00", 9, 60), S("SZ-P5", "07:00", 5, 0, "Mon-Fri"),
            S("SZ-PW", "09:00", 6, 0, "Sat-Sun"),
        ),
        (Window("06:00", "20:00", False, "no night shifts"),),
        ("Wei", "Fang", "Na", "Min", "Jing", "Lei", "Yan", "Hao", "Xin", "Jie", "Ting", "Yu",
         "Qiang", "Lin", "Mei", "Jun", "Hui", "Chen", "Yi", "Xiaoling", "Zihan", "Yuxuan",
         "Haoran", "Siyu", "Jiahui", "Mingyu", "Ruoxi", "Tianyu", "Xinyi", "Zhiwei"),
        ("Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
         "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie",
         "Song", "Tang", "Deng", "Feng", "Han", "Cao", "Peng"),
        family_name_first=True,
    ),
    SiteSpec(
        "manila", "Asia/Manila", 0.20, 0.10, (6.0, 8.0), 0.25, 0,
        {"en": 0.12, "th": 1.0, "vi": 1.0, "id": 1.0, "ms": 0.3, "hi": 0.5, "ja": 0.3, "ko": 0.4},
        {"en": (0.25, ("th", "id", "vi", "ms", "hi")), "th": (0.60, ("en",)),
         "vi": (0.60, ("en",)), "id": (0.60, ("en",)), "ms": (0.60, ("en", "id")),
         "hi": (0.60, ("en",)), "ja": (0.5, ("en",)), "ko": (0.5, ("en",))},
        0.0,
        (
            S("MNL-M", "08:00", 9, 60), S("MNL-D", "12:00", 9, 60),
            S("MNL-E", "15:00", 9, 60), S("MNL-N", "23:00", 9, 60),
            S("MNL-P", "14:00-18:00/60", 5, 0), S("MNL-W", "10:00", 6, 0, "Sat-Sun"),
        ),
        (Window("14:00", "23:00", True, "student, afternoons and evenings"),
         Window("08:00", "18:00", False, "parent, day shifts only")),
        ("Maria", "Jose", "Angelica", "Mark", "Kristine", "John Paul", "Princess", "Carlo",
         "Jasmine", "Rommel", "Mary Grace", "Jerome", "Camille", "Joshua", "Patricia", "Ramon",
         "Lovely", "Christian", "Andrea", "Renz", "Bea", "Paolo", "Czarina", "Miguel", "Hazel",
         "Nico", "Joy", "Rhea", "Dominic", "Ella"),
        ("Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Torres",
         "Tomas", "Andrada", "Castillo", "Flores", "Villanueva", "Ramos", "Castro", "Rivera",
         "Aquino", "Navarro", "Salazar", "Mercado", "Dela Cruz", "Del Rosario", "Gonzales",
         "Lopez", "Manalo", "Pascual", "Soriano", "Valdez", "Aguilar", "Fernandez"),
    ),
    SiteSpec(
        "paris", "Europe/Paris", 0.25, 0.50, (22.0, 28.0), 0.25, 0,
        {"fr": 1.0, "de": 1.0, "es": 0.15, "it": 1.0, "ar": 0.6,
         "tr": 1.0, "pl": 1.0, "nl": 1.0},
        {"fr": (0.50, ("en", "es", "de")), "de": (0.60, ("en",)), "es": (0.50, ("en",)),
         "it": (0.6, ("fr", "en")), "ar": (0.6, ("fr", "en")),
         "tr": (0.6, ("de", "en")), "pl": (0.6, ("en", "de")), "nl": (0.6, ("en", "fr", "de"))},
        0.15,
        (  # Evening and late shifts carry the European live streams.
            S("PAR-M", "08:00", 9, 60), S("PAR-D", "10:00-12:00/60", 9, 60),
            S("PAR-E", "15:00", 9, 60), S("PAR-L", "17:00", 8, 30), S("PAR-N", "23:00", 8, 30),
            S("PAR-P", "18:00", 5, 0, "Mon-Fri"), S("PAR-W", "13:00", 6, 0, "Sat-Sun"),
        ),
        (Window("08:00", "18:00", False, "parent, school hours"),
         Window("12:00", "23:00", True, "student, afternoons and evenings")),
        ("Camille", "Lucas", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Thomas", "Inès",
         "Nathan", "Sarah", "Théo", "Julie", "Antoine", "Emma", "Maxime", "Clara", "Julien",
         "Pauline", "Mathieu", "Élise", "Nicolas", "Laura", "Romain", "Anaïs", "Baptiste",
         "Margaux", "Quentin", "Océane", "Karim"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
         "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
         "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Benali"),
    ),
    SiteSpec(
        "kuala_lumpur", "Asia/Kuala_Lumpur", 0.25, 0.15, (9.0, 12.0), 0.15, 200,
        {"en": 0.20, "ms": 1.0, "id": 0.5, "hi": 0.5, "ar": 0.4, "th": 0.3, "vi": 0.3},
        {"ms": (0.70, ("en", "id")), "en": (0.30, ("ms", "id")), "id": (0.6, ("en", "ms")),
         "hi": (0.6, ("en",)), "ar": (0.5, ("en", "ms")), "th": (0.5, ("en",)), "vi": (0.5, ("en",))},
        0.0,
        (
            S("KL-M", "09:00", 9, 60), S("KL-E", "14:00-16:00/60", 9, 60),
            S("KL-N", "23:00", 9, 60), S("KL-P", "18:00", 5, 0),
        ),
        (Window("09:00", "18:00", False, "day shifts only"),),
        ("Nurul", "Siti", "Muhammad", "Ahmad", "Farah", "Aiman", "Hafiz", "Aisyah", "Wei Ling",
         "Jia Hui", "Kumar", "Priya", "Arjun", "Mei Ling", "Syafiq", "Amirah", "Daniel",
         "Hidayah", "Faiz", "Zulaikha"),
        ("Abdullah", "Rahman", "Ismail", "Hassan", "Tan", "Lim", "Wong", "Lee", "Ng", "Chong",
         "Raman", "Nair", "Kaur", "Singh", "Osman", "Yusof", "Ibrahim", "Omar", "Teoh", "Goh"),
    ),
    SiteSpec(
        "mexico_city", "America/Mexico_City", 0.20, 0.25, (10.0, 13.0), 0.20, 500,
        {"es": 0.60, "pt": 0.5, "en": 0.20},
        {"es": (0.50, ("en", "pt")), "pt": (0.60, ("es", "en")), "en": (0.50, ("es",))},
        0.0,
        (  # Local daytime and the Americas' evening streams.
            S("MEX-M", "07:00", 9, 60), S("MEX-D", "11:00-13:00/60", 9, 60),
            S("MEX-E", "16:00", 9, 60), S("MEX-N", "23:00", 8, 30),
            S("MEX-P", "19:00", 4, 0, "Fri-Sun"),
        ),
        (Window("07:00", "17:00", False, "parent, day shifts only"),),
        ("José", "María", "Juan", "Guadalupe", "Luis", "Fernanda", "Carlos", "Daniela", "Miguel",
         "Alejandra", "Jorge", "Valeria", "Diego", "Ximena", "Ricardo", "Sofía", "Andrés",
         "Paola", "Eduardo", "Mariana"),
        ("Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
         "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez",
         "Torres", "Díaz", "Gutiérrez", "Ruiz"),
    ),
)
del S

# A sixth site, opened only by the families that ask for six sites.
EXTRA_SITE = SiteSpec(
    "bogota", "America/Bogota", 0.20, 0.25, (9.0, 12.0), 0.20, 10**9,
    {"es": 0.50, "pt": 0.4, "en": 0.15},
    {"es": (0.50, ("en", "pt")), "pt": (0.60, ("es", "en")), "en": (0.50, ("es",))},
    0.0,
    (ShiftSpec("BOG-M", "06:00", 9, 60), ShiftSpec("BOG-D", "12:00", 9, 60),
     ShiftSpec("BOG-E", "17:00", 9, 60), ShiftSpec("BOG-P", "18:00", 5, 0, "Mon-Fri")),
    (Window("07:00", "17:00", False, "day shifts only"),),
    ("Andrés", "Camila", "Santiago", "Valentina", "Sebastián", "Isabella", "Mateo", "Mariana",
     "Nicolás", "Gabriela"),
    ("Rodríguez", "Gómez", "González", "Martínez", "García", "López", "Hernández", "Sánchez",
     "Ramírez", "Pérez"),
)


@dataclass(frozen=True)
class Family:
    """A shape of week for the benchmarks: what differs from the generator's own weeks (the ladder).

    Each family changes what makes a week hard for the search: how many
    shifts an agent may take (start ranges), how many agents are
    interchangeable (shared or individual wages), how many sites and zones,
    markets, the part-timers' days, a daylight-saving change, a finer grid.
    """

    name: str
    about: str
    ranges: bool = False  # every template gets a start range of up to five hourly starts
    wages: str = "drawn"  # drawn per agent (some coincide); "shared" per site, contract and languages; "individual"
    sites: tuple[str, ...] = ()  # the sites to open whatever the size (empty: by size, as the ladder)
    markets: int = 0  # this many markets of the active languages (0: by size)
    weekday_part_time: bool = False  # part-time templates on Monday to Friday only
    interval: int = 0  # the grid in minutes (0: as asked)
    week: str = "2026-11-30"  # the Monday of the week the benchmarks plan
    max_consecutive_days: int = 6
    people_share: float = 0.0  # leave and daily windows for this share of agents (0: the ladder's)


AMERICAS = ("shenzhen", "manila", "paris", "mexico_city")
FAMILIES = {f.name: f for f in (
    Family("ladder", "the generator's own weeks (sites and markets grow with the size)"),
    Family("ranges", "start ranges on every template", ranges=True),
    Family("shared", "a user's week: shared wages per contract (few kinds of agent), start ranges, four sites "
           "with Mexico City, 15 markets, weekday part-time, 5 days in a row", ranges=True, wages="shared",
           sites=AMERICAS, markets=15, weekday_part_time=True, max_consecutive_days=5, people_share=0.05),
    Family("individual", "the same week with individual wages (every agent a kind of their own)", ranges=True,
           wages="individual", sites=AMERICAS, markets=15, weekday_part_time=True, max_consecutive_days=5,
           people_share=0.05),
    Family("sites6", "six sites, two in the Americas, 16 markets",
           sites=AMERICAS + ("kuala_lumpur", "bogota"), markets=16),
    Family("dst", "the week Paris and Europe's markets change to winter time (Sunday 25 October 2026), "
           "with Mexico City", sites=AMERICAS, week="2026-10-19"),
    Family("grid30", "a 30-minute grid", interval=30),
)}


# --------------------------------------------------------------------------
# The generated scenario


@dataclass
class Agent:
    agent_id: str
    name: str
    site: SiteSpec
    languages: list[str]
    hourly_cost: float
    part_time: bool
    window: Window | None = None

    @property
    def contract(self) -> tuple[int, int, int]:
        return PART_TIME if self.part_time else FULL_TIME


@dataclass(frozen=True)
class Leave:
    agent_id: str
    start: str  # "Wed" or "Tue 13:00", agent-local, typical week
    end: str
    reason: str

    def interval_hours(self) -> tuple[float, float]:
        """The leave as [start, end) hours after the agent's local Monday 00:00."""
        return _week_hours(self.start, end=False), _week_hours(self.end, end=True)


@dataclass
class CapacityRow:
    language: str
    markets: list[str]
    weekly_questions: int
    rough_hours: float  # the rule of thumb (ROUGH_EFFICIENCY, one agent at least)
    erlang_hours: float  # Erlang C against every target, after shrinkage
    peak_agents: int  # Erlang, busiest hour
    peak_hour: str  # the busiest hour in planning time, "Mon 07:00"
    peak_local: str  # the same hour in the queue's biggest market, "Sun 18:00 US-E"
    speakers: int
    available_hours: float  # sum of the speakers' max_hours

    @property
    def load(self) -> float:
        return self.rough_hours / self.available_hours if self.available_hours else math.inf

    @property
    def erlang_load(self) -> float:
        return self.erlang_hours / self.available_hours if self.available_hours else math.inf


@dataclass
class Scenario:
    agents_requested: int
    seed: int
    languages_requested: int
    volume_scale: float
    interval_minutes: int
    sites: list[SiteSpec]
    markets: list[MarketSpec]
    languages: list[str]
    forecast: dict[str, np.ndarray]  # market -> questions, shape (7, 24 * 60 // interval)
    agents: list[Agent]
    leave: list[Leave]
    capacity: list[CapacityRow] = field(default_factory=list)
    family: Family = FAMILIES["ladder"]

    @property
    def total_max_hours(self) -> int:
        return sum(agent.contract[1] for agent in self.agents)


# --------------------------------------------------------------------------
# Building


def languages_for(agents: int, limit: int) -> int:
    """How many languages a seller with this many agents serves (8 at 60)."""
    grown = round(8 + 3 * math.log2(agents / 60))
    return max(1, min(limit, len(LANGUAGES), max(2, grown)))


def build_scenario(agents: int = 60, seed: int = 7, languages: int = 8,
                   volume_scale: float = 1.0, interval_minutes: int = 60, family: str = "ladder") -> Scenario:
    """Everything a scenario folder holds, in memory (no files written). `family`: a name of FAMILIES."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    shape_of = FAMILIES[family]
    interval_minutes = shape_of.interval or interval_minutes
    if agents < 6:
        raise ValueError(f"agents must be at least 6 (one site needs a few people), got {agents}")
    if languages < 1:
        raise ValueError(f"languages must be at least 1, got {languages}")
    if not volume_scale > 0:
        raise ValueError(f"volume_scale must be positive, got {volume_scale}")
    if interval_minutes not in (15, 30, 60):
        raise ValueError(f"interval_minutes must be 15, 30 or 60, got {interval_minutes}")

    # Independent streams, so that the volume scale or the interval never
    # changes who the agents are, and the agents never change the noise.
    rng_forecast, rng_agents, rng_leave = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))

    active = list(LANGUAGES[:languages_for(agents, languages)])
    if shape_of.markets:
        markets = sorted((m for m in MARKETS if m.language in active), key=lambda m: m.min_agents)
        markets = [m for m in MARKETS if m in markets[:shape_of.markets]]
        active = [lang for lang in active if any(m.language == lang for m in markets)]  # a language with a market
    else:
        markets = [m for m in MARKETS if m.language in active and agents >= m.min_agents]
    if shape_of.sites:
        sites = [s for s in SITES + (EXTRA_SITE,) if s.name in shape_of.sites]
    else:
        sites = [s for s in SITES if agents >= s.min_agents]
    sites = [_site_for(s, shape_of) for s in sites if any(lang in active for lang in s.language_weight)]
    shape = {m.code: _weekly_shape(m, rng_forecast) for m in markets}
    grid = {m.code: _planning_grid_weights(m) for m in markets}

    # Size the workforce from a first calibration at an average contract,
    # then calibrate the volume again against the real contracts.
    assumed_hours = agents * 37.0
    factor = _calibrate(markets, shape, grid, active, TARGET_LOAD * assumed_hours)
    need = _rough_need_by_language(markets, _scaled(shape, factor), grid, active)
    staff = _allocate_headcount(agents, active, sites, need)
    workforce = _hire(staff, sites, active, rng_agents)
    sites = [s for s in sites if any(a.site is s for a in workforce)]
    total_max = sum(a.contract[1] for a in workforce)
    factor = _calibrate(markets, shape, grid, active, TARGET_LOAD * total_max) * volume_scale
    hourly = _scaled(shape, factor)
    _set_wages(workforce, shape_of.wages)
    share = shape_of.people_share
    _assign_windows(workforce, rng_agents, share or WINDOW_SHARE)
    leave = _leave(workforce, rng_leave, round(len(workforce) * share) if share else None)

    scenario = Scenario(
        agents, seed, languages, volume_scale, interval_minutes, sites, markets, active,
        {code: _split_hours(q, interval_minutes) for code, q in hourly.items()},
        workforce, leave, family=shape_of)
    scenario.capacity = _capacity(scenario, hourly, grid)
    return scenario


def _weekly_shape(market: MarketSpec, rng: np.random.Generator) -> np.ndarray:
    """Expected questions per local (weekday, hour) before calibration."""
    q = np.zeros((7, 24))
    for day in range(7):
        curve = WEEKEND_CURVE if day >= 5 else WEEKDAY_CURVE
        level = DAY_LEVEL[day] * rng.lognormal(0, 0.04)
        for hour in range(24):
            value = curve[(hour - market.peak_shift_hours) % 24] * level
            if day == 4 and hour >= 20:
                value *= FRIDAY_EVENING_BUMP
            if day == 0 and hour < 2:
                value *= MONDAY_SMALL_HOURS
            q[day, hour] = market.peak * value
    return q * rng.lognormal(0, 0.10, size=q.shape)


def _scaled(shape: dict[str, np.ndarray], factor: float) -> dict[str, np.ndarray]:
    return {code: np.rint(q * factor) for code, q in shape.items()}


def _planning_grid_weights(market: MarketSpec) -> np.ndarray:
    """(168 local hours) x (168 planning hours) overlap shares over the
    reference week, wrapping around it (a typical week repeats)."""
    zone = ZoneInfo(market.timezone)
    origin = _reference_origin().astimezone(timezone.utc)
    weights = np.zeros((168, 168))
    for local_hour in range(168):
        start = datetime(*REFERENCE_MONDAY, tzinfo=zone) + timedelta(hours=local_hour)
        minutes = ((start.astimezone(timezone.utc) - origin).total_seconds() / 60) % (168 * 60)
        first, offset = divmod(minutes, 60)
        weights[local_hour, int(first)] += 1 - offset / 60
        if offset:
            weights[local_hour, (int(first) + 1) % 168] += offset / 60
    return weights


def _queue_series(markets, hourly, grid, language):
    """Per planning hour of one language queue: questions, arrivals, their
    workload in Erlangs, and the rough agents (the rule of thumb, before the
    one-agent floor); plus the queue's concurrency, the lowest of its markets."""
    questions, arrivals, load, rough = (np.zeros(168) for _ in range(4))
    concurrency = None
    for m in markets:
        if m.language != language:
            continue
        q = hourly[m.code].reshape(168) @ grid[m.code]
        a = q * (1 - m.bot_deflection)
        questions += q
        arrivals += a
        load += a * m.aht_mix_seconds / 3600
        rough += a * m.aht_mix_seconds / (m.concurrency * 3600 * ROUGH_EFFICIENCY)
        concurrency = m.concurrency if concurrency is None else min(concurrency, m.concurrency)
    return questions, arrivals, load, rough, concurrency


def _rough_hours(questions, rough) -> np.ndarray:
    return np.where(questions > 0, np.maximum(rough, 1.0), 0.0)


def _rough_need_by_language(markets, hourly, grid, languages) -> dict[str, float]:
    """Agent-hours a week per language as the product staffs them (Erlang, fractional shrinkage)."""
    need = {}
    for lang in languages:
        questions, arrivals, load, _, concurrency = _queue_series(markets, hourly, grid, lang)
        aht = np.divide(load * 3600, arrivals, out=np.full(168, 180.0), where=arrivals > 0)
        need[lang] = float(erlang_agents(arrivals, aht, concurrency or 1).sum())
    return need


def _calibrate(markets, shape, grid, languages, target_hours: float) -> float:
    """The volume factor whose rough staffing need is `target_hours`."""
    def total(factor):
        return sum(_rough_need_by_language(markets, _scaled(shape, factor), grid, languages).values())

    low, high = 0.0, 1.0
    while total(high) < target_hours and high < 1e6:
        low, high = high, high * 2
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if total(middle) < target_hours else (low, middle)
    return high


def _allocate_headcount(agents, languages, sites, need) -> dict[tuple[str, str], int]:
    """Agents per (primary language, site): in proportion to each language's
    need (thinner for UNDER_HIRED), split over the sites that hire it."""
    fair = {lang: need[lang] * UNDER_HIRED.get(lang, 1.0) for lang in languages}
    total = sum(fair.values())
    wanted = {}
    for lang in languages:
        weights = {s.name: s.language_weight.get(lang, 0.0) for s in sites}
        spread = sum(weights.values())
        for site, weight in weights.items():
            if weight:
                wanted[lang, site] = agents * fair[lang] / total * weight / spread
    counts = _largest_remainder(wanted, agents)
    # Every language needs a few speakers to be staffable at all.
    least = 2 if agents >= 2 * len(languages) else 1
    for lang in languages:
        while sum(n for (l, _), n in counts.items() if l == lang) < least:
            donor = max(counts, key=lambda key: (counts[key], key))
            counts[donor] -= 1
            home = max((k for k in wanted if k[0] == lang), key=lambda k: wanted[k])
            counts[home] += 1
    return {key: n for key, n in counts.items() if n}


def _largest_remainder(wanted: dict, total: int) -> dict:
    keys = sorted(wanted)
    counts = _whole_parts(np.array([wanted[key] for key in keys]), total)
    return dict(zip(keys, counts.tolist()))


def _hire(staff, sites, languages, rng) -> list[Agent]:
    workforce = []
    for site in sites:
        primaries = [lang for lang in languages for _ in range(staff.get((lang, site.name), 0))]
        rng.shuffle(primaries)
        names = _names(site, len(primaries), rng)
        part_time = set(rng.choice(len(primaries), round(len(primaries) * site.part_time_share),
                                   replace=False).tolist())
        for i, primary in enumerate(primaries):
            spoken = [primary]
            chance, candidates = site.second_language.get(primary, (0.0, ()))
            candidates = [c for c in candidates if c in languages]
            if candidates and rng.random() < chance:
                spoken.append(candidates[rng.integers(len(candidates))])
                rest = [c for c in candidates if c not in spoken]
                if rest and rng.random() < site.third_language_chance:
                    spoken.append(rest[rng.integers(len(rest))])
            low, high = site.wage_range
            wage = rng.uniform(low, high - 0.5) + 0.5 * (len(spoken) - 1)  # language allowance
            workforce.append(Agent("", names[i], site, spoken, round(min(wage, high) * 2) / 2,
                                   i in part_time))
    width = max(3, len(str(len(workforce))))
    for number, agent in enumerate(workforce, start=1):
        agent.agent_id = f"A{number:0{width}d}"
    return workforce


def _site_for(site: SiteSpec, family: Family) -> SiteSpec:
    """The site's templates as the family has them: start ranges (two hours either side of a fixed start,
    within the day), part-time on weekdays only."""
    shifts = []
    for t in site.shifts:
        if family.ranges and "-" not in t.start:
            hour, minute = divmod(round(_clock(t.start) * 60), 60)
            first, last = max(0, hour - 2), min(23, hour + 2)
            t = replace(t, start=f"{first:02d}:{minute:02d}-{last:02d}:{minute:02d}/60")
        if family.weekday_part_time and t.hours <= 6 and t.days != "Mon-Fri":
            t = replace(t, days="Mon-Fri")
        shifts.append(t)
    return replace(site, shifts=tuple(shifts))


def _set_wages(workforce: list[Agent], how: str) -> None:
    """Shared: one wage per site, contract and number of languages (the site's contract grid, as a real
    team has it); individual: every agent's own, a cent apart at least."""
    if how == "shared":
        for a in workforce:
            low, high = a.site.wage_range
            base = (low + high) / 2 - (1.0 if a.part_time else 0.0)
            a.hourly_cost = round(base * 2) / 2 + 0.5 * (len(a.languages) - 1)
    elif how == "individual":
        seen: dict[tuple, int] = {}
        for a in workforce:
            key = (a.site.name, tuple(a.languages), a.part_time, a.hourly_cost)
            seen[key] = seen.get(key, -1) + 1
            a.hourly_cost = round(a.hourly_cost + 0.01 * seen[key], 2)


def _names(site: SiteSpec, count: int, rng) -> list[str]:
    pairs = [(f, l) for f in site.first_names for l in site.last_names]
    order = rng.permutation(len(pairs))
    chosen = [pairs[order[i % len(pairs)]] for i in range(count)]
    return [f"{l} {f}" if site.family_name_first else f"{f} {l}" for f, l in chosen]


def _assign_windows(workforce: list[Agent], rng, share: float = WINDOW_SHARE) -> None:
    """Give a few agents per site the daily windows the site offers (a
    window for part-timers goes to a part-timer), if they can still work
    their contract inside it."""
    for site in {a.site.name: a.site for a in workforce}.values():
        staff = [a for a in workforce if a.site is site]
        wanted = round(len(staff) * share)
        for k in range(wanted):
            window = site.windows[k % len(site.windows)]
            pool = [a for a in staff if a.part_time == window.part_time and a.window is None]
            if not pool:
                continue
            agent = pool[rng.integers(len(pool))]
            agent.window = window
            if not _contract_reachable(agent, []):
                agent.window = None


def _leave(workforce: list[Agent], rng, count: int | None = None) -> list[Leave]:
    """Annual leave, training afternoons and sick days in the typical week,
    only where the agent can still work their contracted minimum."""
    count = max(3, count if count is not None else round(len(workforce) / LEAVE_PER_AGENTS))
    kinds = ["annual leave", "training", "medical"]
    reasons = kinds + [kinds[i] for i in rng.integers(len(kinds), size=max(0, count - 3))]
    rows: list[Leave] = []
    taken: set[str] = set()
    for reason in reasons:
        for _ in range(50):
            agent = workforce[rng.integers(len(workforce))]
            if agent.agent_id in taken:
                continue
            if reason == "training":
                day = WEEKDAYS[rng.integers(5)]
                row = Leave(agent.agent_id, f"{day} 13:00", f"{day} 23:59", reason)
            else:
                length = int(rng.integers(1, 4 if reason == "annual leave" else 3))
                first = int(rng.integers(0, 8 - length))
                row = Leave(agent.agent_id, WEEKDAYS[first], WEEKDAYS[first + length - 1], reason)
            if _contract_reachable(agent, [row]):
                rows.append(row)
                taken.add(agent.agent_id)
                break
    order = {a.agent_id: i for i, a in enumerate(workforce)}
    return sorted(rows, key=lambda r: order[r.agent_id])


def _contract_reachable(agent: Agent, leave: list[Leave]) -> bool:
    """Whether some week of the site's templates, inside the agent's window,
    outside their leave, with one shift a day, max_days days and the minimum
    rest between shifts, pays between min_hours and max_hours."""
    min_hours, max_hours, max_days = agent.contract
    blocked = [r.interval_hours() for r in leave]
    by_day: list[list[tuple[float, float, int]]] = [[] for _ in range(7)]
    for template in agent.site.shifts:
        for start in template.start_hours():
            if agent.window and not (_clock(agent.window.earliest) <= start
                                     and start + template.hours <= _clock(agent.window.latest)):
                continue
            for day in template.day_indexes():
                begin, end = day * 24 + start, day * 24 + start + template.hours
                if any(begin < b_end and b_start < end for b_start, b_end in blocked):
                    continue
                by_day[day].append((begin, end, round(template.paid_hours * 2)))
    # state: (end of the last shift, days worked) -> reachable paid half-hours
    states: dict[tuple[float, int], set[int]] = {(-math.inf, 0): {0}}
    for shifts in by_day:
        after = {key: set(sums) for key, sums in states.items()}
        for (last_end, days), sums in states.items():
            if days == max_days:
                continue
            for begin, end, paid in shifts:
                if begin - last_end >= MIN_REST_HOURS:
                    after.setdefault((end, days + 1), set()).update(s + paid for s in sums)
        states = after
    return any(2 * min_hours <= s <= 2 * max_hours for sums in states.values() for s in sums)


def _split_hours(hourly: np.ndarray, interval_minutes: int) -> np.ndarray:
    """Spread each hour's questions over its intervals along the line between
    neighbouring hours, in whole questions that add up to the hour's."""
    parts = 60 // interval_minutes
    if parts == 1:
        return hourly.astype(int)
    week = hourly.reshape(168)
    out = np.zeros(168 * parts, dtype=int)
    offsets = (np.arange(parts) + 0.5) / parts - 0.5  # interval midpoints, in hours from mid-hour
    for h, total in enumerate(week.astype(int)):
        if not total:
            continue
        before, after = week[h - 1], week[(h + 1) % 168]
        trend = np.where(offsets < 0, week[h] + offsets * (week[h] - before),
                         week[h] + offsets * (after - week[h]))
        shares = np.clip(trend, 0.05 * week[h], None)
        out[h * parts:(h + 1) * parts] = _whole_parts(total * shares / shares.sum(), total)
    return out.reshape(7, 24 * parts)


def _whole_parts(values: np.ndarray, total: int) -> np.ndarray:
    """Round `values` to integers adding up to `total` (largest remainders)."""
    whole = np.floor(values).astype(int)
    order = np.argsort(-(values - whole), kind="stable")
    whole[order[:total - whole.sum()]] += 1
    return whole


# --------------------------------------------------------------------------
# Capacity check


def erlang_agents(arrivals_per_hour, aht_seconds, concurrency: int) -> np.ndarray:
    """Agents to schedule per hour, exactly as `rota staffing` computes them
    (Erlang C against every target, patience ignored, which errs on the safe
    side of Erlang A; whole agents on the floor, then fractional shrinkage)."""
    from scheduler.staffing.erlang_batch import required_servers_batch

    arrivals = np.asarray(arrivals_per_hour, dtype=float)
    t = TARGETS
    servers = required_servers_batch(
        arrivals / 3600, np.asarray(aht_seconds, dtype=float), np.full(arrivals.shape, np.nan),
        t["first_response_seconds"], t["service_level"], t["answer_within_seconds"],
        t["complex_answer_within_seconds"], 1.0, t["max_occupancy"])
    agents = -(-servers // concurrency)
    return agents / (1 - t["shrinkage"])


def _capacity(scenario: Scenario, hourly, grid) -> list[CapacityRow]:
    rows = []
    for lang in scenario.languages:
        questions, arrivals, load, rough, concurrency = _queue_series(
            scenario.markets, hourly, grid, lang)
        aht = np.divide(load * 3600, arrivals, out=np.zeros(168), where=arrivals > 0)
        erlang = erlang_agents(arrivals, np.where(arrivals > 0, aht, 180.0), concurrency or 1)
        busiest = max(range(168), key=lambda h: (erlang[h], arrivals[h]))
        markets = [m for m in scenario.markets if m.language == lang]
        biggest = max(markets, key=lambda m: hourly[m.code].sum())
        speakers = [a for a in scenario.agents if lang in a.languages]
        rows.append(CapacityRow(
            lang, [m.code for m in markets], int(questions.sum()),
            float(_rough_hours(questions, rough).sum()), float(erlang.sum()), round(float(erlang[busiest]), 2),
            f"{WEEKDAYS[busiest // 24]} {busiest % 24:02d}:00",
            f"{_planning_hour_in(busiest, biggest.timezone)} {biggest.code}",
            len(speakers), float(sum(a.contract[1] for a in speakers))))
    return rows


def format_capacity(scenario: Scenario) -> str:
    """The per-language capacity check as a plain-text table."""
    header = ("queue", "markets", "questions/wk", "rough h", "Erlang h", "busiest hour",
              "agents", "speakers", "their max h", "rough/max", "Erlang/max")
    lines = [header]
    for r in scenario.capacity:
        lines.append((r.language, ",".join(r.markets), f"{r.weekly_questions}", f"{r.rough_hours:.0f}",
                      f"{r.erlang_hours:.0f}", f"{r.peak_hour} ({r.peak_local})", f"{r.peak_agents}",
                      f"{r.speakers}", f"{r.available_hours:.0f}", f"{r.load:.0%}",
                      f"{r.erlang_load:.0%}"))
    rough = sum(r.rough_hours for r in scenario.capacity)
    erlang = sum(r.erlang_hours for r in scenario.capacity)
    total = scenario.total_max_hours
    lines.append(("all", f"{len(scenario.markets)} markets",
                  f"{sum(r.weekly_questions for r in scenario.capacity)}", f"{rough:.0f}",
                  f"{erlang:.0f}", "", "", f"{len(scenario.agents)}", f"{total}",
                  f"{rough / total:.0%}", f"{erlang / total:.0%}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) if i in (0, 1, 5) else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(line, widths))).rstrip() for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    text += [
        "",
        "rough h: agent-hours a week, an agent handling concurrency x 3600 / AHT x "
        f"{ROUGH_EFFICIENCY:.0%} chats an hour, at least 1 in any hour with questions.",
        "Erlang h: as `rota staffing` computes it: Erlang C against every target (patience ignored), "
        f"whole agents, divided by 1 - {TARGETS['shrinkage']:.0%} shrinkage (volume is calibrated on this);",
        f"busiest hour and agents are its peak, in {PLAN_TIMEZONE} (and the biggest market's clock).",
        "speakers / their max h: agents speaking the language and their weekly max_hours "
        "(a multilingual agent counts in each of their languages; the 'all' row counts everyone once).",
    ]
    return "\n".join(text)


# --------------------------------------------------------------------------
# Writing


# A live stream a week per market in its evening (typical week, market-local; questions at `factor` times
# the forecast, fading back over the tail), and two event days: Cyber Monday for North America, the 12.12
# sale in South-East Asia. A market not in the scenario gets none.
STREAMS = [
    ["US-E", "Fri 20:00", "Fri 22:00", 2.5, 0, 30], ["US-W", "Sun 18:00", "Sun 20:00", 2.2, 0, 30],
    ["MX", "Sat 18:00", "Sat 20:00", 2.2, 0, 30], ["BR", "Sat 20:00", "Sat 21:30", 2.0, 0, 20],
    ["UK", "Thu 20:00", "Thu 21:30", 2.0, 0, 20], ["FR", "Thu 20:30", "Thu 22:00", 2.4, 0, 30],
    ["DE", "Sun 18:00", "Sun 19:30", 1.8, 0, 20], ["TH", "Sun 19:00", "Sun 21:00", 2.5, 0, 45],
    ["ID", "Sat 19:00", "Sat 21:00", 2.2, 0, 30], ["VN", "Fri 20:00", "Fri 22:00", 2.0, 0, 30],
    ["PH", "Wed 20:00", "Wed 21:30", 1.8, 10, 30],
]
EVENTS = [
    ["US-E", "2026-11-30", "", 1.6, "Cyber Monday"], ["US-W", "2026-11-30", "", 1.6, "Cyber Monday"],
    ["TH", "2026-12-12", "", 1.8, "12.12 sale"], ["VN", "2026-12-12", "", 1.8, "12.12 sale"],
    ["ID", "2026-12-12", "", 1.8, "12.12 sale"], ["PH", "2026-12-12", "", 1.8, "12.12 sale"],
]


def write_scenario(scenario: Scenario, out_dir: str | Path, force: bool = False) -> Path:
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FileExistsError(f"{out} is not empty; pass --force (force=True) to overwrite it")
    out.mkdir(parents=True, exist_ok=True)
    (out / "policy.toml").write_text(_policy(scenario), encoding="utf-8")
    _write_csv(out / "sites.csv", ["site", "timezone", "night_premium", "weekend_premium"],
               [[s.name, s.timezone, _num(s.night_premium), _num(s.weekend_premium)]
                for s in scenario.sites])
    _write_csv(out / "markets.csv",
               ["market", "timezone", "language", "aht_seconds", "bot_deflection", "complex_share",
                "aht_complex_seconds", "concurrency", "patience_seconds"],
               [[m.code, m.timezone, m.language, m.aht_seconds, _num(m.bot_deflection),
                 _num(m.complex_share), m.aht_complex_seconds, m.concurrency,
                 "" if m.patience_seconds is None else m.patience_seconds]
                for m in scenario.markets])
    step = scenario.interval_minutes
    _write_csv(out / "forecast.csv", ["market", "start", "questions"],
               [[code, f"{WEEKDAYS[day]} {slot * step // 60:02d}:{slot * step % 60:02d}",
                 int(q[day, slot])]
                for code, q in scenario.forecast.items()
                for day in range(7) for slot in range(q.shape[1])])
    _write_csv(out / "agents.csv",
               ["agent_id", "name", "site", "languages", "hourly_cost", "min_hours", "max_hours",
                "max_days", "earliest_start", "latest_end"],
               [[a.agent_id, a.name, a.site.name, ";".join(a.languages), _num(a.hourly_cost),
                 *a.contract, a.window.earliest if a.window else "",
                 a.window.latest if a.window else ""] for a in scenario.agents])
    _write_csv(out / "shifts.csv", ["shift", "site", "start", "hours", "break_minutes", "days"],
               [[t.code, s.name, t.start, t.hours, t.break_minutes, t.days]
                for s in scenario.sites for t in s.shifts])
    _write_csv(out / "leave.csv", ["agent_id", "start", "end", "reason"],
               [[r.agent_id, r.start, r.end, r.reason] for r in scenario.leave])
    codes = {m.code for m in scenario.markets}
    _write_csv(out / "streams.csv", ["market", "start", "end", "factor", "extra_per_hour", "tail_minutes"],
               [row for row in STREAMS if row[0] in codes])
    _write_csv(out / "events.csv", ["market", "date", "end_date", "factor", "name"],
               [row for row in EVENTS if row[0] in codes])
    (out / "README.md").write_text(_readme(scenario), encoding="utf-8")
    return out


def generate(out_dir: str | Path, agents: int = 60, seed: int = 7, languages: int = 8,
             volume_scale: float = 1.0, interval_minutes: int = 60, force: bool = False,
             family: str = "ladder") -> Path:
    """Write a complete scenario folder and return its path.

    Refuses a non-empty folder unless `force`. The defaults write the
    bundled sample (inputs/sample)."""
    scenario = build_scenario(agents, seed, languages, volume_scale, interval_minutes, family)
    return write_scenario(scenario, out_dir, force)


def _write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _num(value: float) -> str:
    return f"{value:g}"


def _policy(s: Scenario) -> str:
    t = TARGETS
    return f"""\
# Planning settings for this scenario (see docs/inputs.md, "policy.toml").
# Generated by benchmarks/generate.py --agents {s.agents_requested} --seed {s.seed} \
--languages {s.languages_requested} --volume-scale {_num(s.volume_scale)} --interval {s.interval_minutes}\
{_family_flag(s)}

[plan]
timezone = "{PLAN_TIMEZONE}"  # planning grid and reports: the Shenzhen head office's clock
interval_minutes = {s.interval_minutes}  # length of one planning interval
days = 7  # plan one week
week_start = "Monday"  # the planned week runs Monday to Sunday (planning time zone)

[targets]
first_response_seconds = {t["first_response_seconds"]}  # average first response (ASA), team KPI
service_level = {_num(t["service_level"])}  # share of questions answered within the limits below
answer_within_seconds = {t["answer_within_seconds"]}  # general questions, service SOP
complex_answer_within_seconds = {t["complex_answer_within_seconds"]}  # complex: first reply or holding message
max_abandon_rate = {_num(t["max_abandon_rate"])}  # viewers leaving unanswered, where patience is known
max_occupancy = {_num(t["max_occupancy"])}  # busy share of an agent's chat capacity, to avoid burnout
shrinkage = {_num(t["shrinkage"])}  # scheduled time lost to meetings, coaching, absence

[rules]
min_rest_hours = {MIN_REST_HOURS}  # between the end of one shift and the start of the next
max_consecutive_days = {s.family.max_consecutive_days}  # working days in a row
night_start = "22:00"  # night premium window, agent-local clock
night_end = "06:00"

[costs]
shortfall_per_agent_hour = 60  # USD lost per agent-hour below requirement (missed sales, refunds)

[solver]
time_limit_seconds = 30  # CP-SAT wall-clock limit per plan
workers = 2  # CP-SAT search workers
seed = {s.seed}  # CP-SAT random seed, for repeatable plans
"""


def _family_flag(s: Scenario) -> str:
    return "" if s.family.name == "ladder" else f" --family {s.family.name}"


def _readme(s: Scenario) -> str:
    sample = (s.agents_requested, s.seed, s.languages_requested, s.volume_scale,
              s.interval_minutes) == (60, 7, 8, 1.0, 60)
    command = ("python benchmarks/generate.py --out inputs/sample --force" if sample else
               f"python benchmarks/generate.py --out DIR --agents {s.agents_requested} "
               f"--seed {s.seed} --languages {s.languages_requested} "
               f"--volume-scale {_num(s.volume_scale)} --interval {s.interval_minutes}{_family_flag(s)}")
    multilingual = sum(len(a.languages) > 1 for a in s.agents)
    lines = [
        f"# {'Sample scenario' if sample else 'Scenario'}: {len(s.agents)} agents, "
        f"{len(s.sites)} sites, {len(s.markets)} markets, {len(s.languages)} languages",
        "",
        "One typical week (`Mon 09:00` rows, so it applies to whichever week is planned) of chat",
        "support for a cross-border live-commerce seller. Viewers of live streams ask questions",
        "in their own language, mostly in their local evening (19:00-23:00), with an afternoon",
        "shoulder, no streams and so no questions from 02:00 to 09:00, a Friday-evening bump and higher, earlier",
        "weekend peaks; an FAQ bot answers part of them. Markets sharing a language share one queue.",
        "",
        "Generated by `benchmarks/generate.py`; regenerate rather than edit by hand:",
        "",
        f"    {command}",
        "",
        f"Planning grid: {PLAN_TIMEZONE}, {s.interval_minutes}-minute intervals, Monday to Sunday "
        "(policy.toml).",
        "",
        "The bundled sample also holds `history.csv.gz` (six weeks of simulated chats, volume growing",
        "3 % a week) and `worked-roster.csv` (the roster those weeks were worked with, short of French",
        "speakers on Tuesday to Thursday evenings); `benchmarks/make_history.py` made both from a plan",
        "of this scenario, for `rota forecast` and `rota review`.",
        "",
        "## Sites and agents",
        "",
        "| site | time zone | agents | part-time | USD/hour | night / weekend premium "
        "| speakers per language |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for site in s.sites:
        staff = [a for a in s.agents if a.site is site]
        spoken = {lang: sum(lang in a.languages for a in staff) for lang in s.languages}
        wages = [a.hourly_cost for a in staff]
        lines.append(
            f"| {site.name} | {site.timezone} | {len(staff)} | {sum(a.part_time for a in staff)} "
            f"| {min(wages):g}-{max(wages):g} | {site.night_premium:.0%} / {site.weekend_premium:.0%} | "
            + ", ".join(f"{lang} {n}" for lang, n in spoken.items() if n) + " |")
    windowed = [a for a in s.agents if a.window]
    lines += [
        "",
        f"- {multilingual} of {len(s.agents)} agents speak more than one language; each serves one "
        "queue at a time.",
        f"- Full-timers work {FULL_TIME[0]}-{FULL_TIME[1]} h on at most {FULL_TIME[2]} days, "
        f"part-timers {PART_TIME[0]}-{PART_TIME[1]} h on at most {PART_TIME[2]} days.",
        f"- {len(windowed)} agents have a daily window (agent-local): "
        + "; ".join(f"{a.agent_id} {a.site.name} {a.window.earliest}-{a.window.latest} ({a.window.why})"
                    for a in windowed[:8]) + ("; ..." if len(windowed) > 8 else "") + ".",
        f"- {len(s.leave)} leave rows (leave.csv): "
        + "; ".join(f"{r.agent_id} {r.start} to {r.end} ({r.reason})" for r in s.leave[:8])
        + ("; ..." if len(s.leave) > 8 else "") + ".",
        "- Shift templates (shifts.csv) are site-local and paid less their unpaid break: "
        + "; ".join(f"{site.name} " + ", ".join(_template_text(t) for t in site.shifts)
                    for site in s.sites) + ".",
        "",
        "## Markets",
        "",
        "| market | time zone | language | questions/week | busiest hour (questions) | bot "
        "| AHT s (complex) | complex | concurrency | patience s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in s.markets:
        q = s.forecast[m.code]
        hourly = q.reshape(7, 24, -1).sum(axis=2)
        day, hour = divmod(int(np.argmax(hourly)), 24)
        lines.append(
            f"| {m.code} | {m.timezone} | {m.language} | {int(q.sum())} "
            f"| {WEEKDAYS[day]} {hour:02d}:00 ({int(hourly[day, hour])}) | {m.bot_deflection:.0%} "
            f"| {m.aht_seconds} ({m.aht_complex_seconds}) | {m.complex_share:.0%} | {m.concurrency} "
            f"| {m.patience_seconds or ''} |")
    codes = {m.code for m in s.markets}
    lines += [
        "",
        "## Live streams and event days",
        "",
        "`streams.csv`: one live stream a week per market, in its evening (market-local, typical week), "
        "questions at the factor times the forecast while it runs, fading back over the tail: "
        + "; ".join(f"{r[0]} {r[1]}-{r[2][4:]} x{r[3]:g}" + (f" +{r[4]}/h" if r[4] else "")
                    for r in STREAMS if r[0] in codes) + ".",
        "`events.csv`: " + "; ".join(f"{r[4]} {r[1]} {r[0]} x{r[3]:g}" for r in EVENTS if r[0] in codes)
        + " (dated: each applies only to the week that holds it; `rota plan --week 2026-11-30` has Cyber "
        "Monday, the week of 2026-12-07 the 12.12 sale). The capacity check below is of the forecast alone.",
    ]
    rough = sum(r.rough_hours for r in s.capacity) / s.total_max_hours
    erlang = sum(r.erlang_hours for r in s.capacity) / s.total_max_hours
    lines += [
        "",
        "## Capacity check",
        "",
        "Weekly need per language queue against the hours its speakers can work, as printed by",
        "the generator:",
        "",
        "```",
        format_capacity(s),
        "```",
        "",
        "## What is tight",
        "",
        f"- By the rough rule the week needs {rough:.0%} of all contracted maximum hours. Tightest:",
        "",
    ]
    for r in sorted(s.capacity, key=lambda r: r.load, reverse=True)[:3]:
        sites = sorted({a.site.name for a in s.agents if r.language in a.languages})
        lines.append(
            f"  - {r.language} ({r.load:.0%} of its {r.speakers} speakers' hours, all in "
            f"{', '.join(sites)}; busiest {r.peak_local.rsplit(' ', 1)[0]} "
            f"{r.peak_local.rsplit(' ', 1)[1]} time = {r.peak_hour} {PLAN_TIMEZONE}).")
    lines += [
        "",
        "- Languages spoken at one site only are covered round the clock from that site's",
        "  shifts, at its night premium; a queue with any question needs an agent, also in its",
        "  markets' small hours.",
        f"- Exact staffing is stricter: Erlang C with whole agents and {TARGETS['shrinkage']:.0%} "
        "shrinkage rounded up asks for",
        f"  {erlang:.0%} of the contracted hours, since every hour with a question then needs two "
        "agents;",
        "  a plan against that requirement shows shortfall in the small queues.",
        "- Weekends have the highest peaks and cost a premium in "
        + ", ".join(site.name for site in s.sites if site.weekend_premium) + ".",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Helpers


def _reference_origin() -> datetime:
    """Monday 00:00 of the reference week in the planning time zone."""
    return datetime(*REFERENCE_MONDAY, tzinfo=ZoneInfo(PLAN_TIMEZONE))


def _planning_hour_in(hour: int, zone: str) -> str:
    """A planning hour of the reference week as a weekday and clock in `zone`."""
    local = (_reference_origin() + timedelta(hours=hour)).astimezone(ZoneInfo(zone))
    return f"{WEEKDAYS[local.weekday()]} {local:%H:%M}"


def _template_text(template: ShiftSpec) -> str:
    days = f" {template.days}" if template.days else ""
    return f"{template.start}+{template.hours}h{days}"


def _clock(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) + int(minutes) / 60


def _week_hours(text: str, end: bool) -> float:
    """`Wed` -> start (or, as an end, the end) of Wednesday; `Tue 13:00` -> that time."""
    day, _, clock = text.partition(" ")
    base = WEEKDAYS.index(day) * 24
    if clock:
        return base + _clock(clock)
    return base + (24 if end else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a realistic, seeded scenario folder (the bundled sample with the defaults).",
        epilog="example: python benchmarks/generate.py --out /tmp/big --agents 500 --seed 3")
    parser.add_argument("--out", required=True, help="scenario folder to write")
    parser.add_argument("--agents", type=int, default=60, help="headcount (default 60)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--languages", type=int, default=8,
                        help="most languages to serve (default 8; small headcounts serve fewer)")
    parser.add_argument("--volume-scale", type=float, default=1.0,
                        help="multiply the calibrated question volume (default 1.0)")
    parser.add_argument("--interval", type=int, choices=(60, 30, 15), default=60,
                        help="planning interval in minutes (default 60)")
    parser.add_argument("--family", choices=list(FAMILIES), default="ladder",
                        help="the shape of week (default ladder, the sample's); see FAMILIES")
    parser.add_argument("--force", action="store_true", help="overwrite a non-empty folder")
    args = parser.parse_args(argv)
    try:
        scenario = build_scenario(args.agents, args.seed, args.languages, args.volume_scale,
                                  args.interval, args.family)
        out = write_scenario(scenario, args.out, args.force)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {len(scenario.agents)} agents, {len(scenario.sites)} sites, "
          f"{len(scenario.markets)} markets, {len(scenario.languages)} languages, "
          f"{len(scenario.leave)} leave rows")
    print(format_capacity(scenario))
    return 0


if __name__ == "__main__":
    sys.exit(main())
