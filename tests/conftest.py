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
    costs about 2 s to start and stop on a 2-core machine, this one a tenth of that, once."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address
