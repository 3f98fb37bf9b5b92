"""User-facing errors.

Every mistake a user can make in a file becomes a `Problem` that names the
file, the row as a spreadsheet shows it (header = row 1, first data row = 2),
the column, the bad value and what was expected. Loaders collect problems
instead of raising on the first one, so a planner fixes a file in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    severity: str = "error"  # or "warning": reported, never blocks a run

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        text = ", ".join(where) + ": "
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            text += f"{shown!r}: "
        return text + self.expected


class RotaError(Exception):
    """An error a user can act on; the CLI prints it and exits with status 2."""


class InternalError(Exception):
    """A bug, not a user's mistake: a plan that the validator rejects. Never raised for bad input."""


class InputError(RotaError):
    """One or more problems in the input files, reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == "error"]
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in the input:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class Problems:
    """Collects problems while a loader walks its files."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self._cells: set[tuple] = set()  # cells already reported as errors

    def add(self, file, row, column, value, expected, severity="error") -> None:
        """Record a problem; a cell already reported as an error is not reported twice."""
        cell = (file, row, column)
        if column is not None and cell in self._cells:
            return
        if severity == "error":
            self._cells.add(cell)
        shown = None if value is None else str(value)
        self.items.append(Problem(file, row, column, shown, expected, severity))

    def warn(self, file, row, column, value, expected) -> None:
        self.add(file, row, column, value, expected, severity="warning")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_any(self) -> None:
        if self.errors:
            raise InputError(self.items)
