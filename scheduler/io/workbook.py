"""The planned workbook: Roster (the HR import), Schedule, Coverage, Markets, Agents, Summary.

Everything shown comes from an `Evaluation` of the roster, so the workbook
of `plan` and of `evaluate` read alike and agree with each other. Text from
the inputs is always written as text, never as a formula; dates and times are
real Excel values with formats; the document metadata is fixed so the same
plan gives the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.calendar import to_local
from scheduler.continuity import boundary_note
from scheduler.domain import clock_text
from scheduler.io.roster import ROSTER_COLUMNS, roster_order, utc_text
from scheduler.validate import BREAK_COLUMNS, Evaluation

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
BAD_FILL = PatternFill("solid", fgColor="F8CBAD")
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE")
SITE_FILLS = ["DDEBF7", "FCE4D6", "E2EFDA", "FFF2CC", "EDEDED", "D9E1F2"]
THIN = Side(style="thin", color="BFBFBF")
CHANGE_COLUMNS = ["agent_id", "name", "date", "change", "before", "after", "why"]  # a re-plan's Changes sheet


@dataclass
class RunInfo:
    """Facts about the run that the Summary sheet states beside the figures."""

    status: str = ""
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float | None = None
    interrupted: bool = False
    command: str = "plan"
    note: str = ""
    lp_bound: float | None = None
    time_limit: float | None = None
    bound_from: str = ""
    # Summary items of the run: a re-plan's (from, frozen shifts, changes), --compare-unfair's; a re-plan's Changes rows.
    extra_items: list[tuple[str, object, str | None]] = field(default_factory=list)
    changes: list[dict] | None = None
    # Where the plan was played (`scheduler.promise`): per queue the simulated "asa", "asa_ci", "targets_met"
    # and the formulas' "asa_formula", "targets_met_formula"; and what played it ("simulation, 10 runs ...").
    simulated: dict[str, dict[str, float]] | None = None
    simulated_by: str = ""


def roster_records(ev: Evaluation) -> list[dict]:
    """The Roster rows as values (date/time objects), in ROSTER_COLUMNS order."""
    sc, grid = ev.scenario, ev.grid
    out = []
    for s in sorted(ev.shifts, key=lambda s: roster_order(sc, s.row.agent_id, s.start)):
        agent = sc.agents[s.row.agent_id]
        tz = sc.sites[agent.site].timezone
        r = s.row
        out.append({
            "agent_id": agent.agent_id, "name": agent.name, "site": agent.site, "date": r.date,
            "start": _clock(r.start), "end": _clock(r.end), "timezone": tz,
            "start_utc": utc_text(grid.instant(s.start)), "end_utc": utc_text(grid.instant(s.end)),
            "paid_hours": round(s.paid_minutes / 60, 2),
            "break_start": _clock(r.break_start) if r.break_minutes else None,
            "break_minutes": r.break_minutes, "queues": ",".join(r.queues), "cost": s.cost,
        })
    return out


def _clock(minutes: int | None) -> time | None:
    return None if minutes is None else time(minutes // 60 % 24, minutes % 60)


def roster_csv_frame(records: list[dict]) -> pd.DataFrame:
    """roster.csv: the same rows, dates and clocks as text a payroll import reads (made safe by `write_csv`)."""
    rows = []
    for rec in records:
        row = {}
        for c in ROSTER_COLUMNS:
            v = rec[c]
            if isinstance(v, time):
                v = v.strftime("%H:%M")
            elif isinstance(v, date):
                v = v.isoformat()
            elif v is None:
                v = ""
            row[c] = v
        rows.append(row)
    return pd.DataFrame(rows, columns=ROSTER_COLUMNS)


# ------------------------------------------------------------------ sheet helpers

def put_cell(ws: Worksheet, row: int, col: int, value, fmt: str | None = None):
    cell = ws.cell(row=row, column=col)
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # never a formula, whatever the text starts with
    else:
        cell.value = value
    if fmt:
        cell.number_format = fmt
    return cell


def print_one_page_wide(ws: Worksheet) -> None:
    """Landscape, every column on one page width, as many pages down as it takes: what a supervisor
    prints (the Roster's 14 columns used to spread over three page widths)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def write_table(ws: Worksheet, columns: list[str], rows: list[list], formats: dict[str, str] | None = None,
           widths: dict[str, int] | None = None, start_row: int = 1) -> None:
    formats, widths = formats or {}, widths or {}
    for j, name in enumerate(columns, start=1):
        c = put_cell(ws, start_row, j, name)
        c.fill, c.font = HEADER_FILL, HEADER_FONT
        c.alignment = Alignment(horizontal="center", vertical="center")
    for i, values in enumerate(rows, start=start_row + 1):
        for j, (name, v) in enumerate(zip(columns, values), start=1):
            put_cell(ws, i, j, v, formats.get(name))
    ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
    ws.print_title_rows = f"{start_row}:{start_row}"  # the header on every printed page
    print_one_page_wide(ws)
    # The table, not the charts beside it: fitted to one page width with them, its text was unreadable.
    ws.print_area = f"A1:{get_column_letter(len(columns))}{start_row + max(len(rows), 1)}"
    if rows:
        ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(columns))}{start_row + len(rows)}"
    for j, name in enumerate(columns, start=1):
        sample = [len(str(r[j - 1])) for r in rows[:200] if r[j - 1] is not None]
        width = widths.get(name, min(max([len(name) + 2] + [s + 2 for s in sample]), 40))
        ws.column_dimensions[get_column_letter(j)].width = width


def frame_rows(df: pd.DataFrame, columns: list[str]) -> list[list]:
    out = []
    for rec in df[columns].itertuples(index=False):
        out.append([_plain(v) for v in rec])
    return out


def _plain(v):
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, datetime) and v.tzinfo is not None:
        v = v.replace(tzinfo=None)
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, bool):
        return "yes" if v else "no"
    return v


# ------------------------------------------------------------------ sheets

def write_roster(ws: Worksheet, records: list[dict]) -> None:
    rows = [[rec[c] for c in ROSTER_COLUMNS] for rec in records]
    write_table(ws, ROSTER_COLUMNS, rows, formats={
        "date": "yyyy-mm-dd", "start": "hh:mm", "end": "hh:mm", "break_start": "hh:mm",
        "paid_hours": "0.00", "break_minutes": "0", "cost": "#,##0.00",
    }, widths={"start_utc": 22, "end_utc": 22, "date": 12, "timezone": 18, "name": 22})


def write_schedule(ws: Worksheet, ev: Evaluation) -> None:
    """Agents by agent-local day; a supervisor prints it (landscape, one page wide)."""
    sc = ev.scenario
    # Every day of the week, worked or not, and every shift of a day (a hand-edited roster may hold two).
    days = sorted({s.row.date for s in ev.shifts} | set(ev.grid.local_dates(sc.policy.plan.timezone)))
    cells: dict[tuple[str, date], str] = {}
    for s in sorted(ev.shifts, key=lambda s: s.start):
        r = s.row
        text = f"{clock_text(r.start)}-{clock_text(r.end)}"
        if r.break_minutes:
            text += f"\nbreak {clock_text(r.break_start)}"
        cells[(r.agent_id, r.date)] = cells[(r.agent_id, r.date)] + "\n" + text if (r.agent_id, r.date) in cells else text
    header = ["agent_id", "name", "site", "languages"] + [f"{d:%a %d %b}" for d in days] + ["paid_hours"]
    put_cell(ws, 1, 1, f"Schedule {ev.grid.label}: shifts in each agent's local time")
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    for j, name in enumerate(header, start=1):
        c = put_cell(ws, 2, j, name)
        c.fill, c.font = HEADER_FILL, HEADER_FONT
        c.alignment = Alignment(horizontal="center", wrap_text=True)
    paid = ev.agents.set_index("agent_id")["paid_hours"]
    sites = list(sc.sites)
    row = 3
    for agent in sorted(sc.agents.values(), key=lambda a: (sites.index(a.site), a.agent_id)):
        fill = PatternFill("solid", fgColor=SITE_FILLS[sites.index(agent.site) % len(SITE_FILLS)])
        values = [agent.agent_id, agent.name, agent.site, ",".join(agent.languages)]
        values += [cells.get((agent.agent_id, d), "") for d in days] + [float(paid.get(agent.agent_id, 0.0))]
        for j, v in enumerate(values, start=1):
            c = put_cell(ws, row, j, v, "0.0" if j == len(values) else None)
            c.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
            if 4 < j < len(values) and v:
                c.fill = fill
                c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.row_dimensions[row].height = 27
        row += 1
    ws.freeze_panes = "E3"
    for j, w in enumerate([9, 20, 10, 10] + [13] * len(days) + [10], start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    print_one_page_wide(ws)
    ws.print_title_rows = "2:2"


COVERAGE_COLUMNS = ["queue", "interval_start", "questions", "arrivals", "required", "scheduled", "gap",
                    "shortfall_hours", "serving", "backlog", "asa_seconds", "service_level", "complex_service_level", "abandon_rate",
                    "occupancy", "targets_met"]
KPI_FORMATS = {"questions": "0.0", "arrivals": "0.0", "scheduled": "0.00", "serving": "0.00", "backlog": "0.0", "gap": "0.00", "shortfall_hours": "0.00",
               "asa_seconds": "0.0", "service_level": "0.0%", "complex_service_level": "0.0%",
               "abandon_rate": "0.0%", "occupancy": "0.0%", "required": "0.00"}


def write_coverage(ws: Worksheet, ev: Evaluation) -> None:
    df = ev.coverage.copy()
    tz = ev.grid.timezone
    df["interval_start"] = [to_local(t, tz).replace(tzinfo=None) for t in df["interval_start"]]
    rows = frame_rows(df, COVERAGE_COLUMNS)
    write_table(ws, COVERAGE_COLUMNS, rows, formats={**KPI_FORMATS, "interval_start": "ddd yyyy-mm-dd hh:mm"},
           widths={"interval_start": 21})
    n = len(rows)
    if n:
        gap_col = get_column_letter(COVERAGE_COLUMNS.index("gap") + 1)
        ws.conditional_formatting.add(f"{gap_col}2:{gap_col}{n + 1}",
                                      CellIsRule(operator="lessThan", formula=["-0.0001"], fill=BAD_FILL))
        met_col = get_column_letter(COVERAGE_COLUMNS.index("targets_met") + 1)
        ws.conditional_formatting.add(f"{met_col}2:{met_col}{n + 1}",
                                      CellIsRule(operator="equal", formula=['"no"'], fill=BAD_FILL))
    queue_charts(ws, df, COVERAGE_COLUMNS, [("required", "required"), ("scheduled", "scheduled")],
                 "{queue}: required vs scheduled agents (" + tz + ")", "agents")


def queue_charts(ws: Worksheet, df: pd.DataFrame, columns: list[str], series: list[tuple[str, str]],
                 title: str, y_title: str) -> None:
    """One line chart per queue over the week, beside a table whose rows are grouped by queue (column B: time)."""
    from openpyxl.chart.series import SeriesLabel

    anchor = get_column_letter(len(columns) + 2)
    first = 2
    for k, (q, g) in enumerate(df.groupby("queue", sort=False)):
        last = first + len(g) - 1
        # The first series as columns without gaps: a value holds for its whole interval, a step each, where
        # a smoothed line dipped below zero between hours. The others as straight lines between intervals.
        bars = BarChart()
        bars.type, bars.gapWidth, bars.overlap = "col", 0, 100
        lines = LineChart()
        for n, (name, label) in enumerate(series):
            chart = bars if n == 0 else lines
            chart.add_data(Reference(ws, min_col=columns.index(name) + 1, min_row=first, max_row=last))
            chart.series[-1].tx = SeriesLabel(v=label)
            chart.series[-1].smooth = False
        bars.series[0].graphicalProperties.solidFill = "BDD7EE"
        bars.series[0].graphicalProperties.line.noFill = True
        for chart in (bars, lines):
            chart.set_categories(Reference(ws, min_col=2, min_row=first, max_row=last))
        bars.title = title.format(queue=q)
        bars.y_axis.title = y_title
        bars.height, bars.width = 7, 24
        bars.x_axis.number_format = "ddd hh:mm"
        bars.x_axis.tickLblSkip = max(1, len(g) // 14)
        if lines.series:
            bars += lines
        ws.add_chart(bars, f"{anchor}{2 + k * 15}")
        first = last + 1


MARKET_COLUMNS = ["market", "local_start", "timezone", "queue", "questions", "arrivals", "required", "scheduled",
                  "gap", "serving", "asa_seconds", "service_level", "complex_service_level", "abandon_rate", "occupancy",
                  "targets_met"]


def write_markets(ws: Worksheet, ev: Evaluation) -> None:
    rows = frame_rows(ev.markets, MARKET_COLUMNS)
    write_table(ws, MARKET_COLUMNS, rows, formats={**KPI_FORMATS, "local_start": "ddd yyyy-mm-dd hh:mm"},
           widths={"local_start": 21, "timezone": 20})
    if rows:
        met_col = get_column_letter(MARKET_COLUMNS.index("targets_met") + 1)
        ws.conditional_formatting.add(f"{met_col}2:{met_col}{len(rows) + 1}",
                                      CellIsRule(operator="equal", formula=['"no"'], fill=BAD_FILL))
        asa_col = get_column_letter(MARKET_COLUMNS.index("asa_seconds") + 1)
        ws.conditional_formatting.add(f"{asa_col}2:{asa_col}{len(rows) + 1}", ColorScaleRule(
            start_type="num", start_value=0, start_color="FFFFFF", end_type="num",
            end_value=max(60.0, 2 * ev.scenario.policy.targets.first_response_seconds), end_color="F8696B"))


AGENT_COLUMNS = ["agent_id", "name", "site", "languages", "days", "paid_hours", "night_hours", "nights",
                 "weekend_shifts", "cost", "min_hours", "max_hours", "max_days"]


def write_agents(ws: Worksheet, ev: Evaluation) -> None:
    rows = frame_rows(ev.agents, AGENT_COLUMNS)
    write_table(ws, AGENT_COLUMNS, rows, formats={"paid_hours": "0.00", "night_hours": "0.00", "cost": "#,##0.00",
                                             "min_hours": "0.0", "max_hours": "0.0"}, widths={"name": 22})


def write_people(ws: Worksheet, ev: Evaluation) -> None:
    """One row per agent: what the week gives them (nights, weekends, requests), beside their group."""
    from scheduler.validate.people import PEOPLE_COLUMNS
    write_table(ws, PEOPLE_COLUMNS, frame_rows(ev.people.agents, PEOPLE_COLUMNS),
                formats={"paid_hours": "0.00"}, widths={"name": 22, "fairness_group": 26})


def people_items(ev: Evaluation) -> list[tuple[str, object, str | None]]:
    """Summary's fairness and requests: the widest spread in any group, what fairness and the requests
    weigh in the objective, and how many requests were granted."""
    if ev.people is None:
        return []
    g, a = ev.people.groups, ev.people.agents

    def spread(lo: str, hi: str) -> int:
        return int((g[hi] - g[lo]).max()) if len(g) and g[hi].notna().any() else 0
    return [("nights_spread_max", spread("nights_fewest", "nights_most"), "0"),
            ("weekend_spread_max", spread("weekend_fewest", "weekend_most"), "0"),
            ("fairness_cost", ev.people.fairness_cost, "#,##0.00"),
            ("requests_granted", int(a["requests_granted"].sum()), "0"),
            ("requests_refused", int(a["requests_refused"].sum()), "0"),
            ("requests_cost", ev.people.requests_cost, "#,##0.00")]


def made_with() -> dict[str, str]:
    """The versions that made the workbook: the same inputs and seed give the same plan with these (see
    constraints.txt); another OR-Tools or HiGHS searches differently."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name, dist in (("rota", "rota"), ("ortools", "ortools"), ("highs", "highspy")):
        try:
            out[name] = version(dist)
        except PackageNotFoundError:
            out[name] = "not installed"
    out["python"] = platform.python_version()
    return out


def summary_items(ev: Evaluation, info: RunInfo) -> list[tuple[str, object, str | None]]:
    sc, grid = ev.scenario, ev.grid
    items: list[tuple[str, object, str | None]] = [
        ("scenario", sc.name, None), ("week", grid.label, None),
        ("week_start", f"{grid.first_day.isoformat()} 00:00 {grid.timezone}", None),
        ("interval_minutes", grid.interval_minutes, "0"), ("input_fingerprint", sc.fingerprint, None),
        ("week_before", boundary_note(sc, grid), None),
        ("agents_scheduled", int((ev.agents["days"] > 0).sum()), "0"), ("agents_total", len(sc.agents), "0"),
        ("shifts", len(ev.shifts), "0"), ("paid_hours", round(float(ev.agents["paid_hours"].sum()), 2), "0.00"),
        ("cost_total", ev.cost, "#,##0.00"),
    ]
    items += [(f"cost_{site}", v, "#,##0.00") for site, v in ev.cost_by_site().items()]
    items += [("shortfall_hours", round(ev.shortfall_hours, 2), "0.00"),
              ("shortfall_cost", round(ev.shortfall_cost, 2), "#,##0.00"),
              ("total", round(ev.total, 2), "#,##0.00")]
    items += [(f"shortfall_hours_{q}", round(v, 2), "0.00") for q, v in ev.shortfall_by_queue().items()]
    if info.simulated:
        # The promise is what the play gave; the formulas' figures stand beside it.
        items.append(("targets_from", info.simulated_by, None))
        sim = info.simulated
        items += [(f"targets_met_{q}", sim[q]["targets_met"], "0.0%") for q in sim]
        items += [(f"asa_{q}", sim[q]["asa"], "0.0") for q in sim]
        items += [(f"asa_{q}_ci", sim[q]["asa_ci"], "0.0") for q in sim]
        items += [(f"targets_met_{q}_formula", sim[q]["targets_met_formula"], "0.0%") for q in sim]
        items += [(f"asa_{q}_formula", sim[q]["asa_formula"], "0.0") for q in sim]
    else:
        items.append(("targets_from", "formulas (Erlang per interval, with the backlog carried)", None))
        items += [(f"targets_met_{q}", v, "0.0%") for q, v in ev.targets_met_by_queue().items()]
        items += [(f"asa_{q}", v, "0.0") for q, v in ev.asa_by_queue().items()]
    items += [(f"unstaffed_hours_{q}", v, "0.0") for q, v in ev.unstaffed_hours_by_queue().items()]
    items += people_items(ev)
    items += [("rule_breaks", len(ev.breaks), "0")]
    items += [(f"version_{name}", version, None) for name, version in made_with().items()]
    items += info.extra_items
    if info.command in ("plan", "replan"):
        items += [("solver_status", info.status + (" (interrupted)" if info.interrupted else ""), None),
                  ("solver_objective", info.objective, "#,##0.00"), ("lower_bound", info.bound, "#,##0.00"),
                  ("gap", info.gap, "0.00%"), ("bound_from", info.bound_from or None, None),
                  ("lp_bound", info.lp_bound, "#,##0.00"),
                  ("time_limit_seconds", info.time_limit, "0.0")]
        # Not the run's wall time: the same inputs and seed give the same workbook, byte for byte.
        if info.note:
            items.append(("solver_note", info.note, None))
    return items


def write_summary(ws: Worksheet, ev: Evaluation, info: RunInfo) -> None:
    put_cell(ws, 1, 1, f"{ev.scenario.name}: rota {ev.grid.label}").font = Font(bold=True, size=14)
    items = summary_items(ev, info)
    write_table(ws, ["item", "value"], [[k, v] for k, v, _ in items], start_row=3, widths={"item": 30, "value": 36})
    for i, (key, v, fmt) in enumerate(items, start=4):
        if fmt:
            ws.cell(row=i, column=2).number_format = fmt
        ws.cell(row=i, column=2).alignment = Alignment(horizontal="left")
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            put_cell(ws, i, 2, "no staffed interval" if key.startswith("asa_") else "n/a")


def write_changes(ws: Worksheet, changes: list[dict]) -> None:
    """A re-plan's changes to the published week, one row per agent and day (empty when nothing changed)."""
    write_table(ws, CHANGE_COLUMNS, [[c[k] for k in CHANGE_COLUMNS] for c in changes],
                formats={"date": "yyyy-mm-dd"}, widths={"name": 22, "before": 26, "after": 26, "why": 14})


def write_breaks(ws: Worksheet, ev: Evaluation) -> None:
    rows = [[b.rule, b.agent_id, b.roster_row, b.detail] for b in ev.breaks]
    write_table(ws, BREAK_COLUMNS, rows, widths={"detail": 90, "rule": 22})


def build_workbook(ev: Evaluation, info: RunInfo, with_breaks: bool = False) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    records = roster_records(ev)
    write_roster(wb.create_sheet("Roster"), records)
    write_schedule(wb.create_sheet("Schedule"), ev)
    write_coverage(wb.create_sheet("Coverage"), ev)
    write_markets(wb.create_sheet("Markets"), ev)
    write_agents(wb.create_sheet("Agents"), ev)
    write_people(wb.create_sheet("People"), ev)
    write_summary(wb.create_sheet("Summary"), ev, info)
    if info.changes is not None:
        write_changes(wb.create_sheet("Changes"), info.changes)
    if with_breaks:
        write_breaks(wb.create_sheet("Breaks"), ev)
    # Fixed metadata: the same plan gives the same bytes.
    stamp = datetime.combine(ev.grid.first_day, time()) - timedelta(days=7)
    wb.properties.creator = "rota"
    wb.properties.lastModifiedBy = "rota"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.title = f"{ev.scenario.name} {ev.grid.label}"
    return wb


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save so that the same content gives the same bytes.

    openpyxl stamps the save time into docProps/core.xml and the zip entries;
    both are replaced by the workbook's own (fixed) creation stamp.
    """
    import io
    import re
    import zipfile

    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = wb.properties.created or datetime(2000, 1, 1)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + iso.encode() + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
