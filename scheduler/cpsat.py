"""Every CP-SAT solve goes through `run_solver`, the planning model's and the evaluator's alike."""

from __future__ import annotations

import signal
import threading

from ortools.sat.python import cp_model


def run_solver(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None) -> int:
    """Every plain CP-SAT solve: Ctrl-C raises KeyboardInterrupt once the solve returns.

    CP-SAT's own Ctrl-C handler (`catch_sigint_signal`) is never used: it
    logs from inside the signal handler, which allocates memory, and a Ctrl-C
    that lands while the process is allocating (CP-SAT loading a model, HiGHS
    beside it) deadlocked `rota plan` for good (3 runs in 20 in the tests).
    """
    solver.parameters.catch_sigint_signal = False
    return solver.Solve(model, callback)


def run_stoppable(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None) -> tuple[int, bool]:
    """Solve so that Ctrl-C stops the search and keeps its best solution: (status, stopped by Ctrl-C).

    In the main thread, the solve runs in a helper thread while the main one
    waits where Python runs its signal handlers. Ctrl-C sets a flag, and the
    search is asked to stop (`StopSearch`) for as long as it runs: a stop asked
    before the solve has started would otherwise be lost. A Ctrl-C at any
    moment of the call counts, even one after the solve returned. Elsewhere
    (a Dask worker's thread) it is a plain solve: the client cancels it.
    """
    if threading.current_thread() is not threading.main_thread():
        return run_solver(solver, model, callback), False
    solver.parameters.catch_sigint_signal = False
    outcome: dict = {}
    stop = threading.Event()

    def solve() -> None:
        try:
            outcome["status"] = solver.Solve(model, callback)
        except BaseException as e:  # noqa: BLE001 - handed back to the main thread below
            outcome["error"] = e

    previous = signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    try:
        worker = threading.Thread(target=solve, name="cp-sat", daemon=True)
        worker.start()
        while worker.is_alive():
            if stop.is_set():
                solver.StopSearch()
            worker.join(0.05)
    finally:
        signal.signal(signal.SIGINT, previous)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["status"], stop.is_set()
