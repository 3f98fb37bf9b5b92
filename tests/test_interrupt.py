"""Ctrl-C during a solve: the best plan so far is written, marked interrupted, exit 130 (real CLI, subprocess)."""

import signal
import subprocess
import sys
import time

import pytest
from openpyxl import load_workbook


@pytest.mark.parametrize("after_seconds, phase", [(7, "first pass"), (16, "full model")])
def test_ctrl_c_keeps_the_best_plan(tmp_path, after_seconds, phase):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "plan", "inputs/sample", "--week", "2026-11-30",
                             "--time-limit", "30", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after_seconds)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert time.monotonic() - sent < 10  # it stops, it does not run out the time limit
    assert "Traceback" not in stderr and "interrupted" in stderr
    book = load_workbook(out / "sample-2026-W49.xlsx")
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows(min_row=4)}
    assert "(interrupted)" in summary["solver_status"]
    assert book["Roster"].max_row > 100
    assert not list(out.glob(".*.tmp"))


def test_a_second_ctrl_c_stops_at_once_and_leaves_no_partial_file(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "plan", "inputs/sample", "--week", "2026-11-30",
                             "--time-limit", "30", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(8)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    # 130: Python caught it and cleaned up; -2: the second Ctrl-C came while CP-SAT was still winding down
    # from the first, and CP-SAT lets a second one terminate the process (a shell shows 130 for both).
    assert proc.returncode in (130, -signal.SIGINT), stderr
    assert time.monotonic() - sent < 5
    assert "Traceback" not in stderr
    assert not list(out.glob(".*.tmp")) and not list(out.glob("*.tmp"))
    written = sorted(p.name for p in out.glob("*")) if out.exists() else []
    # Stopped before writing (nothing), or the plan was already complete on disk (both files, readable).
    assert written in ([], ["sample-2026-W49-roster.csv", "sample-2026-W49.xlsx"])
    if written:
        assert load_workbook(out / "sample-2026-W49.xlsx")["Roster"].max_row > 100

