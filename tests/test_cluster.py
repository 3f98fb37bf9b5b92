"""What-if and simulation runs on Dask: the same rows on any cluster, a dead worker costs nothing but time."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import Client
from test_whatif import folder, sheet_rows  # noqa: F401  (folder: a fixture)

from scheduler import whatif as W
from scheduler.executor import run_all, share
from scheduler.io.scenario import load_scenario

DASK = str(Path(sys.executable).parent / "dask")


def _explode_on_two(k):
    if k == 2:
        raise ValueError("variant 2 is broken")
    return k * k


def test_a_failing_task_is_reported_and_the_others_go_on(dask_scheduler):
    out = run_all(_explode_on_two, [(k,) for k in range(4)], scheduler=dask_scheduler)
    assert out.results == {0: 0, 1: 1, 3: 9}
    assert out.errors == {2: "ValueError: variant 2 is broken"} and out.complete


def test_sweep_on_a_two_worker_cluster_gives_the_default_runs_rows(folder, dask_scheduler):  # noqa: F811
    sc = load_scenario(folder)
    vs = W.variants([W.parse_hire("sz:pt:0..2")])
    default, complete = W.run_variants(sc, vs, None, 10, 1, 7)  # on a local cluster of processes, its own
    assert complete and [r["variant"] for r in default] == ["baseline", "hire 1", "hire 2"]
    remote, complete = W.run_variants(sc, vs, None, 10, 1, 7, scheduler=dask_scheduler)
    assert complete
    assert remote == default


def test_shared_data_outlives_every_worker_that_held_it():
    """The scenario a sweep sends once must come back when the workers holding it die (a scattered copy
    cannot: its tasks were cancelled, CI stop 33)."""
    import logging

    from distributed import LocalCluster

    value = list(range(1000))
    with LocalCluster(n_workers=3, threads_per_worker=1, processes=False, dashboard_address=":0",
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as c:
        [sent] = share(c, (value,))
        assert sent.result(timeout=30) == value
        holders = list(c.who_has([sent])[sent.key])
        assert holders

        async def lose(dask_scheduler, addresses):
            for a in addresses:
                await dask_scheduler.remove_worker(a, stimulus_id="test-lost", close=False)

        c.run_on_scheduler(lose, addresses=holders)
        assert c.submit(sum, sent).result(timeout=30) == sum(value)
        assert set(c.who_has([sent])[sent.key]).isdisjoint(holders)


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


def _kill_a_worker_planning(address: str, workers: list, seconds: float = 30.0):
    """SIGKILL the process group of the first worker seen processing a variant; that worker's Popen."""
    import time

    def planning(dask_scheduler):
        return [ws.pid for ws in dask_scheduler.workers.values()
                if any(str(ts.key).startswith("plan_variant") for ts in ws.processing)]

    with Client(address, timeout="60s") as c:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for pid in c.run_on_scheduler(planning):
                for w in workers:
                    if os.getpgid(pid) == w.pid:
                        os.killpg(w.pid, signal.SIGKILL)
                        return w
            time.sleep(0.05)
    return None


def test_a_worker_killed_mid_sweep_loses_no_variant(localhost_cluster, tmp_path, hang_guard):
    address, workers = localhost_cluster
    out = tmp_path / "o"
    command = [sys.executable, "-m", "scheduler", "whatif", "inputs/sample", "--week", "2026-11-30", "--simulate-runs", "0",
               "--hire", "shenzhen:pt,en:0..2", "--time-limit", "1", "--workers", "1", "--scheduler", address,
               "--out", str(out)]
    proc = hang_guard(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    seen = []
    killed = None
    for line in proc.stderr:
        seen.append(line)
        if "1/3 done" in line:
            # The baseline is done and the variants are being handed out: kill a worker once it holds one
            # (right after the line it may not have one yet, and then nothing would be lost).
            killed = _kill_a_worker_planning(address, workers)
            break
    stderr = "".join(seen) + proc.stderr.read()
    stdout = proc.stdout.read()
    assert proc.wait() == 0, stderr
    assert killed is not None and killed.poll() is not None

    def lost_with_removed_workers(dask_scheduler):  # runs on the scheduler; some events do not serialise
        return [sorted(map(str, event["processing-tasks"])) for _, event in dask_scheduler.get_events("all")
                if event.get("action") == "remove-worker"]

    with Client(address, timeout="60s") as c:
        lost = c.run_on_scheduler(lost_with_removed_workers)
    # The kill took a variant with it: the worker was planning one when it died.
    assert len(lost) == 1 and any(key.startswith("plan_variant") for key in lost[0]), lost
    assert f"Dask cluster at {address}: 2 workers, dashboard" in stderr
    assert "Traceback" not in stderr and "failed" not in stdout
    rows = sheet_rows(out / "sample-2026-W49-whatif.xlsx")
    assert [r["variant"] for r in rows] == ["baseline", "hire 1", "hire 2"]
    # Every variant planned, none failed. A plan may carry "(time-capped: a rerun may differ)": a busy machine's
    # wall clock can stop a search short of its work budget, and that is no lost variant.
    assert all(r["total"] > 0 and r["status"].split(" (")[0] in ("OPTIMAL", "FEASIBLE") for r in rows), rows


def test_ctrl_c_cancels_pending_variants_and_keeps_finished_ones(tmp_path, hang_guard):
    """Ctrl-C from a terminal reaches the whole process group: the local cluster's workers ignore it, the
    client cancels what is pending and writes what finished."""
    out = tmp_path / "o"
    command = [sys.executable, "-m", "scheduler", "whatif", "inputs/sample", "--week", "2026-11-30", "--simulate-runs", "0",
               "--hire", "shenzhen:pt,en:0..3", "--time-limit", "1", "--workers", "1", "--processes", "1",
               "--out", str(out)]
    proc = hang_guard(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       start_new_session=True))
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "1/4 done" in line:
            os.killpg(proc.pid, signal.SIGINT)
            break
    stderr = "".join(seen) + proc.stderr.read()
    proc.stdout.read()
    assert proc.wait() == 130, stderr
    assert "Traceback" not in stderr
    done = re.findall(r"^  \d/4 done: (.+?) \(", stderr, flags=re.MULTILINE)
    assert 1 <= len(done) < 4 and done[0] == "baseline", stderr  # one worker: the variants in order
    assert f"interrupted: {len(done)} of 4 variants finished and were kept" in stderr
    rows = sheet_rows(out / "sample-2026-W49-whatif.xlsx")
    # Exactly the variants reported finished, each with its plan: none cancelled, none lost.
    assert [r["variant"] for r in rows] == [v for v in ("baseline", "hire 1", "hire 2", "hire 3") if v in done]
    assert all(r["total"] > 0 for r in rows), rows
