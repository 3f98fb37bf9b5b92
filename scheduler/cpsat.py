"""Every CP-SAT solve goes through `run_solver`, the planning model's and the evaluator's alike."""

from __future__ import annotations

import signal
import threading

from ortools.sat.python import cp_model


def run_solver(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None, stop_on_sigint: bool = False) -> int:
    """Solve, so that Ctrl-C keeps meaning what Python says it means.

    CP-SAT's own Ctrl-C handler (`catch_sigint_signal`) is never used: it
    logs from inside the signal handler, which allocates memory, and a Ctrl-C
    that lands while the process is allocating (CP-SAT loading a model, HiGHS
    beside it) deadlocked `rota plan` for good (3 runs in 20 in the tests).
    With `stop_on_sigint`, the solve runs in a helper thread while the main
    thread waits where Python can run its handlers: Ctrl-C then asks the
    solver to stop (`StopSearch`) and the best solution is kept. Without it,
    Ctrl-C raises KeyboardInterrupt once the solve returns. Only the main
    thread owns SIGINT; a solve on a Dask worker thread is cancelled by the
    client.
    """
    solver.parameters.catch_sigint_signal = False
    if not (stop_on_sigint and threading.current_thread() is threading.main_thread()):
        return solver.Solve(model, callback)
    outcome: dict = {}

    def solve() -> None:
        try:
            outcome["status"] = solver.Solve(model, callback)
        except BaseException as e:  # noqa: BLE001 - handed back to the main thread below
            outcome["error"] = e

    def stop(signum, frame) -> None:
        solver.StopSearch()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        worker = threading.Thread(target=solve, name="cp-sat", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.05)
    finally:
        signal.signal(signal.SIGINT, previous)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["status"]
