"""The `rota` group, the options its commands share, and the entry point with its exit statuses."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from scheduler.errors import RotaError
from scheduler.io.files import bundled_sample

def _week(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected a date YYYY-MM-DD (any day of the week to plan)") from None
    if not 1970 <= day.year <= 2200:
        raise click.BadParameter(f"{value!r}: expected a date between 1970 and 2200")
    return day


week_option = click.option("--week", callback=_week, metavar="DATE",
                           help="Any day of the week to plan (YYYY-MM-DD); default: the coming week.")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs"),
                          show_default=True, help="Folder for the outputs.")
force_option = click.option("--force", is_flag=True, help="Replace existing output files.")
csv_encoding_option = click.option(
    "--csv-encoding", type=click.Choice(["utf-8-sig", "utf-8"]), default="utf-8-sig", show_default=True,
    help="CSV outputs: UTF-8 with a byte-order mark, which Excel needs to read accents; utf-8 for none.")
quiet_option = click.option("--quiet", is_flag=True, help="No progress lines.")
streams_option = click.option("--streams", "streams_file", type=click.Path(dir_okay=False, path_type=Path),
                              help="The streams of the history's weeks (a streams.csv; default: none).")
events_option = click.option("--events", "events_file", type=click.Path(dir_okay=False, path_type=Path),
                             help="The event days of the history's weeks (an events.csv; default: none).")
previous_option = click.option(
    "--previous", type=click.Path(dir_okay=False, path_type=Path), metavar="ROSTER",
    help="Last week's roster (our workbook or roster CSV, or what was worked): rest and days in a row then "
         "hold across the week's start, and its shifts that run into the week cover it.")
simulate_runs_option = click.option(
    "--simulate-runs", type=click.IntRange(min=0, max=1000), metavar="N",
    help="Play the planned rota N times chat by chat (seeded); Summary's targets met and ASA then come from "
         "the play. 0: skip it (default: policy.toml [simulation] runs, 10).")
simulation_rounds_option = click.option(
    "--simulation-rounds", type=click.IntRange(min=0, max=10), metavar="N",
    help="Up to N rounds that raise the requirement where the play misses a target the plan counted met, and "
         "plan again from the current rota; the best rota by total plus misses is kept (default: policy.toml "
         "[simulation] rounds, 0). The rounds share the time limit with the first solve.")
scheduler_option = click.option("--scheduler", metavar="tcp://HOST:8786", envvar="ROTA_SCHEDULER",
                                help="Run on this Dask cluster (default: $ROTA_SCHEDULER, else a local cluster).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rota")
def cli() -> None:
    """Least-cost multilingual support rotas from a question forecast.

    \b
    Example:
      rota check inputs/sample
      rota plan inputs/sample --week 2026-11-30
    """


def _log(scenario, status: str, *outputs) -> None:
    """The run's last line: enough to trace an output back to the inputs it came from."""
    click.echo(f"log: inputs {scenario.fingerprint}, status {status}, output {', '.join(str(o) for o in outputs) or '-'}",
               err=True)


def _echo_warnings(scenario) -> None:
    for w in scenario.warnings:
        click.echo(f"warning: {w}", err=True)


def _load(scenario: Path | None, previous: Path | None):
    """The scenario, with last week's roster carried in when given."""
    from scheduler.io.roster import read_previous
    from scheduler.io.scenario import load_scenario

    sc = load_scenario(scenario or bundled_sample())
    _echo_warnings(sc)
    if previous is not None:
        sc.continuity.previous, sc.continuity.previous_file = read_previous(previous, sc)
    return sc


def _boundary(sc, grid) -> None:
    """Said once per run where nothing checks the week's start."""
    from scheduler.continuity import boundary_note, check_previous

    check_previous(sc, grid)
    if sc.continuity.previous is None:
        click.echo(f"note: {boundary_note(sc, grid)}", err=True)


def main(args: list[str] | None = None) -> None:
    """Entry point. Exit status: 0 done; 1 a plan or roster short of its targets with --strict; 2 invalid
    input (one message on stderr, no traceback); 3 an internal error (a bug: one line, the traceback in a
    log file it names); 130 interrupted. A weekly script can tell each apart."""
    try:
        cli.main(args=args, prog_name="rota", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(2 if e.exit_code in (1, 2) else e.exit_code)
    except RotaError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last resort: a bug must still end in one line and a status
        click.echo(f"internal error: {type(e).__name__}: {e}".splitlines()[0] + f" (a bug in rota; {_crash_log()})",
                   err=True)
        sys.exit(3)
    sys.exit(0)


def _crash_log() -> str:
    """Write the traceback being handled to a log file; where it is, for the one-line message."""
    import tempfile
    import traceback
    from datetime import datetime

    text = f"rota {sys.argv[1:]}\n" + traceback.format_exc()
    try:
        fd, path = tempfile.mkstemp(prefix=f"rota-error-{datetime.now():%Y%m%d-%H%M%S}-", suffix=".log")
        with open(fd, "w", encoding="utf-8") as f:
            f.write(text)
        return f"the traceback is in {path}; please attach it to a bug report"
    except OSError:
        click.echo(text, err=True)
        return "the traceback is above"



def _play_settings(scenario, runs: int | None, rounds: int | None) -> tuple[int, int]:
    """Runs and correction rounds, from the options, else policy.toml; no rounds without a play."""
    sim = scenario.policy.simulation
    runs = sim.runs if runs is None else runs
    return runs, (sim.rounds if rounds is None else rounds) if runs else 0


def _play(plan, runs: int, rounds: int, round_seconds: float, overhead: float, seed: int | None, week, workers,
          quiet: bool, progress=None):
    """The plan's promise: play the rota (and correct it in rounds, within `round_seconds` together). Returns
    the `Promise`, or None when the play is off or was interrupted (the plan then stands on its formulas)."""
    from scheduler.promise import promise

    if not runs:
        return None
    say = (lambda line: None) if quiet else (lambda line: click.echo(line, err=True))
    click.echo(f"playing the rota chat by chat: {runs} runs" + (f", up to {rounds} correction rounds" if rounds else ""),
               err=True)
    p = promise(plan, runs=runs, rounds=rounds, seed=seed, week=week, round_seconds=round_seconds, overhead=overhead,
                workers=workers, echo=say, progress=progress)
    if p is None:
        click.echo("interrupted: the plan is written with the formulas' figures, without its play", err=True)
    return p
