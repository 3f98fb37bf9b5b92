"""The `rota` command: parses, calls the library, prints. No logic of its own.

`common` holds the group, the shared options and `main`; the commands live in `planning` (the week's
loop) and `studies` (what-if, simulation, forecast, review), imported here so they register."""

from scheduler.cli import planning, studies  # importing them registers the commands
from scheduler.cli.common import cli, main

__all__ = ["cli", "main", "planning", "studies"]
