"""Each agent's shifts in their own calendar: one iCalendar file per agent (RFC 5545, `icalendar`).

A calendar is a feed the agent subscribes to, so a file is updated, not
replaced: the planned week's events take the place of that week's, and other
weeks' events stay. An event's UID names the agent, the local day and the
shift slot, so it is the same in every publication; a shift that moves keeps
its UID and raises its SEQUENCE, which tells a calendar reader to update it;
a shift taken out is published once as CANCELLED (SEQUENCE raised too) and
dropped from the file after that. Nothing in a file depends on the clock, so
the same roster gives the same bytes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from zoneinfo import ZoneInfo

import icalendar

from scheduler.calendar import to_local
from scheduler.domain import clock_text
from scheduler.io.files import atomic_outputs

PRODID = "-//rota//agent calendars//EN"


def uid(agent_id: str, day: date, slot: int = 1) -> str:
    """The same agent, local day and shift slot give the same UID in every publication."""
    return f"{agent_id}-{day:%Y%m%d}-{slot}@rota"


def _event(ev, s, tz: str, sequence: int, stamp: datetime) -> icalendar.Event:
    agent = ev.scenario.agents[s.row.agent_id]
    zone = ZoneInfo(tz)
    start, end = (ev.grid.instant(m).astimezone(zone) for m in (s.start, s.end))
    e = icalendar.Event()
    e.add("uid", uid(agent.agent_id, s.row.date))
    e.add("dtstamp", stamp)
    e.add("sequence", sequence)
    e.add("dtstart", start)
    e.add("dtend", end)
    e.add("summary", f"Shift {clock_text(s.row.start)}-{clock_text(s.row.end)} ({agent.site})")
    lines = [f"Paid hours: {s.paid_minutes / 60:g}"]
    if s.brk:
        b0, b1 = (to_local(ev.grid.instant(m), tz) for m in s.brk)
        lines.insert(0, f"Break {b0:%H:%M}-{b1:%H:%M} ({s.brk[1] - s.brk[0]} min, unpaid)")
    if s.row.queues:
        lines.append(f"Queues: {', '.join(s.row.queues)}")
    e.add("description", "\n".join(lines))
    e.add("status", "CONFIRMED")
    e.add("transp", "OPAQUE")
    return e


def _span(e) -> tuple:
    """When an event is, as written: local start and end and their zone."""
    return tuple((e[k].to_ical(), e[k].params.get("TZID")) for k in ("dtstart", "dtend"))


def agent_calendar(ev, agent_id: str, old: icalendar.Calendar | None) -> icalendar.Calendar:
    """The agent's calendar after this week's publication, merged into what was published before."""
    agent = ev.scenario.agents[agent_id]
    tz = ev.scenario.sites[agent.site].timezone
    days = set(ev.grid.local_dates(tz))
    stamp = datetime.combine(ev.grid.first_day, datetime.min.time()).replace(tzinfo=timezone.utc) - timedelta(days=7)
    before = {str(e.get("uid")): e for e in (old.walk("VEVENT") if old else [])}
    events = []
    for s in sorted((s for s in ev.shifts if s.row.agent_id == agent_id), key=lambda s: s.start):
        e = _event(ev, s, tz, 0, stamp)
        prior = before.pop(str(e.get("uid")), None)
        if prior is not None:
            seq = int(prior.get("sequence", 0))
            moved = _span(prior) != _span(e) or str(prior.get("status", "")) == "CANCELLED"
            e["sequence"] = seq + 1 if moved else seq
        events.append(e)
    for key, prior in before.items():
        day = prior.decoded("dtstart").date()
        if day not in days:
            events.append(prior)  # another week's: kept as it was
        elif str(prior.get("status", "")) != "CANCELLED":
            prior["sequence"] = int(prior.get("sequence", 0)) + 1
            prior["status"] = "CANCELLED"  # published once as cancelled, then dropped
            events.append(prior)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{agent.name or agent.agent_id}: shifts")
    cal.add("x-wr-timezone", tz)
    starts = [e.decoded("dtstart").date() for e in events] or [ev.grid.first_day]
    first, last = min(starts) - timedelta(days=1), max(starts) + timedelta(days=2)
    cal.add_component(icalendar.Timezone.from_tzid(tz, first_date=first, last_date=last))
    for e in sorted(events, key=lambda e: (e.decoded("dtstart").astimezone(timezone.utc), str(e.get("uid")))):
        cal.add_component(e)
    return cal


def write_calendars(ev, out_dir: Path) -> tuple[Path, int]:
    """`<out>/calendars/<agent_id>.ics` for every agent with a shift this week or an event published before;
    each file is written whole or not at all. Returns the folder and how many files were written."""
    folder = Path(out_dir) / "calendars"
    folder.mkdir(parents=True, exist_ok=True)
    working = {s.row.agent_id for s in ev.shifts}
    written = 0
    for agent_id in ev.scenario.agents:
        path = folder / f"{_safe(agent_id)}.ics"
        if agent_id not in working and not path.exists():
            continue
        old = icalendar.Calendar.from_ical(path.read_bytes()) if path.exists() else None
        data = agent_calendar(ev, agent_id, old).to_ical()
        with atomic_outputs(path, force=True) as (tmp,):
            Path(tmp).write_bytes(data)
        written += 1
    return folder, written


def _safe(agent_id: str) -> str:
    from scheduler.io.files import safe_name
    return safe_name(agent_id)
