"""Every CP-SAT solve goes through `run_solver`, the planning model's and the evaluator's alike."""

from __future__ import annotations

import signal
import threading

from ortools.sat.python import cp_model


def run_solver(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None, stop_on_sigint: bool = False) -> int:
    """Solve, so that Ctrl-C keeps meaning what Python says it means.

    CP-SAT catches SIGINT by default and, once done, leaves the default action
    (terminate) behind, so a Ctrl-C after any solve (one of the evaluator's
    hundreds) would kill the process instead of raising KeyboardInterrupt.
    With `stop_on_sigint`, Ctrl-C stops the search and the best solution is
    kept; either way Python's handler is put back. Only the main thread owns
    SIGINT; a solve on a Dask worker thread is cancelled by the client.
    """
    main = threading.current_thread() is threading.main_thread()
    solver.parameters.catch_sigint_signal = main and stop_on_sigint
    handler = signal.getsignal(signal.SIGINT) if main else None
    try:
        return solver.Solve(model, callback)
    finally:
        if main:
            signal.signal(signal.SIGINT, handler)
