"""Make a multi-week chat history by simulating a roster week after week.

    python -m benchmarks.make_history --scenario inputs/sample --roster ROSTER.csv \
        --weeks 6 --trend 0.03 --understaff fr:Tue-Thu:17-23 --out inputs/sample/history.csv.gz \
        --roster-out inputs/sample/worked-roster.csv

Each past week is the scenario's typical week scaled by the trend (volume
grows `trend` a week, so the last week is the largest) and played through
`rota simulate`'s engine with the roster moved to that week. `--understaff`
removes the shifts of the given language's speakers that are on duty in
those local hours on those days, for about half of them, so the history
shows the evening gap the review must find. Seeded; gzip output stays small.
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd

from scheduler.calendar import planning_grid, to_local
from scheduler.io.scenario import load_scenario, parse_weekdays
from scheduler.io.roster import read_roster
from scheduler.simulate import history_frame, simulate
from scheduler.staffing import compute_staffing
from scheduler.validate import place


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", required=True)
    p.add_argument("--roster", required=True)
    p.add_argument("--weeks", type=int, default=6)
    p.add_argument("--trend", type=float, default=0.03)
    p.add_argument("--understaff", default="", help="LANG:DAYS:FIRST-LAST (local hours of the agents' site)")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--out", required=True)
    p.add_argument("--roster-out", help="Also write the roster that was worked (after --understaff) as a roster CSV.")
    a = p.parse_args()
    sc = load_scenario(a.scenario)
    rows = read_roster(a.roster, sc)
    first = planning_grid(sc, max(r.date for r in rows)).first_day  # the roster's planning week
    if a.understaff:
        lang, days, hours = a.understaff.split(":")
        lo, hi = map(int, re.fullmatch(r"(\d+)-(\d+)", hours).groups())
        weekdays = parse_weekdays(days)
        speakers = sorted(x for x in sc.agents if lang in sc.agents[x].languages)[::2]
        grid = planning_grid(sc, first)
        kept = []
        for s in place(sc, grid, rows):
            local = to_local(grid.instant(s.start), sc.sites[sc.agents[s.row.agent_id].site].timezone)
            end = local + timedelta(minutes=s.end - s.start)
            evening = local.weekday() in weekdays and (local.hour < hi and end.hour > lo or end.day != local.day)
            if not (s.row.agent_id in speakers and evening):
                kept.append(s.row)
        print(f"understaffing {lang}: removed {len(rows) - len(kept)} shifts of {len(speakers)} speakers")
        rows = kept
    if a.roster_out:
        from scheduler.io.files import write_csv
        from scheduler.io.workbook import roster_csv_frame, roster_records
        from scheduler.validate import evaluate
        grid = planning_grid(sc, first)
        write_csv(roster_csv_frame(roster_records(evaluate(sc, grid, compute_staffing(sc, grid), rows))), Path(a.roster_out))
        print(f"wrote {a.roster_out}: {len(rows)} shifts")
    frames = []
    for k in range(a.weeks):
        back = a.weeks - k
        week = first - timedelta(days=7 * back)
        factor = (1 + a.trend) ** (k - a.weeks + 1)
        scaled = replace(sc, forecast=[replace(r, questions=r.questions * factor) for r in sc.forecast])
        grid = planning_grid(scaled, week)
        moved = [replace(r, date=r.date - timedelta(days=7 * back)) for r in rows]
        shifts = [s for s in place(scaled, grid, moved) if 0 <= s.start < grid.minutes]
        staffing = compute_staffing(scaled, grid)
        out = simulate(scaled, grid, staffing, shifts, seed=a.seed + k)
        frames.append(history_frame(out, scaled, grid, staffing, a.seed + k))
        print(f"week of {week}: {len(out.chats):,} questions")
    history = pd.concat(frames, ignore_index=True)
    buffer = io.StringIO()
    history.to_csv(buffer, index=False, lineterminator="\n")
    data = buffer.getvalue().encode()
    Path(a.out).write_bytes(gzip.compress(data, mtime=0) if a.out.endswith(".gz") else data)
    print(f"wrote {a.out}: {len(history):,} rows")


if __name__ == "__main__":
    main()
