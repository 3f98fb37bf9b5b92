"""The workbooks beside the plan's: what-if variants, the simulation's sheets, the review of a worked week.
Same look as the plan's workbook (`scheduler.io.workbook`)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference

from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from scheduler.calendar import to_local
from scheduler.io.workbook import (BAD_FILL, HEADER_FILL, HEADER_FONT, frame_rows, put_cell, write_table, queue_charts)

REVIEW_COLUMNS = ["market", "timezone", "weekday", "hour", "questions", "late", "bot_share", "asa_seconds", "asa_target",
                  "service_level", "complex_within", "service_level_target", "abandon_rate", "abandon_target",
                  "escalated", "wrong_language", "resolution_rate", "resolution_target", "worst_miss", "missed"]


def variant_columns(rows: list[dict]) -> list[str]:
    """Variants sheet columns: the spec's fixed ones, then per site, then per queue by measure."""
    keys = [k for r in rows for k in r]
    sites = list(dict.fromkeys(k for k in keys if k.startswith("cost_")))
    queues = list(dict.fromkeys(k[len("shortfall_hours_"):] for k in keys if k.startswith("shortfall_hours_")))
    return (["variant", "changes", "agents", "cost", "shortfall_hours", "total", "required_hours"] + sites
            + [f"shortfall_hours_{q}" for q in queues] + [f"targets_met_{q}" for q in queues]
            + [f"asa_{q}" for q in queues] + ["targets_from", "status", "gap"])


def build_whatif_workbook(rows: list[dict], title: str, stamp: datetime) -> Workbook:
    from openpyxl.chart import ScatterChart, Series

    wb = Workbook()
    ws = wb.active
    ws.title = "Variants"
    columns = variant_columns(rows)
    formats = {c: "#,##0.00" for c in columns if c == "cost" or c == "total" or c.startswith("cost_")}
    formats.update({c: "0.0%" for c in columns if c.startswith("targets_met_") or c == "gap"})
    formats.update({c: "0.00" for c in columns if c.startswith("shortfall_hours")})
    formats.update({c: "0.0" for c in columns if c.startswith("asa_")})
    write_table(ws, columns, [[r.get(c) for c in columns] for r in rows], formats=formats,
           widths={"changes": 40, "variant": 12, "status": 16})
    swept = [k for k, r in enumerate(rows, start=2) if str(r.get("variant", "")).startswith("hire ") and "cost" in r]
    if len(swept) >= 2:
        chart = ScatterChart()
        chart.title = "Cost against shortfall across the sweep"
        chart.style = 13
        chart.x_axis.title = "shortfall (agent-hours)"
        chart.y_axis.title = "wage cost"
        x = Reference(ws, min_col=columns.index("shortfall_hours") + 1, min_row=swept[0], max_row=swept[-1])
        y = Reference(ws, min_col=columns.index("cost") + 1, min_row=swept[0], max_row=swept[-1])
        series = Series(y, x, title="hires")
        series.marker.symbol = "circle"
        chart.series.append(series)
        chart.height, chart.width = 9, 16
        ws.add_chart(chart, f"B{len(rows) + 4}")
    wb.properties.creator = wb.properties.lastModifiedBy = "rota"
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.title = title
    return wb


SIM_KPIS = ["asa_seconds", "service_level", "complex_service_level", "abandon_rate"]


def write_simulation(wb: Workbook, rep, timezone: str) -> None:
    """Simulation (queue x interval), SimulationMarkets (market x local hour), SimulationWeek (per queue)."""
    fmt = {"asa_seconds": "0.0", "service_level": "0.0%", "complex_service_level": "0.0%", "abandon_rate": "0.0%"}
    columns = ["queue", "interval_start", "arrivals", "required", "scheduled"]
    for k in SIM_KPIS:
        columns += [k, f"sim_{k}", f"sim_{k}_ci"]
    columns += ["disagrees"]
    df = rep.cells.copy()
    df["interval_start"] = [to_local(t, timezone).replace(tzinfo=None) for t in df["interval_start"]]
    formats = {"interval_start": "ddd yyyy-mm-dd hh:mm", "arrivals": "0.0", "required": "0.00", "scheduled": "0.00"}
    for k in SIM_KPIS:
        formats[k] = formats[f"sim_{k}"] = formats[f"sim_{k}_ci"] = fmt[k]
    ws = wb.create_sheet("Simulation")
    write_table(ws, columns, frame_rows(df, columns), formats=formats, widths={"interval_start": 21, "disagrees": 30})
    n = len(df)
    if n:
        col = get_column_letter(columns.index("disagrees") + 1)
        ws.conditional_formatting.add(f"{col}2:{col}{n + 1}", CellIsRule(operator="notEqual", formula=['""'], fill=BAD_FILL))
    queue_charts(ws, df, columns, [("asa_seconds", "predicted"), ("sim_asa_seconds", "simulated")],
                 "{queue}: predicted against simulated ASA", "seconds")
    mcols = ["market", "local_start", "timezone", "queue", "arrivals"]
    for k in SIM_KPIS:
        mcols += [k, f"sim_{k}", f"sim_{k}_ci"]
    mformats = {**formats, "local_start": "ddd yyyy-mm-dd hh:mm"}
    write_table(wb.create_sheet("SimulationMarkets"), mcols, frame_rows(rep.markets, mcols), formats=mformats,
           widths={"local_start": 21, "timezone": 20})
    week = ["predicted_asa", "simulated_asa", "asa_ci", "predicted_sl", "simulated_sl", "sl_ci", "predicted_csl",
            "simulated_csl", "csl_ci", "predicted_abandon", "simulated_abandon", "abandon_ci", "predicted_targets_met",
            "simulated_targets_met"]
    wformats = {c: "0.0" if "asa" in c else "0.0%" for c in week}
    write_table(wb.create_sheet("SimulationWeek"), ["queue"] + week + ["within_10pct", "why"],
                frame_rows(rep.weekly, ["queue"] + week + ["within_10pct", "why"]), formats=wformats,
                widths={"why": 100})
    if rep.market_weekly is not None:
        write_table(wb.create_sheet("SimulationWeekMarkets"), ["market"] + week,
                    frame_rows(rep.market_weekly, ["market"] + week), formats=wformats)


def write_rounds(wb: Workbook, rounds: pd.DataFrame) -> None:
    """The correction rounds: each rota's cost, its misses in play and targets met, the kept one marked."""
    formats = {"wages": "#,##0.00", "shortfall_hours": "0.00", "total": "#,##0.00", "missed_hours": "0.00",
               "score": "#,##0.00", "targets_met": "0.0%", "worst_met": "0.0%", "solve_seconds": "0.0",
               "simulate_seconds": "0.0"}
    ws = wb.create_sheet("Rounds")
    columns = list(rounds.columns)
    write_table(ws, columns, frame_rows(rounds.assign(kept=rounds["kept"].map({True: "yes", False: ""})), columns),
                formats=formats, widths={"worst_queue": 12})


def build_review_workbook(cells: pd.DataFrame, gaps: pd.DataFrame | None, title: str, stamp: datetime,
                          streams: pd.DataFrame | None = None) -> Workbook:
    """Review (every cell against its targets, worst first), ByHour (heat map of ASA, market by local hour), Gaps."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Review"
    pct = "0.0%"
    write_table(ws, REVIEW_COLUMNS, frame_rows(cells, REVIEW_COLUMNS), formats={
        "bot_share": pct, "asa_seconds": "0.0", "service_level": pct, "complex_within": pct,
        "service_level_target": pct, "abandon_rate": pct, "abandon_target": pct, "resolution_rate": pct,
        "resolution_target": pct, "worst_miss": "0%"}, widths={"timezone": 20, "missed": 40})
    if len(cells):
        col = get_column_letter(REVIEW_COLUMNS.index("worst_miss") + 1)
        ws.conditional_formatting.add(f"{col}2:{col}{len(cells) + 1}", CellIsRule(operator="greaterThan", formula=["0"], fill=BAD_FILL))
    # ByHour: market rows, local-hour columns, ASA averaged over weekdays weighted by answered questions.
    heat = wb.create_sheet("ByHour")
    put_cell(heat, 1, 1, "ASA (s) by market and local hour, all weekdays; colour from the target (white) to 3x it (red)")
    heat.cell(row=1, column=1).font = Font(bold=True)
    markets = list(dict.fromkeys(cells.sort_values("market")["market"]))
    header = ["market", "timezone"] + [f"{h:02d}:00" for h in range(24)]
    for j, name in enumerate(header, start=1):
        c = put_cell(heat, 2, j, name)
        c.fill, c.font = HEADER_FILL, HEADER_FONT
    for i, m in enumerate(markets, start=3):
        g = cells[cells["market"] == m]
        put_cell(heat, i, 1, m)
        put_cell(heat, i, 2, g["timezone"].iloc[0])
        for h in range(24):
            part = g[(g["hour"] == h) & g["asa_seconds"].notna()]
            if len(part):
                w = part["questions"] * (1 - part["bot_share"])
                value = float((part["asa_seconds"] * w).sum() / w.sum()) if w.sum() else float(part["asa_seconds"].mean())
                put_cell(heat, i, 3 + h, round(value, 1), "0")
    if markets:
        target = float(cells["asa_target"].min())
        heat.conditional_formatting.add(f"C3:Z{len(markets) + 2}", ColorScaleRule(
            start_type="num", start_value=target, start_color="FFFFFF", end_type="num", end_value=3 * target,
            end_color="F8696B"))
    heat.freeze_panes = "C3"
    heat.page_setup.orientation = "landscape"
    heat.page_setup.fitToWidth, heat.page_setup.fitToHeight = 1, 0
    heat.sheet_properties.pageSetUpPr.fitToPage = True
    heat.column_dimensions["B"].width = 20
    for h in range(24):
        heat.column_dimensions[get_column_letter(3 + h)].width = 6.5
    gws = wb.create_sheet("Gaps")
    if gaps is None:
        put_cell(gws, 1, 1, "Give the roster that was worked (--roster) to set scheduled agents against the agents needed.")
    else:
        gcols = ["queue", "timezone", "weekday", "hour", "arrivals", "on_shift", "needed", "gap"]
        write_table(gws, gcols, frame_rows(gaps, gcols), formats={"arrivals": "0.0", "on_shift": "0.00", "needed": "0.00",
                                                              "gap": "0.00"}, widths={"timezone": 20})
        if len(gaps):
            gcol = get_column_letter(gcols.index("gap") + 1)
            gws.conditional_formatting.add(f"{gcol}2:{gcol}{len(gaps) + 1}",
                                           CellIsRule(operator="lessThan", formula=["-0.5"], fill=BAD_FILL))
    if streams is not None and len(streams):
        scols = ["market", "when", "start", "end", "planned_factor", "questions", "expected", "realised_uplift"]
        write_table(wb.create_sheet("Streams"), scols, frame_rows(streams, scols),
                    formats={"start": "ddd yyyy-mm-dd hh:mm", "end": "ddd yyyy-mm-dd hh:mm", "expected": "0.0",
                             "realised_uplift": "0.00"})
    wb.properties.creator = wb.properties.lastModifiedBy = "rota"
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.title = title
    return wb
