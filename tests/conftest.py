import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# A run started in the background (`pytest &` in a script) inherits an ignored SIGINT, and so would the
# `rota` processes that the Ctrl-C tests start and interrupt: give them the terminal's Ctrl-C back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def sample_week():
    """The sample's week 2026-W49 and its whole model, built once: the tests that take it only read it (a
    test that adds constraints builds its own)."""
    from datetime import date
    from types import SimpleNamespace

    from scheduler.calendar import planning_grid
    from scheduler.io.scenario import load_scenario
    from scheduler.model import build
    from scheduler.staffing import compute_staffing

    sc = load_scenario("inputs/sample")
    grid = planning_grid(sc, date(2026, 11, 30))
    st = compute_staffing(sc, grid)
    return SimpleNamespace(scenario=sc, grid=grid, staffing=st, model=build(sc, grid, st))


@pytest.fixture(scope="session")
def sample_lp(sample_week):
    """The sample model's LP relaxation, solved once (HiGHS, as the search solves it)."""
    from scheduler.search.relax import LpBound

    lp = LpBound(sample_week.model.model, start=True)
    assert lp.result(wait=None) is not None
    return lp


@pytest.fixture(scope="session")
def dask_scheduler():
    """The address of one in-process Dask cluster (two single-threaded workers), shared by every test that
    needs a cluster without being about starting, stopping or losing one: a local cluster of processes
    costs about 2 s to start and stop on a 2-core machine, this one under a tenth of a second, once."""
    import logging

    from distributed import LocalCluster

    # Its status pages on a free port (":0"): the default 8787 may be another test run's on a shared machine.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def hang_guard():
    """`hang_guard(proc)`: kills the process (its process group, if it leads one) should it still be running
    `seconds` (3 minutes) later, so that a run that hangs fails its test (killed, exit -9) instead of stalling
    the suite. Not a speed limit: it is far more than the runs' own time limits allow them."""
    import os
    import subprocess
    import threading

    timers = []

    def kill(proc: subprocess.Popen) -> None:
        try:
            if proc.poll() is None:
                if os.getpgid(proc.pid) == proc.pid:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
        except ProcessLookupError:  # it ended meanwhile
            pass

    def guard(proc: subprocess.Popen, seconds: float = 180) -> subprocess.Popen:
        timer = threading.Timer(seconds, kill, (proc,))
        timer.daemon = True
        timer.start()
        timers.append(timer)
        return proc

    yield guard
    for timer in timers:
        timer.cancel()
