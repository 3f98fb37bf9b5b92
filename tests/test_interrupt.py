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
