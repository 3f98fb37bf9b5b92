"""The commands around the week: what-if, simulate, forecast and review."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from scheduler.cli.common import (_echo_warnings, _log, cli, csv_encoding_option, events_option, force_option,
                                  out_option, quiet_option, scheduler_option, simulate_runs_option, streams_option,
                                  week_option)

@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@week_option
@click.option("--hire", "hires", multiple=True, metavar="SITE:LANGS:N[:COST[:MAX_HOURS]]",
              help="Add N agents of a site speaking LANGS (e.g. paris:fr,en:2); N may be a range 0..6 to sweep.")
@click.option("--remove", "removes", multiple=True, metavar="AGENT_ID|site:SITE", help="Remove an agent or a whole site.")
@click.option("--demand", "demands", multiple=True, metavar="MARKET=FACTOR", help="Scale a market's forecast.")
@click.option("--bot", "bots", multiple=True, metavar="MARKET=SHARE",
              help="The FAQ bot's share of a market's questions (* for all); a range A..B/STEP sweeps it.")
@click.option("--stream", "streams", multiple=True, metavar='"MARKET START END FACTOR"',
              help='A live stream, e.g. "FR Fri 20:00 Fri 22:00 2" (market-local times).')
@out_option
@click.option("--time-limit", type=click.FloatRange(min=0.1), metavar="S", help="Solver time limit per variant (default: policy.toml).")
@click.option("--workers", type=click.IntRange(min=1), help="Solver threads per variant (default: policy.toml).")
@click.option("--seed", type=click.IntRange(min=0), help="Solver random seed (default: policy.toml).")
@click.option("--processes", type=click.IntRange(min=1), help="Variants planned at once on the local cluster (default: cores / solver threads).")
@scheduler_option
@simulate_runs_option
@force_option
@quiet_option
def whatif(scenario, week, hires, removes, demands, bots, streams, out_dir, time_limit, workers, seed, processes,
           scheduler, simulate_runs, force, quiet) -> None:
    """Compare the baseline with changed headcount, demand, bot share or live streams.

    \b
    Example:
      rota whatif inputs/sample --hire shenzhen:pt,en:0..4 --time-limit 20
      rota whatif inputs/sample --hire paris:fr,en:2 --remove site:manila --demand FR=1.2
      rota whatif inputs/sample --bot '*=0.30..0.50/0.05' --time-limit 10
    """
    from datetime import datetime, time, timedelta

    from scheduler.calendar import planning_grid
    from scheduler.io.files import atomic_outputs, refuse_existing, safe_name
    from scheduler.io.scenario import load_scenario
    from scheduler.io.reports import build_whatif_workbook
    from scheduler.io.workbook import save_workbook
    from scheduler import whatif as W
    from scheduler.summary import whatif_report

    changes = ([W.parse_hire(h) for h in hires] + [W.parse_remove(r) for r in removes]
               + [W.parse_demand(d) for d in demands] + [W.parse_bot(b) for b in bots]
               + [W.parse_stream(x) for x in streams])
    sc = load_scenario(scenario)
    _echo_warnings(sc)
    vs = W.variants(changes)
    for v in vs:
        W.apply(sc, list(v.changes))  # an impossible change fails now, not in a worker
    grid = planning_grid(sc, week)
    W.check_streams_in_week(sc, changes, grid)
    y, w = grid.iso_week
    path = out_dir / f"{safe_name(sc.name)}-{y}-W{w:02d}-whatif.xlsx"
    refuse_existing(path, force=force)
    limit = time_limit if time_limit is not None else sc.policy.solver.time_limit_seconds
    at_once = min(W.local_processes(sc, workers, processes), len(vs))
    threads = workers or sc.policy.solver.workers
    where = scheduler or f"{at_once} at a time on this machine ({threads} solver threads each)"
    click.echo(f"what-if {sc.name} {grid.label}: {len(vs)} variants, {limit:g} s each, {where}", err=True)
    best: list[dict] = []

    def done(row, k, n):
        tail = f"total {row['total']:,.2f}" if "total" in row else row.get("status", "")
        if "total" in row and (not best or row["total"] < best[0]["total"]):
            best[:] = [row]
        lead = f"; best so far {best[0]['variant']} {best[0]['total']:,.2f}" if best else ""
        if not quiet:
            click.echo(f"  {k}/{n} done: {row['variant']} ({row['changes']}): {tail}{lead}", err=True)

    rows, complete = W.run_variants(sc, vs, grid.first_day, time_limit, workers, seed, processes, done,
                                    scheduler=scheduler, echo=lambda line: click.echo(line, err=True),
                                    runs=simulate_runs)
    if rows:
        stamp = datetime.combine(grid.first_day, time()) - timedelta(days=7)
        wb = build_whatif_workbook(rows, f"{sc.name} {grid.label} what-if", stamp)
        with atomic_outputs(path, force=force) as (tmp,):
            save_workbook(wb, tmp)
    click.echo(whatif_report(rows, grid.label))
    if rows:
        click.echo(f"\nwrote {path}")
    statuses = ", ".join(f"{n} {k}" for k, n in sorted(Counter(str(r.get("status")) for r in rows).items()))
    _log(sc, f"{len(rows)} of {len(vs)} variants ({statuses})" + ("" if complete else " (interrupted)"),
         *([path] if rows else []))
    if not complete:
        click.echo(f"interrupted: {len(rows)} of {len(vs)} variants finished and were kept", err=True)
        sys.exit(130)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("roster", type=click.Path(path_type=Path))
@week_option
@click.option("--runs", type=click.IntRange(min=1), default=20, show_default=True, help="Independent runs of the week.")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the first run (default: policy.toml).")
@click.option("--lognormal", is_flag=True, help="Lognormal handle times (CV 1) instead of exponential.")
@click.option("--history-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the first run's chats as a history.csv.")
@click.option("--processes", type=click.IntRange(min=1), help="Runs at once on the local cluster (default: the machine's cores).")
@scheduler_option
@out_option
@force_option
@quiet_option
@csv_encoding_option
def simulate(scenario, roster, week, runs, seed, lognormal, history_out, processes, scheduler, out_dir, force, quiet,
             csv_encoding) -> None:
    """Play a rostered week chat by chat and set simulated response times beside the plan's prediction.

    \b
    Example:
      rota simulate inputs/sample outputs/sample-2026-W49.xlsx --runs 20
    """
    from scheduler import simulate as S
    from scheduler.io.files import atomic_outputs, refuse_existing, safe_name, write_csv
    from scheduler.io.reports import write_simulation
    from scheduler.io.roster import read_roster, roster_week
    from scheduler.io.scenario import load_scenario
    from scheduler.io.workbook import RunInfo, build_workbook, save_workbook

    sc = load_scenario(scenario)
    _echo_warnings(sc)
    rows = read_roster(roster, sc)
    grid = roster_week(sc, rows, week)
    path = out_dir / f"{safe_name(roster.stem)}-simulated.xlsx"
    refuse_existing(path, *([history_out] if history_out else []), force=force)
    click.echo(f"simulating {sc.name} {grid.label}: {runs} runs of {len(rows)} shifts", err=True)
    sim = S.simulate_roster(sc, grid, rows, runs, seed, lognormal, processes,
                            done=lambda k, n: click.echo(f"  run {k}/{n} done", err=True)
                            if not quiet and (k == n or k % 5 == 0) else None,
                            scheduler=scheduler, echo=lambda line: click.echo(line, err=True))
    if sim is None:
        click.echo("interrupted: no simulation written (a partial set of runs would bias the comparison)", err=True)
        sys.exit(130)
    ev, rep = sim.evaluation, sim.report
    from scheduler.summary import simulation_report
    first = seed if seed is not None else sc.policy.solver.seed
    wb = build_workbook(ev, RunInfo(command="simulate"))
    write_simulation(wb, rep, grid.timezone)
    outputs = [path] + ([history_out] if history_out else [])
    with atomic_outputs(*outputs, force=force) as temps:
        save_workbook(wb, temps[0])
        if history_out:
            write_csv(S.history_frame(S.simulate(sc, grid, ev.staffing, sim.shifts, first, lognormal), sc, grid,
                                      ev.staffing, first), temps[1], csv_encoding,
                      gzip=history_out.suffix == ".gz")
    click.echo(simulation_report(sim, grid.label))
    click.echo(f"\nwrote {path}" + (f"\nwrote {history_out}" if history_out else ""))
    _log(sc, f"{runs} runs simulated", path, *([history_out] if history_out else []))


@cli.command()
@click.argument("history", type=click.Path(path_type=Path))
@click.option("--scenario", "scenario", type=click.Path(path_type=Path), required=True,
              help="The scenario whose markets (and planning interval) the history belongs to.")
@click.option("--weeks", type=click.IntRange(min=1), default=6, show_default=True, help="Weeks of history to use.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=Path("outputs/forecast.csv"),
              show_default=True, help="Where to write the forecast.")
@streams_option
@events_option
@force_option
@csv_encoding_option
def forecast(history, scenario, weeks, out_file, streams_file, events_file, force, csv_encoding) -> None:
    """Turn the chat history into next week's typical-week forecast.csv, the history weeks' streams and
    events divided out.

    \b
    Example:
      rota forecast inputs/sample/history.csv.gz --scenario inputs/sample --out outputs/forecast.csv
    """
    from scheduler import forecasting as F
    from scheduler.io.files import atomic_outputs, write_csv
    from scheduler.io.history import load_history
    from scheduler.io.scenario import load_scenario

    sc = load_scenario(scenario)
    streams, events = _drivers(sc, streams_file, events_file)
    fc = F.forecast(load_history(history, sc), sc, weeks, streams, events)
    for market in fc.missing:
        click.echo(f"warning: no complete week of history for market {market}; it gets no forecast rows", err=True)
    with atomic_outputs(out_file, force=force) as (tmp,):
        write_csv(fc.rows, tmp, csv_encoding)
    from scheduler.summary import forecast_report
    click.echo(forecast_report(fc, sc))
    click.echo(f"\nwrote {out_file}")
    _log(sc, f"forecast of {len(fc.accuracy)} markets", out_file)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("history", type=click.Path(path_type=Path))
@click.option("--roster", type=click.Path(path_type=Path), help="The roster that was worked (workbook or roster CSV).")
@streams_option
@week_option
@out_option
@force_option
def review(scenario, history, roster, streams_file, week, out_dir, force) -> None:
    """Measure what viewers got against the targets, by market and local hour.

    \b
    Example:
      rota review inputs/sample inputs/sample/history.csv.gz --roster outputs/sample-2026-W49.xlsx
    """
    from datetime import datetime, time, timedelta

    from scheduler import reviewing as R
    from scheduler.io.files import atomic_outputs, safe_name
    from scheduler.io.history import load_history
    from scheduler.io.scenario import load_scenario
    from scheduler.io.reports import build_review_workbook
    from scheduler.io.workbook import save_workbook
    from scheduler.io.roster import read_roster

    sc = load_scenario(scenario)
    hist = load_history(history, sc)
    rv = R.review(sc, hist, read_roster(roster, sc) if roster else None, week, _drivers(sc, streams_file, None)[0])
    cells, gaps = rv.cells, rv.gaps
    last = hist["arrived"].max()
    stem = safe_name(Path(history).name.split(".")[0])
    path = out_dir / f"{safe_name(sc.name)}-{stem}-review.xlsx"
    stamp = datetime.combine(last.date(), time())
    wb = build_review_workbook(cells, gaps, f"{sc.name} review", stamp - timedelta(days=0), rv.streams)
    with atomic_outputs(path, force=force) as (tmp,):
        save_workbook(wb, tmp)
    missed = cells[cells["worst_miss"] > 0]
    click.echo(f"{len(hist):,} questions from {hist['arrived'].min():%Y-%m-%d} to {last:%Y-%m-%d}; "
               f"{len(missed)} of {len(cells)} market-hours miss a target")
    click.echo("worst gaps:" if gaps is not None else "worst hours:")
    for line in rv.lines:
        click.echo(f"  {line}")
    if rv.stream_lines:
        click.echo("streams, questions during each against the typical week's:")
        for line in rv.stream_lines:
            click.echo(f"  {line}")
    click.echo(f"\nwrote {path}")
    _log(sc, f"reviewed, {len(missed)} of {len(cells)} market-hours miss a target", path)


def _drivers(sc, streams_file, events_file) -> tuple[list, list]:
    """The streams and events of a history's weeks, as given in files. Not the scenario's own by default:
    those are the planned week's, and a history that had none would be divided by them."""
    from scheduler.io.drivers import load_drivers_file

    markets = set(sc.markets)
    return (load_drivers_file(streams_file, markets, "streams") if streams_file else [],
            load_drivers_file(events_file, markets, "events") if events_file else [])


