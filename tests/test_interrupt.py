"""Ctrl-C during a solve: the best plan so far is written, marked interrupted, exit 130 (real CLI, subprocess).

Each Ctrl-C is sent when the run shows it has reached the moment a test is about (a progress line on stderr, a
temporary output file), never after a guessed number of seconds. How fast a run stops is a benchmark's
question, not a test's: nothing here times it. Only a run that never ends is stopped (`hang_guard`, after
minutes), and fails its test.
"""

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

OUTPUTS = ["sample-2026-W49-roster.csv", "sample-2026-W49.xlsx"]

# A progress line, once the search has a plan:
#   "      3.2 s   cost+shortfall    47,858.22   (bound: the LP relaxation is still solving)"
PROGRESS = re.compile(r"^\s*[\d.]+ s\s+cost\+shortfall\s+(?P<objective>[\d,]+\.\d\d)\s")
# and once the LP relaxation is solved, with its bound:
#   "      5.8 s   cost+shortfall    47,599.79   bound    18,528.36   gap 61.07%"
WITH_BOUND = re.compile(PROGRESS.pattern + r".*\bbound\s+[\d,]+\.\d\d\s")


def start_plan(out: Path, hang_guard) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "plan", "inputs/sample", "--week", "2026-11-30",
                             "--time-limit", "30", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return hang_guard(proc)


def read_until(proc: subprocess.Popen, pattern: re.Pattern) -> tuple[list[str], re.Match]:
    """The stderr lines up to the first that matches `pattern`, and its match; fails if the run ends first."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if m := pattern.search(line):
            return seen, m
    hung = " (killed: it hung)" if proc.wait() == -signal.SIGKILL else ""
    pytest.fail(f"the run ended (exit {proc.returncode}{hung}) before a line matching {pattern.pattern!r}:\n"
                + "".join(seen))


def finish(proc: subprocess.Popen, seen: list[str]) -> str:
    """Wait for the run to end; all of its stderr. Fails if it had to be killed (it hung)."""
    stderr = "".join(seen) + proc.stderr.read()
    proc.stdout.read()
    assert proc.wait() != -signal.SIGKILL, f"the run hung and was killed:\n{stderr}"
    return stderr


def summary_items(path: Path) -> dict:
    """The Summary sheet's items by name, read under its `item` and `value` headers."""
    rows = list(load_workbook(path)["Summary"].iter_rows(values_only=True))
    at = next(k for k, r in enumerate(rows) if "item" in r and "value" in r)
    item, value = rows[at].index("item"), rows[at].index("value")
    return {r[item]: r[value] for r in rows[at + 1:]}


def roster_rows(path: Path) -> int:
    return load_workbook(path)["Roster"].max_row - 1  # below its header


def temporaries(out: Path) -> list[str]:
    return [p.name for p in out.glob(".*.tmp")] if out.exists() else []


@pytest.mark.parametrize("trigger", [
    pytest.param(PROGRESS, id="first pass"),  # the first plan found, from the greedy start
    pytest.param(WITH_BOUND, id="after the LP"),  # the LP is solved: the passes that start from it
])
def test_ctrl_c_keeps_the_best_plan(tmp_path, hang_guard, trigger):
    out = tmp_path / "out"
    proc = start_plan(out, hang_guard)
    seen, line = read_until(proc, trigger)
    proc.send_signal(signal.SIGINT)
    stderr = finish(proc, seen)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted: the best plan found so far was written, marked as interrupted in Summary" in stderr
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS  # both outputs in place, no temporary file left
    summary = summary_items(out / "sample-2026-W49.xlsx")
    assert summary["solver_status"].endswith(" (interrupted)")
    # The best plan so far: no worse than the one the progress line had reported when Ctrl-C was sent (a
    # line shows the objective to the cent), not the greedy start or an earlier pass's plan.
    assert summary["solver_objective"] <= float(line["objective"].replace(",", "")) + 0.01
    assert summary["shifts"] == roster_rows(out / "sample-2026-W49.xlsx") > 100


def test_ctrl_c_before_any_plan_exits_130_with_nothing_written(tmp_path, hang_guard):
    """Ctrl-C as the run starts: exit 130 and a clean message, never an abort of the whole process
    ("terminate called without an active exception", exit -6, which a Ctrl-C 1-2.5 s later gave in 5 of 6
    tries while the LP's thread was left inside HiGHS; that window has no line to trigger on, so it is
    measured by hand, see the commit), and no half-written output."""
    out = tmp_path / "out"
    proc = start_plan(out, hang_guard)
    seen, _ = read_until(proc, re.compile(r"^planning sample 2026-W49 "))
    proc.send_signal(signal.SIGINT)
    stderr = finish(proc, seen)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "terminate called" not in stderr and "interrupted" in stderr
    assert not out.exists() or sorted(p.name for p in out.iterdir()) in ([], OUTPUTS)


def test_a_second_ctrl_c_while_the_outputs_are_written_leaves_both_or_neither(tmp_path, hang_guard):
    """The first Ctrl-C ends the search; the outputs are then written to temporary files and moved into
    place. The second comes while they are being written (a temporary file exists): the run ends there, with
    both outputs complete or neither, and no temporary file left behind."""
    out = tmp_path / "out"
    proc = start_plan(out, hang_guard)
    seen, _ = read_until(proc, PROGRESS)
    proc.send_signal(signal.SIGINT)
    while proc.poll() is None and not temporaries(out):
        time.sleep(0.01)  # polling the folder for the write to begin (about half a second on the sample)
    writing = proc.poll() is None
    if writing:
        proc.send_signal(signal.SIGINT)
    stderr = finish(proc, seen)
    assert writing, f"the run ended before a temporary output was seen:\n{stderr}"
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    written = sorted(p.name for p in out.iterdir())
    # Stopped while writing (nothing), or the move into place had just finished (both, complete).
    assert written in ([], OUTPUTS)
    if written:
        summary = summary_items(out / "sample-2026-W49.xlsx")
        assert summary["solver_status"].endswith(" (interrupted)")
        assert summary["shifts"] == roster_rows(out / "sample-2026-W49.xlsx") > 100
