"""What an understaffed interval hands to the next: the questions still waiting when it ends.

The per-interval formulas (`erlang`) assume each interval starts empty and
runs long enough to settle. A short hour breaks both: without patience its
queue grows for the whole hour, and the next hour, however well staffed,
first answers that backlog, so its viewers wait too. Played chat by chat
(`scheduler.simulate`), the sample's Portuguese queue waited five times what
the formulas promised, all of it carry-over.

This follows the stationary backlog carry-over idea of the staffing
literature (Stolletz 2008, SBC): each interval starts with the backlog the
previous one left, as a fluid queue in front of its own arrivals. While the
backlog is there every server is busy and it drains at the spare capacity
(`servers / handle - arrival rate`, and by abandonment where patience is
known); an arrival in that phase waits for the queue ahead of it. Once the
backlog is gone the interval behaves as the stationary formula says for the
rest of it. An interval that cannot keep up (no patience and more work than
servers, or no server at all) stays in the fluid phase and hands its queue
on; with patience the queue settles where abandonment balances the excess.
Where nothing is carried and the queue keeps up, the figures are exactly the
formula's, so a rota that meets its requirement is predicted as before.
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import lru_cache
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler.staffing import erlang

# Points per interval at which the fluid phase is sampled (midpoints): the queue moves smoothly, and 64
# points put the integration error far below what the simulation can tell apart.
_STEPS = 64


@dataclass(frozen=True)
class Interval:
    """One interval's KPIs with the backlog it started with, and the backlog it hands on (mean and variance:
    how many questions are left waiting is random, and the wait behind a backlog grows with its square, so a
    backlog of 20 +- 13 costs the next hour about 40 % more wait than one of exactly 20)."""

    kpis: erlang.Kpis
    carried_in: float  # questions waiting when the interval starts (mean)
    carried_out: float  # questions still waiting when it ends (mean)
    variance_out: float = 0.0


@dataclass(frozen=True)
class _Sums:
    """Per arrival of the interval: share answered, their summed wait, shares within the two limits."""

    answered: float
    wait: float
    within: float
    complex_within: float
    occupancy: float
    out: float
    grows: bool  # the queue never empties within the interval


def _queue_at(t: np.ndarray, start: float, rate: float, capacity: float, patience: float) -> np.ndarray:
    """The fluid queue while every server is busy: dQ/dt = rate - capacity - Q / patience, from `start`."""
    if math.isinf(patience):
        return start + (rate - capacity) * t
    settle = (rate - capacity) * patience
    return settle + (start - settle) * np.exp(-t / patience)


def _drained_at(start: float, rate: float, capacity: float, patience: float, length: float) -> float:
    """When the fluid queue, draining at the spare capacity (and by abandonment), reaches zero; `length` when
    it does not within the interval. Only called with rate < capacity."""
    if start <= 1e-9:
        return 0.0
    spare = capacity - rate
    if math.isinf(patience):
        return min(start / spare, length)
    return min(patience * math.log1p(start / (spare * patience)), length)


def _wait_behind(queue: np.ndarray, capacity: float, patience: float) -> np.ndarray:
    """A fluid arrival's wait behind `queue` questions served at `capacity` per second, those ahead leaving
    at rate 1 / patience each: X' = -capacity - X / patience reaches zero at patience * ln(1 + X / (capacity
    * patience))."""
    if capacity <= 0:
        return np.full_like(queue, math.inf)
    if math.isinf(patience):
        return queue / capacity
    return patience * np.log1p(queue / (capacity * patience))


def _wait_ahead(t: np.ndarray, queue: np.ndarray, capacity: float, ahead: np.ndarray, length: float,
                patience: float) -> np.ndarray:
    """A fluid arrival's wait at time `t` of the step behind `queue` questions, first-come first-served, as
    the capacity changes: this step's, then the following steps' (`ahead`, questions per second each), those
    ahead of it leaving at rate 1 / patience each. So a question asked in a thin hour before a full one waits
    for the full one's agents, not for the thin hour's pace; and one asked while nobody is on waits for the
    next agent. Unbounded where the week ends first."""
    if math.isinf(patience):
        # Served in order at the capacity of each step: the wait is where the capacity summed from the
        # arrival reaches the queue ahead of it.
        now = capacity * (length - t)
        wait = np.where(queue <= now, queue / capacity if capacity > 0 else 0.0, math.inf)
        rest = queue - now
        later = ~(queue <= now)
        if later.any() and len(ahead):
            total = np.cumsum(ahead) * length
            k = np.searchsorted(total, rest[later], side="left")
            inside = k < len(total)
            w = np.full(int(later.sum()), math.inf)
            kk = k[inside]
            before = np.where(kk > 0, total[np.maximum(kk - 1, 0)], 0.0)
            w[inside] = (length - t[later][inside]) + kk * length + (rest[later][inside] - before) / ahead[kk]
            wait[later] = w
        return np.where(queue <= 1e-12, 0.0, wait)
    wait = np.full(len(t), math.inf)
    left = queue.astype(float).copy()
    clock = t.astype(float).copy()
    wait[left <= 1e-12] = 0.0
    caps = np.concatenate(([capacity], ahead))
    # Runs of steps with the same capacity (a night with nobody on is one run, not thirty-two steps).
    starts = np.flatnonzero(np.concatenate(([True], caps[1:] != caps[:-1])))
    ends = np.concatenate((starts[1:], [len(caps)]))
    for first, last in zip(starts, ends):
        c = float(caps[first])
        open_ = ~np.isfinite(wait)
        if not open_.any():
            break
        end = last * length
        span = np.maximum(end - clock, 0.0)
        if math.isinf(patience):
            need = left / c if c > 0 else np.full(len(t), math.inf)
        else:
            need = patience * np.log1p(left / (c * patience)) if c > 0 else np.full(len(t), math.inf)
        done = open_ & (need <= span)
        wait[done] = clock[done] + need[done] - t[done]
        going = open_ & ~done
        if math.isinf(patience):
            left[going] -= c * span[going]
        else:
            left[going] = (left[going] + c * patience) * np.exp(-span[going] / patience) - c * patience
        clock[going] = end
    return wait


def _sums(steady: erlang.Kpis | None, rate: float, capacity: float, theta: float, within: float,
          complex_within: float, carried: float, length: float, ahead: np.ndarray | None,
          patient: tuple[float, float]) -> _Sums:
    """The interval with exactly `carried` questions waiting at its start; `theta` the mean patience of a
    waiting question (inf: none leave), `patient` the share of viewers who leave and their patience."""
    if steady is None:
        fluid_until = length  # no server, or no patience and more work than servers: the queue grows all along
    else:
        fluid_until = _drained_at(carried, rate, capacity, theta, length)
    if fluid_until <= 0:
        kept = 1.0 - steady.abandon_rate
        return _Sums(kept, kept * steady.asa_seconds, steady.service_level, steady.complex_service_level,
                     steady.occupancy, 0.0, False)
    grows = fluid_until >= length
    out = float(max(_queue_at(np.array([float(length)]), carried, rate, capacity, theta)[0], 0.0)) if grows else 0.0
    # The fluid phase, sampled at midpoints; every arrival there waits for the queue ahead of it.
    n = max(1, int(math.ceil(_STEPS * fluid_until / length)))
    t = (np.arange(n) + 0.5) * fluid_until / n
    q = np.maximum(_queue_at(t, carried, rate, capacity, theta), 0.0)
    if ahead is not None:
        w = _wait_ahead(t, q, capacity, ahead, length, theta)
    else:
        w = _wait_behind(q, capacity, theta)
    finite = np.isfinite(w)
    w0 = np.where(finite, w, 0.0)
    share, own = patient
    stay = share * np.exp(-w0 / own) + (1 - share) if share > 0 else np.ones_like(w0)
    kept = np.where(finite, stay, 0.0)  # answered before patience runs out
    share = fluid_until / length / n  # each point's share of the interval's arrivals
    sums = [float(kept.sum()) * share, float((kept * w0).sum()) * share,
            float((kept * (w <= within)).sum()) * share, float((kept * (w <= complex_within)).sum()) * share,
            fluid_until / length if capacity > 0 else 0.0]
    rest = 1.0 - fluid_until / length
    if steady is not None and rest > 0:
        kept_s = 1.0 - steady.abandon_rate
        for k, v in enumerate((kept_s, kept_s * steady.asa_seconds, steady.service_level,
                               steady.complex_service_level, steady.occupancy)):
            sums[k] += rest * v
    return _Sums(*sums, out, grows)


@lru_cache(maxsize=65536)
def _kpis(rate: float, handle: float, servers: int, patience: float | None, within: float,
          complex_within: float) -> erlang.Kpis:
    """The formulas, remembered: the steps of an interval, and weeks alike, ask the same questions."""
    return erlang.kpis(rate, handle, servers, patience, within, complex_within)


# Standard normal quadrature: the carried backlog is spread over these points (mean + z * sd, cut at zero).
_Z, _W = np.polynomial.hermite_e.hermegauss(5)
_W = _W / _W.sum()


def interval_kpis(rate: float, handle: float, servers: int, patience: float | None, within: float,
                  complex_within: float, carried: float, length: float, variance: float = 0.0,
                  ahead: np.ndarray | None = None, patient_share: float = 1.0,
                  alone: tuple[float, int] | None = None, absent: tuple[float, float] | None = None) -> Interval:
    """KPIs of one interval of `length` seconds that starts with `carried` (+- sqrt(variance)) questions
    waiting; see `_interval_kpis`. `absent`: (the chance that every agent who can answer is away from the
    desk at once, how long such an absence lasts in seconds): shrinkage takes whole agents away for a while,
    and where one or two agents hold a queue, the viewers who come then wait for them to return (and those
    with a patience leave); the formulas' fractional servers do not see that."""
    r = _interval_kpis(rate, handle, servers, patience, within, complex_within, carried, length, variance, ahead,
                       patient_share, alone)
    if absent is None or absent[0] <= 0 or absent[1] <= 0 or servers == 0 or rate == 0:
        return r
    chance, gap = absent
    own = math.inf if patience is None or not math.isfinite(patience) or patience <= 0 else float(patience)
    share = patient_share if math.isfinite(own) else 0.0
    kept, waited, sl, csl = _absence(gap, share, own, within, complex_within)
    k = r.kpis
    kept_k = 1.0 - k.abandon_rate
    answered = (1 - chance) * kept_k + chance * kept
    wait = (1 - chance) * kept_k * k.asa_seconds + chance * waited
    mixed = erlang.Kpis(k.servers, (1 - chance) * k.wait_probability + chance,
                        (1 - chance) * k.service_level + chance * sl,
                        (1 - chance) * k.complex_service_level + chance * csl,
                        wait / answered if answered > 0 else math.inf,
                        (1 - chance) * k.abandon_rate + chance * (1 - kept) if share > 0 else k.abandon_rate,
                        k.occupancy)
    return Interval(mixed, r.carried_in, r.carried_out, r.variance_out)


@lru_cache(maxsize=4096)
def _absence(gap: float, share: float, own: float, within: float, complex_within: float
             ) -> tuple[float, float, float, float]:
    """Arrivals while every agent is away wait out the rest of the absence (uniform over it): the share
    answered, their mean wait (as a sum per arrival), and the shares answered within the two limits."""
    w = (np.arange(16) + 0.5) / 16 * gap
    kept = share * np.exp(-w / own) + (1 - share) if share > 0 else np.ones_like(w)
    return (float(kept.mean()), float((kept * w).mean()), float((kept * (w <= within)).mean()),
            float((kept * (w <= complex_within)).mean()))


def _interval_kpis(rate: float, handle: float, servers: int, patience: float | None, within: float,
                   complex_within: float, carried: float, length: float, variance: float = 0.0,
                   ahead: np.ndarray | None = None, patient_share: float = 1.0,
                   alone: tuple[float, int] | None = None) -> Interval:
    """KPIs of one interval of `length` seconds that starts with `carried` (+- sqrt(variance)) questions
    waiting; rate in questions per second, handle in seconds, `servers` chat slots. `ahead`: the questions
    per second the queue's agents can answer in each following interval of the same length, for the wait
    behind a backlog (None: at this interval's pace throughout). `patient_share`: the share of viewers with
    that patience, the others wait for ever (a queue of markets with and without one). `alone`: for one
    queue of a pool, the (rate, servers) its own questions see once the backlog is gone: the servers that
    can answer it, as busy as the pool is."""
    own = math.inf if patience is None or not math.isfinite(patience) or patience <= 0 else float(patience)
    share = patient_share if math.isfinite(own) else 0.0
    # A waiting question leaves at rate share / patience: the queue's own patience.
    theta = own / share if share > 0 else math.inf
    capacity = servers / handle if handle > 0 else 0.0
    steady = None
    if servers > 0 and (rate < capacity or math.isfinite(theta)):
        r, n = alone if alone is not None and alone[1] > 0 else (rate, servers)
        steady = _kpis(r, handle, n, None if math.isinf(theta) else theta, within, complex_within)
    if steady is not None and rate >= capacity:
        # Overloaded with patience: the formula's steady state is where abandonment balances the excess, reached
        # within a few patiences; it hands on the fluid queue of that state (Poisson-like in spread).
        settle = float((rate - capacity) * theta)
        return Interval(steady, carried, settle, settle)
    if steady is not None and carried <= 1e-9:
        return Interval(steady, carried, 0.0, 0.0)
    if rate == 0 and servers == 0:
        return Interval(_kpis(0.0, max(handle, 1.0), 0, None, within, complex_within), carried, carried, variance)
    if rate == 0 and steady is not None:
        spare = capacity * length
        return Interval(steady, carried, max(carried - spare, 0.0), variance if carried > spare else 0.0)
    sd = math.sqrt(max(variance, 0.0))
    points = [carried] if sd <= 1e-9 else [max(carried + z * sd, 0.0) for z in _Z]
    weights = [1.0] if sd <= 1e-9 else list(_W)
    runs = [_sums(steady, rate, capacity, theta, within, complex_within, b, length, ahead, (share, own))
            for b in points]
    mean = lambda f: float(sum(w * f(r) for w, r in zip(weights, runs)))
    answered, wait = mean(lambda r: r.answered), mean(lambda r: r.wait)
    out = mean(lambda r: r.out)
    # What arrives and what is served in a growing interval are both random (Poisson-like): their counts add
    # to the spread of the queue handed on.
    noise = (rate + capacity) * length if math.isinf(theta) else (rate + capacity) * min(theta, length)
    var_out = max(mean(lambda r: r.out ** 2) - out ** 2, 0.0) + mean(lambda r: noise if r.grows else 0.0)
    if rate == 0:
        return Interval(_kpis(0.0, max(handle, 1.0), servers, None, within, complex_within), carried, out, var_out)
    k = erlang.Kpis(servers, 1.0, mean(lambda r: r.within), mean(lambda r: r.complex_within),
                    wait / answered if answered > 1e-12 else math.inf,
                    1.0 - answered if math.isfinite(theta) else 0.0, mean(lambda r: r.occupancy))
    return Interval(k, carried, out, var_out)


def _pressure(offered: float, handle: float, slots: float) -> tuple[int, float]:
    """How long a queue's questions wait with `slots` chat slots (fractional: between whole numbers the
    wait is interpolated), as a sort key: overloaded queues first, by their load per slot."""
    if offered <= 0:
        return (0, 0.0)
    if slots <= offered:
        return (1, offered / slots if slots > 0 else math.inf)
    low = math.floor(slots)
    f = slots - low

    def wait(n: int) -> float:
        return _kpis(offered / handle, handle, n, None, 60.0, 180.0).asa_seconds if n > offered else math.inf

    w_low, w_high = wait(low), wait(low + 1)
    return (0, w_high if math.isinf(w_low) else (1 - f) * w_low + f * w_high)


def allocate(groups: dict[tuple[str, ...], float], offered: dict[str, float], slots: dict[str, float],
             handle: dict[str, float]) -> tuple[dict[str, float], list[tuple[str, ...]]]:
    """Agents serving each queue in one step, and the sets of queues that agents ended up sharing.
    Single-queue agents serve theirs; agents who can answer several are dealt out in pieces (a tenth of
    their group, at least a tenth of an agent), each to the one of their queues whose questions wait longest
    (overloaded queues first): the desk's longest-waiting-first routing sends them where the wait is, so a
    bilingual agent counted in a busy queue still answers a quiet one at once. `offered`: work per queue in
    Erlangs, backlog included; `slots`: chat slots one agent gives the queue."""
    supply: dict[str, float] = defaultdict(float)
    flexible = []
    for queues, n in sorted(groups.items()):
        live = [q for q in queues if offered.get(q, 0.0) > 0]
        if len(live) <= 1:
            supply[(live or list(queues))[0]] += n
        else:
            flexible.append([live, n, set(), n])
    pressure = {q: _pressure(offered[q], handle[q], supply[q] * slots[q]) for g in flexible for q in g[0]}
    links = []
    while flexible:
        for group in flexible:
            live, left, given, _ = group
            piece = min(max(0.1, group[3] / 10), left)
            q = max(live, key=lambda q: pressure[q])
            supply[q] += piece
            given.add(q)
            pressure[q] = _pressure(offered[q], handle[q], supply[q] * slots[q])
            group[1] = left - piece
        links += [tuple(sorted(g[2])) for g in flexible if g[1] <= 1e-9 and len(g[2]) > 1]
        flexible = [g for g in flexible if g[1] > 1e-9]
    return supply, links


def _pools(queues, links: list[tuple[str, ...]]) -> list[list[str]]:
    """Queues joined by agents who ended up answering both: their questions wait about alike."""
    root = {q: q for q in queues}

    def find(q):
        while root[q] != q:
            root[q] = root[root[q]]
            q = root[q]
        return q

    for link in links:
        for q in link[1:]:
            root[find(q)] = find(link[0])
    pools: dict[str, list[str]] = defaultdict(list)
    for q in queues:
        pools[find(q)].append(q)
    return list(pools.values())


def predict(loads: dict, length: float, groups: list[dict[tuple[str, ...], float]], steps: int = 1
            ) -> dict[str, pd.DataFrame]:
    """Per queue (`QueueLoad`s by name) and interval: the KPIs viewers are predicted to get from the agents on
    duty, step after step, each starting with the backlog the one before left. `groups`: per step (`steps`
    to an interval of `length` seconds, so that two agents on break together show as the gap they are),
    agents on duty by the queues they can answer, as fractions of the step. Columns as `achieved`, plus
    `serving` (agents counted as answering the queue, on average) and `backlog` (questions waiting at the
    interval's start).

    Two passes: the first follows the queues forward (who serves where, what each step hands on); the
    second reads each step's waits against the capacity of the steps after it, which the first found."""
    sub = length / steps
    carried = {q: (0.0, 0.0) for q in loads}
    calls: list[dict[str, tuple]] = []
    first: list[dict[str, Interval]] = []
    capacity = {q: np.zeros(len(groups)) for q in loads}
    dealt: dict = {}  # the same agents and the same work deal out the same way (steps of one interval)
    for s, per in enumerate(groups):
        step = _step(loads, s // steps, per, sub, steps, carried, dealt)
        calls.append(step)
        first.append({})
        for q, (args, share, n) in step.items():
            r = first[-1][q] = interval_kpis(*args)
            carried[q] = (r.carried_out * share, r.variance_out * share)
            capacity[q][s] = args[2] / args[1] if args[1] > 0 else 0.0
    rows: dict[str, list] = {q: [] for q in loads}
    for i in range(len(groups) // steps):
        for q, load in loads.items():
            parts = []
            for s in range(i * steps, (i + 1) * steps):
                args, share, n = calls[s][q]
                k = first[s][q].kpis
                if args[6] > 1e-9 or args[2] == 0 and args[0] > 0:
                    # A backlog, or nobody on: the wait depends on the agents of the steps after this one.
                    k = interval_kpis(*args[:9], capacity[q][s + 1:], *args[10:]).kpis
                parts.append((k, n))
            k = _combine([k for k, _ in parts])
            start_args, share, _ = calls[i * steps][q]
            rows[q].append((k.asa_seconds, k.service_level, k.complex_service_level, k.abandon_rate, k.occupancy,
                            meets_targets(k, load, i), round(sum(n for _, n in parts) / len(parts), 4),
                            round(start_args[6] * share, 2)))
    return {q: pd.DataFrame(rows[q], columns=KPI_COLUMNS) for q in loads}


def _step(loads: dict, i: int, per: dict[tuple[str, ...], float], length: float, steps: int, carried: dict,
          dealt: dict) -> dict[str, tuple[tuple, float, float]]:
    """One step (`length` seconds, one of `steps` in interval `i`): who serves which queue, and per queue the
    arguments of its pool's `interval_kpis`, the queue's share of the pool's work, and its agents."""
    offered, slots, handle = {}, {}, {}
    for q, load in loads.items():
        handle[q] = float(load.handle_seconds[i]) or 1.0
        offered[q] = (load.arrivals[i] / steps + carried[q][0]) * handle[q] / length
        slots[q] = (1 - load.targets["shrinkage"][i]) * load.concurrency
    key = (i, tuple(sorted(per.items())), tuple(round(offered[q], 9) for q in loads))
    if key not in dealt:
        dealt.clear()
        dealt[key] = allocate(per, offered, slots, handle)
    supply, links = dealt[key]
    out = {}
    for pool in _pools(loads, links):
        # A pool of queues whose agents' time was split between them is one queue with their servers and
        # questions (the desk answers the longest-waiting of them first); a queue on its own is itself.
        arrivals = sum(loads[q].arrivals[i] for q in pool)
        rate = arrivals / (length * steps)
        mean_handle = sum(loads[q].arrivals[i] * handle[q] for q in pool) / arrivals if arrivals > 0 \
            else float(np.mean([handle[q] for q in pool]))
        servers = math.floor(sum(supply.get(q, 0.0) * slots[q] for q in pool) + 0.5)
        patient, leaving = 0.0, 0.0  # arrivals with a patience, and their rate of leaving (sum of 1 / patience)
        for q in pool:
            a = loads[q].arrivals[i] if arrivals > 0 else 1.0
            share, own = _patience(loads[q], i)
            if share > 0:
                patient += a * share
                leaving += a * share / own
        weight = arrivals if arrivals > 0 else float(len(pool))
        theta = patient / leaving if leaving > 0 else None
        backlog = sum(carried[q][0] for q in pool), sum(carried[q][1] for q in pool)
        work = sum(offered[q] for q in pool)
        busy = rate * mean_handle / servers if servers > 0 else 0.0
        for q in pool:
            t = loads[q].targets
            alone = None
            agents = sum(n for queues, n in per.items() if q in queues)
            if len(pool) > 1 and busy < 1:
                # Its questions find free only the slots of agents who can answer it, taken as busy as the
                # pool's: a small queue beside a big one waits longer than the pool's average.
                mine = math.floor(agents * slots[q] + 0.5)
                alone = (busy * mine / mean_handle, mine)
            away = float(t["shrinkage"][i])
            args = (rate, mean_handle, servers, theta, float(t["answer_within_seconds"][i]),
                    float(t["complex_answer_within_seconds"][i]), backlog[0], length, backlog[1], None,
                    patient / weight, alone, (away ** agents, away * length * steps) if agents > 0 else None)
            out[q] = (args, offered[q] / work if work > 0 else 1.0 / len(pool), supply.get(q, 0.0))
    return out


def _patience(load, i: int) -> tuple[float, float]:
    """The share of a queue's arrivals that leave when kept waiting, and their mean patience."""
    if load.patience_seconds[i] == load.patience_seconds[i]:
        return 1.0, float(load.patience_seconds[i])
    if load.patient_share is not None and load.patient_share[i] > 0:
        return float(load.patient_share[i]), float(load.patient_seconds[i])
    return 0.0, math.inf


def _combine(parts: list[erlang.Kpis]) -> erlang.Kpis:
    """An interval's KPIs from its steps (each an equal share of its arrivals); unstaffed throughout, its
    ASA is unbounded, as the formulas say, whatever the next agent will answer."""
    if len(parts) == 1:
        return parts[0]
    if all(k.servers == 0 for k in parts):
        return erlang.Kpis(0, 1.0, 0.0, 0.0, math.inf, float(np.mean([k.abandon_rate for k in parts])), 0.0)
    answered = [(1.0 - k.abandon_rate) if math.isfinite(k.asa_seconds) else 0.0 for k in parts]
    total = sum(answered)
    asa = sum(a * k.asa_seconds for a, k in zip(answered, parts) if a > 0) / total if total > 0 else math.inf
    mean = lambda f: sum(f(k) for k in parts) / len(parts)
    return erlang.Kpis(max(k.servers for k in parts), mean(lambda k: k.wait_probability),
                       mean(lambda k: k.service_level), mean(lambda k: k.complex_service_level), asa,
                       mean(lambda k: k.abandon_rate), mean(lambda k: k.occupancy))


KPI_COLUMNS = ["asa_seconds", "service_level", "complex_service_level", "abandon_rate", "occupancy", "targets_met",
               "serving", "backlog"]


def meets_targets(k: erlang.Kpis, load, i: int) -> bool:
    """Whether KPIs meet every target of the queue (`QueueLoad`) in interval `i`: the formulas' and the
    play's figures are judged by this one rule."""
    t = load.targets
    return erlang.meets(k, erlang.Targets(
        t["first_response_seconds"][i], t["service_level"][i], t["answer_within_seconds"][i],
        t["complex_answer_within_seconds"][i], t["max_abandon_rate"][i], t["max_occupancy"][i],
    ), with_patience=not np.isnan(load.patience_seconds[i]))
