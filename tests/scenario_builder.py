"""Small scenarios written as real CSV files, so tests go through the same loader as users."""

from __future__ import annotations

import csv
from pathlib import Path

DEFAULT_POLICY = """
[plan]
timezone = "{tz}"
interval_minutes = {interval}

[targets]
shrinkage = {shrinkage}

[costs]
shortfall_per_agent_hour = {shortfall}

[solver]
time_limit_seconds = 20
workers = 2
seed = 1

[simulation]
runs = {runs}  # the play of each plan: off unless a test is about it, which keeps the suite quick
"""


def write_csv(path: Path, rows: list[dict]) -> None:
    header: list[str] = []
    for r in rows:
        for k in r:
            if k not in header:
                header.append(k)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


def write_scenario(folder: Path, *, sites, agents, markets, shifts, forecast, leave=None,
                   tz="Asia/Shanghai", interval=60, shortfall=100.0, policy_extra="", shrinkage=0.0, runs=0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policy.toml").write_text(DEFAULT_POLICY.format(tz=tz, interval=interval, shortfall=shortfall,
                                                              shrinkage=shrinkage, runs=runs) + policy_extra)
    for name, rows in (("sites", sites), ("agents", agents), ("markets", markets), ("shifts", shifts),
                       ("forecast", forecast), ("leave", leave)):
        if rows is not None:
            write_csv(folder / f"{name}.csv", rows)
    return folder


def agent(agent_id, site="hq", languages="en", cost=10, min_hours=0, max_hours=40, max_days=5, **kw) -> dict:
    return {"agent_id": agent_id, "name": f"Agent {agent_id}", "site": site, "languages": languages,
            "hourly_cost": cost, "min_hours": min_hours, "max_hours": max_hours, "max_days": max_days, **kw}


def typical_forecast(market: str, hours: dict[str, float]) -> list[dict]:
    """{'Mon 09:00': 30, ...} -> forecast rows."""
    return [{"market": market, "start": k, "questions": v} for k, v in hours.items()]


def forty_hours_in_short_and_long_shifts(folder: Path) -> Path:
    """One agent owing exactly 40 hours in at most 5 days, from 4- and 8-hour shifts at 09:00: only five
    8-hour days make the week, which rounding must find out."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return write_scenario(
        folder, sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent("A", min_hours=40, max_hours=40, max_days=5)],
        markets=[{"market": "CN", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "S", "site": "hq", "start": "09:00", "hours": 4},
                {"shift": "L", "site": "hq", "start": "09:00", "hours": 8}],
        forecast=[{"market": "CN", "start": f"{d} {h:02d}:00", "questions": 10} for d in days for h in range(9, 17)])
