"""Independent work (what-if variants, simulation runs) on Dask: one code path, local or remote.

By default a local cluster of worker processes sized to the machine runs
the tasks; `--scheduler tcp://HOST:8786` (or `ROTA_SCHEDULER`) sends the
same tasks to a running cluster instead. The task's inputs travel with it
(workers need the `rota` package, not the scenario files), results come
back to the client, and the client alone writes outputs. A worker that dies
takes its task with it and the scheduler runs it elsewhere; Ctrl-C cancels
what is pending and keeps what finished.
"""

from __future__ import annotations

import logging
import os
import signal
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from scheduler.errors import RotaError

SCHEDULER_ENV = "ROTA_SCHEDULER"


@dataclass
class Outcome:
    """What came back: results by task index, errors by task index, and whether every task finished."""

    results: dict[int, Any]
    errors: dict[int, str]
    complete: bool
    where: str  # "local cluster of N processes" or the scheduler address


def scheduler_address(option: str | None) -> str | None:
    return option or os.environ.get(SCHEDULER_ENV) or None


@contextmanager
def client_for(scheduler: str | None, processes: int, echo: Callable[[str], None] | None = None) -> Iterator[tuple[Any, str]]:
    """A Dask client: to the given scheduler, or to a fresh local cluster of `processes` single-threaded workers."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as e:
            raise RotaError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
        if echo:
            echo(f"Dask cluster at {scheduler}: {_count(len(client.scheduler_info().get('workers', {})), 'worker')}, "
                 f"dashboard {client.dashboard_link}")
        try:
            yield client, scheduler
        finally:
            client.close()
        return
    # Ctrl-C belongs to the client: it cancels and keeps what finished. Worker processes started while
    # SIGINT is ignored keep ignoring it (Python leaves an inherited SIG_IGN alone), so the terminal's
    # signal to the whole process group does not kill a solve the client still wants.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # Workers' own logs stay out of the terminal: a failed task reaches the client as its exception (and
        # the report), while on a busy machine a worker's heartbeat racing the cluster's shutdown logged a
        # 30-line traceback at ERROR after every run had finished.
        cluster = LocalCluster(n_workers=processes, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.CRITICAL)
    finally:
        signal.signal(signal.SIGINT, previous)
    client = Client(cluster)
    try:
        yield client, f"local cluster of {processes} processes"
    finally:
        client.close()
        cluster.close()


def run_all(fn: Callable[..., Any], tasks: list[tuple], *, scheduler: str | None = None, processes: int | None = None,
            shared: tuple = (), done: Callable[[int, Any, str | None, int, int], None] | None = None,
            echo: Callable[[str], None] | None = None, chained: bool = False) -> Outcome:
    """Run `fn(*shared, *task)` for every task; `shared` arguments are sent to the cluster once. `chained`:
    every task after the first gets the first's result as a last argument (the cluster runs it first).

    `done(index, result, error, finished, total)` is called as each task finishes,
    in completion order. A task that raises is recorded in `errors` and
    the others go on.
    """
    from distributed import as_completed

    total = len(tasks)
    processes = max(1, min(processes or os.cpu_count() or 1, total))
    results: dict[int, Any] = {}
    errors: dict[int, str] = {}
    with client_for(scheduler, processes, echo) as (client, where):
        sent = share(client, shared)
        first = client.submit(fn, *sent, *tasks[0], pure=False)
        futures = {first: 0}
        futures.update({client.submit(fn, *sent, *task, *((first,) if chained else ()), pure=False): k
                        for k, task in enumerate(tasks) if k})
        try:
            for f in as_completed(list(futures)):
                k = futures[f]
                if f.status == "error":
                    e = f.exception()
                    errors[k] = f"{type(e).__name__}: {e}"
                elif f.status == "cancelled":
                    errors[k] = "cancelled by the cluster"
                else:
                    results[k] = f.result()
                if done:
                    done(k, results.get(k), errors.get(k), len(results) + len(errors), total)
        except KeyboardInterrupt:
            client.cancel([f for f in futures if not f.done()])
            return Outcome(results, errors, False, where)
    return Outcome(results, errors, True, where)


def share(client, values: tuple) -> list:
    """Futures that hold `values` on the cluster and survive the loss of every worker holding them.

    Not `scatter`: scattered data the scheduler cannot recompute, and once its
    last copy dies every task needing it is cancelled. A broadcast copy on
    every worker did not prevent that: the cluster's memory manager drops
    copies it sees no use for, and a what-if sweep whose worker was killed
    lost a variant that way ("cancelled by the cluster", CI, stop 33). A task
    that returns the value is recomputed from the copy the scheduler keeps.
    """
    return [client.submit(_kept, v, pure=False) for v in values]


def _kept(value: Any) -> Any:
    return value


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@contextmanager
def session(scheduler: str | None, processes: int) -> Iterator[str | None]:
    """One cluster for several rounds of tasks (a plan's plays, round after round): the given scheduler, or
    a local cluster started once, whose address the rounds' `run_all` calls then reach. Starting worker
    processes costs seconds a round need not pay again."""
    if scheduler:
        yield scheduler
        return
    with client_for(None, processes) as (client, _):
        yield client.scheduler.address
