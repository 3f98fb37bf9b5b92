"""The weekly commands: check, sample, staffing, plan, evaluate and replan."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import click

from scheduler.cli.common import (_boundary, _echo_warnings, _load, _log, _play, _play_settings, cli,
                                  csv_encoding_option, force_option, out_option, previous_option, quiet_option,
                                  simulate_runs_option, simulation_rounds_option, week_option)

calendars_option = click.option(
    "--calendars", is_flag=True,
    help="Also update each agent's calendar, <out>/calendars/<agent_id>.ics: this week's events replace the "
         "week's, a moved shift keeps its UID and raises its SEQUENCE.")


def _with_play(info, played):
    """The run's facts, with the play's: Summary's targets met and ASA from it, its own items."""
    if played is not None:
        info.simulated, info.simulated_by = played.simulated(), played.label
        info.extra_items = info.extra_items + played.summary_items()
    return info


def _calendars(ev, out_dir: Path, asked: bool) -> None:
    if asked:
        from scheduler.io.calendars import write_calendars
        folder, written = write_calendars(ev, out_dir)
        click.echo(f"updated {written} agents' calendars in {folder}")
from scheduler.io.files import copy_sample

@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@week_option
def check(scenario: Path, week: date | None) -> None:
    """Validate a scenario and summarise it.

    \b
    Example:
      rota check inputs/sample
    """
    from scheduler.summary import check_report
    from scheduler.io.scenario import load_scenario

    sc = load_scenario(scenario)
    _echo_warnings(sc)
    click.echo(check_report(sc, week))


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@force_option
def sample(folder: Path, force: bool) -> None:
    """Copy the bundled sample scenario into FOLDER, as a starting point for your own.

    \b
    Example:
      rota sample my-scenario && rota check my-scenario
    """
    names = copy_sample(folder, force)
    click.echo(f"copied the sample scenario ({', '.join(names)}) to {folder}\n"
               f"next: edit its CSV files, then `rota check {folder}` and `rota plan {folder}`")


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@week_option
@out_option
@force_option
@csv_encoding_option
def staffing(scenario: Path, week: date | None, out_dir: Path, force: bool, csv_encoding: str) -> None:
    """Compute agents required per queue and interval; write <scenario>-<year>-W<week>-staffing.csv.

    \b
    Example:
      rota staffing inputs/sample --week 2026-11-30 --out outputs/
    """
    from scheduler.calendar import planning_grid
    from scheduler.io.files import atomic_outputs, write_csv
    from scheduler.io.scenario import load_scenario
    from scheduler.plan import output_stem
    from scheduler.staffing import compute_staffing, staffing_table
    from scheduler.summary import staffing_report

    sc = load_scenario(scenario)
    _echo_warnings(sc)
    grid = planning_grid(sc, week)
    st = compute_staffing(sc, grid)
    path = out_dir / f"{output_stem(sc, grid)}-staffing.csv"
    with atomic_outputs(path, force=force) as (tmp,):
        write_csv(staffing_table(st), tmp, csv_encoding)
    click.echo(staffing_report(sc, st))
    click.echo(f"\nwrote {path}")
    _log(sc, "staffing computed", path)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path), required=False)
@week_option
@out_option
@click.option("--time-limit", type=click.FloatRange(min=0.1), metavar="S", help="Solver time limit in seconds (default: policy.toml).")
@click.option("--workers", type=click.IntRange(min=1), help="Solver threads (default: policy.toml).")
@click.option("--seed", type=click.IntRange(min=0), help="Solver random seed (default: policy.toml).")
@force_option
@click.option("--strict", is_flag=True, help="Exit 1 when the plan falls short of the targets.")
@previous_option
@calendars_option
@click.option("--compare-unfair", is_flag=True,
              help="Also plan the week with fairness off and soft requests ignored (the same limit), and report "
                   "what they cost in wages.")
@simulate_runs_option
@simulation_rounds_option
@quiet_option
@csv_encoding_option
def plan(scenario: Path | None, week, out_dir, time_limit, workers, seed, force, strict, previous, calendars,
         compare_unfair, simulate_runs, simulation_rounds, quiet, csv_encoding) -> None:
    """Plan the week: staffing, the least-cost rota, and the workbook.

    With no SCENARIO it plans the bundled sample for the coming week.

    \b
    Example:
      rota plan inputs/sample --week 2026-11-30 --time-limit 30
      rota plan inputs/sample --week 2026-12-07 --previous outputs/sample-2026-W49.xlsx
    """
    from scheduler.calendar import planning_grid
    from scheduler.io.files import refuse_existing
    from scheduler.plan import make_plan, output_paths, write_outputs
    from scheduler.promise import describe, first_limit
    from scheduler.summary import plan_report, progress_printer

    sc = _load(scenario, previous)
    grid = planning_grid(sc, week)
    _boundary(sc, grid)
    workbook, roster_csv = output_paths(sc, grid, out_dir)
    refuse_existing(workbook, roster_csv, force=force)  # fail before a long solve, not after
    limit = time_limit if time_limit is not None else sc.policy.solver.time_limit_seconds
    runs, rounds = _play_settings(sc, simulate_runs, simulation_rounds)
    first = first_limit(limit, rounds)
    click.echo(f"planning {sc.name} {grid.label} ({len(sc.agents)} agents, {len(sc.queues)} queues, "
               f"{grid.size} intervals of {grid.interval_minutes} min); time limit {limit:g} s"
               + (f" ({first:g} s, then the rest for up to {rounds} correction round{'s' if rounds > 1 else ''})"
                  if rounds else ""),
               err=True)
    progress = None if quiet else progress_printer(lambda line: click.echo(line, err=True))
    started = time.perf_counter()
    p = make_plan(sc, week, time_limit=first, workers=workers, seed=seed, progress=progress)
    wall = time.perf_counter() - started
    played = _play(p, runs, rounds, limit - wall, wall - p.result.seconds, seed, week, workers, quiet) \
        if not p.result.interrupted else None
    if played is not None:
        p = played.plan
    info = _with_play(p.info, played)
    info.time_limit = limit
    if compare_unfair:
        from scheduler.plan import unfair_items, without_people_terms
        click.echo(f"planning {sc.name} {grid.label} again without fairness and soft requests, to compare", err=True)
        unfair = make_plan(without_people_terms(sc), week, time_limit=time_limit, workers=workers, seed=seed)
        info.extra_items = unfair_items(p, unfair)
    write_outputs(p.evaluation, info, workbook, roster_csv, force=force, csv_encoding=csv_encoding,
                  more_sheets=played.sheets if played else None)
    click.echo(plan_report(p.evaluation, info))
    if played is not None:
        click.echo("\n" + describe(played))
    click.echo(f"\nwrote {workbook}\nwrote {roster_csv}")
    _calendars(p.evaluation, out_dir, calendars)
    _log(sc, info.status + (" (interrupted)" if info.interrupted else ""), workbook, roster_csv)
    if info.note:
        click.echo(f"note: {info.note}", err=True)
    if info.interrupted:
        click.echo("interrupted: the best plan found so far was written, marked as interrupted in Summary", err=True)
        sys.exit(130)
    if strict and (p.evaluation.shortfall_hours > 0 or p.evaluation.breaks):
        sys.exit(1)


@cli.command(name="evaluate")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("roster", type=click.Path(path_type=Path))
@week_option
@out_option
@force_option
@click.option("--strict", is_flag=True, help="Exit 1 when any rule is broken or targets are missed.")
@previous_option
def evaluate_cmd(scenario: Path, roster: Path, week, out_dir, force, strict, previous) -> None:
    """Score an existing (possibly hand-edited) roster: rule breaks, coverage, targets, cost.

    \b
    Example:
      rota evaluate inputs/sample outputs/sample-2026-W49.xlsx
      rota evaluate inputs/sample outputs/sample-2026-W50.xlsx --previous outputs/sample-2026-W49.xlsx
    """
    from scheduler.io.files import safe_name
    from scheduler.plan import write_outputs
    from scheduler.io.workbook import RunInfo
    from scheduler.io.roster import read_roster, roster_week
    from scheduler.staffing import compute_staffing
    from scheduler.summary import evaluate_report
    from scheduler.validate import evaluate

    sc = _load(scenario, previous)
    rows = read_roster(roster, sc)
    grid = roster_week(sc, rows, week)
    _boundary(sc, grid)
    ev = evaluate(sc, grid, compute_staffing(sc, grid), rows)
    path = out_dir / f"{safe_name(roster.stem)}-evaluated.xlsx"
    write_outputs(ev, RunInfo(command="evaluate"), path, None, force=force, with_breaks=True)
    click.echo(evaluate_report(ev))
    click.echo(f"\nwrote {path}")
    _log(sc, f"evaluated, {len(ev.breaks)} rule breaks", path)
    if strict and (ev.breaks or ev.shortfall_hours > 0):
        sys.exit(1)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("published", type=click.Path(path_type=Path))
@click.option("--from", "since", metavar="WHEN",
              help="Re-plan shifts from this local time of the planning zone on (YYYY-MM-DD HH:MM, or a weekday "
                   "of the week such as 'Wed 00:00'); earlier ones stay as published. Default: now.")
@out_option
@click.option("--time-limit", type=click.FloatRange(min=0.1), metavar="S", help="Solver time limit in seconds (default: policy.toml).")
@click.option("--workers", type=click.IntRange(min=1), help="Solver threads (default: policy.toml).")
@click.option("--seed", type=click.IntRange(min=0), help="Solver random seed (default: policy.toml).")
@previous_option
@calendars_option
@simulate_runs_option
@simulation_rounds_option
@force_option
@quiet_option
@csv_encoding_option
def replan(scenario, published, since, out_dir, time_limit, workers, seed, previous, calendars, simulate_runs,
           simulation_rounds, force, quiet, csv_encoding) -> None:
    """Re-plan the rest of a published week against today's inputs (new leave, a changed forecast, agents
    added): shifts before --from stay exactly as published; each later change costs change_cost.

    \b
    Example:
      rota replan inputs/sample outputs/sample-2026-W50.xlsx --from "2026-12-09 00:00"
    """
    from scheduler import replanning as R
    from scheduler.io.files import refuse_existing
    from scheduler.io.roster import read_roster, roster_week
    from scheduler.plan import output_paths, write_outputs
    from scheduler.promise import describe, first_limit
    from scheduler.summary import progress_printer, replan_report

    sc = _load(scenario, previous)
    grid = roster_week(sc, read_roster(published, sc))
    _boundary(sc, grid)
    start = R.parse_from(since, grid)
    workbook, roster_csv = output_paths(sc, grid, out_dir, suffix=R.output_suffix(start, grid))
    refuse_existing(workbook, roster_csv, force=force)  # fail before a long solve, not after
    click.echo(f"re-planning {sc.name} {grid.label} from {R.local_text(start, grid)} ({published})", err=True)
    limit = time_limit if time_limit is not None else sc.policy.solver.time_limit_seconds
    runs, rounds = _play_settings(sc, simulate_runs, simulation_rounds)
    first = first_limit(limit, rounds)
    progress = None if quiet else progress_printer(lambda line: click.echo(line, err=True))
    started = time.perf_counter()
    r = R.replan(sc, published, start, time_limit=first, workers=workers, seed=seed, progress=progress)
    wall = time.perf_counter() - started
    played = _play(r.plan, runs, rounds, limit - wall, wall - r.plan.result.seconds, seed, r.plan.grid.first_day,
                   workers, quiet) if not r.plan.result.interrupted else None
    if played is not None and played.plan is not r.plan:
        r = R.with_plan(r, played.plan)
    info = _with_play(r.plan.info, played)
    info.time_limit = limit
    info.command, info.changes, info.extra_items = "replan", r.changes, R.summary_items(r) + info.extra_items
    write_outputs(r.plan.evaluation, info, workbook, roster_csv, force=force, csv_encoding=csv_encoding,
                  with_breaks=bool(r.plan.evaluation.breaks), more_sheets=played.sheets if played else None)
    click.echo(replan_report(r, info))
    if played is not None:
        click.echo("\n" + describe(played))
    click.echo(f"\nwrote {workbook}\nwrote {roster_csv}")
    _calendars(r.plan.evaluation, out_dir, calendars)
    _log(sc, f"{info.status}, {len(r.changes)} changes", workbook, roster_csv)
    if info.note:
        click.echo(f"note: {info.note}", err=True)
    if info.interrupted:
        click.echo("interrupted: the best re-plan found so far was written, marked as interrupted in Summary", err=True)
        sys.exit(130)


