"""What-if and simulation runs on Dask: the same rows on any cluster, a dead worker costs nothing but time."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import Client, LocalCluster
from openpyxl import load_workbook
from test_whatif import folder  # noqa: F401  (fixture)

from scheduler import whatif as W
from scheduler.executor import run_all
from scheduler.io.scenario import load_scenario

DASK = str(Path(sys.executable).parent / "dask")


def _explode_on_two(k):
    if k == 2:
        raise ValueError("variant 2 is broken")
    return k * k


def test_a_failing_task_is_reported_and_the_others_go_on():
    with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        out = run_all(_explode_on_two, [(k,) for k in range(4)], scheduler=cluster.scheduler_address)
    assert out.results == {0: 0, 1: 1, 3: 9}
    assert out.errors == {2: "ValueError: variant 2 is broken"} and out.complete


def test_sweep_on_a_two_worker_cluster_gives_the_default_runs_rows(folder):  # noqa: F811
    sc = load_scenario(folder)
    vs = W.variants([W.parse_hire("sz:pt:0..2")])
    default, complete = W.run_variants(sc, vs, None, 10, 1, 7)
    assert complete and [r["variant"] for r in default] == ["baseline", "hire 1", "hire 2"]
    with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        remote, complete = W.run_variants(sc, vs, None, 10, 1, 7, scheduler=cluster.scheduler_address)
    assert complete
    assert remote == default


def _wait_for_file(path: Path, procs, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        dead = [p.args[:2] for p in procs if p.poll() is not None]
        assert not dead, f"{dead} exited before the scheduler was up"
        assert time.monotonic() < deadline, f"no scheduler file after {seconds} s"
        time.sleep(0.2)


@pytest.fixture
def localhost_cluster(tmp_path):
    """A scheduler and two single-threaded workers, each a process group of its own (a worker is a nanny
    and its worker process). The scheduler picks its own port and writes it to a file once it listens:
    a port chosen beforehand can be taken meanwhile, and a fresh machine's first import of `distributed`
    can take longer than a fixed connect timeout (CI, stop 19)."""
    info = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(info)], **quiet)]
    try:
        _wait_for_file(info, procs, 120)
        procs += [subprocess.Popen([DASK, "worker", "--scheduler-file", str(info), "--nthreads", "1",
                                    "--no-dashboard"], **quiet) for _ in range(2)]
        with Client(scheduler_file=str(info), timeout="60s") as c:
            c.wait_for_workers(2, timeout=120)
            address = c.scheduler.address
        yield address, procs[1:]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test_a_worker_killed_mid_sweep_loses_no_variant(localhost_cluster, tmp_path):
    address, workers = localhost_cluster
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "whatif", "inputs/sample", "--week", "2026-11-30",
                             "--hire", "shenzhen:pt,en:0..3", "--time-limit", "3", "--workers", "1",
                             "--scheduler", address, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "1/4 done" in line:
            os.killpg(workers[0].pid, signal.SIGKILL)  # the other variant it holds, or the next, is lost with it
            break
    stderr = "".join(seen) + proc.stderr.read()
    stdout = proc.stdout.read()
    assert proc.wait(timeout=180) == 0, stderr
    assert workers[0].poll() is not None
    assert f"Dask cluster at {address}: 2 workers, dashboard" in stderr
    assert "Traceback" not in stderr and "failed" not in stdout
    ws = load_workbook(out / "sample-2026-W49-whatif.xlsx")["Variants"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, [c.value for c in r])) for r in ws.iter_rows(min_row=2)]
    assert [r["variant"] for r in rows] == ["baseline", "hire 1", "hire 2", "hire 3"]
    assert all(r["total"] > 0 and r["status"] in ("OPTIMAL", "FEASIBLE") for r in rows)


def test_ctrl_c_cancels_pending_variants_and_keeps_finished_ones(tmp_path):
    """Ctrl-C from a terminal reaches the whole process group: the local cluster's workers ignore it, the
    client cancels what is pending and writes what finished."""
    out = tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-m", "scheduler", "whatif", "inputs/sample", "--week", "2026-11-30",
                             "--hire", "shenzhen:pt,en:0..3", "--time-limit", "4", "--workers", "1", "--processes", "1",
                             "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "1/4 done" in line:
            sent = time.monotonic()
            os.killpg(proc.pid, signal.SIGINT)
            break
    stderr = "".join(seen) + proc.stderr.read()
    assert proc.wait(timeout=60) == 130, stderr
    assert time.monotonic() - sent < 15
    assert "Traceback" not in stderr and "variants finished and were kept" in stderr
    ws = load_workbook(out / "sample-2026-W49-whatif.xlsx")["Variants"]
    kept = [r[0].value for r in ws.iter_rows(min_row=2)]
    assert 1 <= len(kept) < 4 and kept[0] == "baseline"
