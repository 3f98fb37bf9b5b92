"""Tests for scheduler.staffing.erlang: published values, independent cross-checks, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scheduler.staffing.erlang import Kpis, Targets, kpis, meets, required_servers
from scheduler.staffing.erlang_batch import required_servers_batch

INF = math.inf
LOOSE = dict(asa_seconds=INF, max_abandon_rate=1.0, max_occupancy=1.0)
CHAT = Targets(30.0, 0.8, 60.0, 180.0, 0.05, 0.85)
PROP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------- independent references


def erlang_c_direct(load: float, n: int) -> float:
    """Erlang C from its defining sum, in log space with lgamma (no recursion)."""
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(n)]
    logs.append(n * math.log(load) - math.lgamma(n + 1) + math.log(n / (n - load)))
    top = max(logs)
    total = sum(math.exp(v - top) for v in logs)
    return math.exp(logs[-1] - top) / total


def birth_death_stationary(lam, mu, theta, n, states):
    """Stationary law of the truncated M/M/n+M chain by solving pi Q = 0 directly."""
    q = np.zeros((states, states))
    for k in range(states):
        if k + 1 < states:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        q[k, k] = -q[k].sum()
    lhs = q.T.copy()
    lhs[-1, :] = 1.0
    rhs = np.zeros(states)
    rhs[-1] = 1.0
    return np.linalg.solve(lhs, rhs)


def tagged_customer(a, theta, m_states, t):
    """Absorbing chain of a waiting customer with i others ahead (i = 0..m_states-1).

    From i: someone ahead leaves (service or abandonment) at a + i theta, the
    customer abandons at theta; from 0 a service completion at rate a serves it.
    Returns P(served | i), P(served by t | i) (uniformisation), E[wait; served | i].
    """
    size = m_states
    tmat = np.zeros((size, size))
    for i in range(size):
        tmat[i, i] = -(a + i * theta + theta)
        if i > 0:
            tmat[i, i - 1] = a + i * theta
    to_served = np.zeros(size)
    to_served[0] = a
    h = np.linalg.solve(-tmat, to_served)
    g = np.linalg.solve(-tmat, h)
    # Uniformisation on transient states plus an absorbing "served" state.
    lam_u = float(-np.diag(tmat).min())
    p = np.eye(size) + tmat / lam_u
    served_step = to_served / lam_u
    mean = lam_u * t
    n_max = int(mean + 12 * math.sqrt(mean) + 50)
    # P(served by t | i) = sum_n Pois(n; mean) P(absorbed in served within n jumps | i)
    absorbed = np.zeros(size)
    cum = np.zeros(size)
    result = np.zeros(size)
    for step in range(n_max + 1):
        weight = math.exp(-mean + step * math.log(mean) - math.lgamma(step + 1)) if mean > 0 else float(step == 0)
        result += weight * cum
        absorbed = p @ absorbed + served_step  # P(served within step+1 jumps)
        cum = absorbed
    return h, result, g


def erlang_a_reference(rate, aht, patience, n, t1, t2, extra_states=600):
    """Erlang A KPIs from the generator matrix and the tagged-customer chain."""
    mu, theta = 1.0 / aht, 1.0 / patience
    pi = birth_death_stationary(rate, mu, theta, n, n + extra_states)
    assert pi[-1] < 1e-14, "reference truncation too short"
    pq = pi[n:]
    keep = int(np.flatnonzero(pq > 1e-18)[-1]) + 1
    pq = pq[:keep]
    h, sl1_q, g = tagged_customer(n * mu, theta, keep, t1)
    _, sl2_q, _ = tagged_customer(n * mu, theta, keep, t2)
    below = pi[:n].sum()
    served = below + pq @ h
    queue_len = np.arange(len(pi) - n) @ pi[n:]
    return dict(
        wait=pi[n:].sum(),
        abandon_balance=theta * queue_len / rate,
        abandon=pq @ (1.0 - h),
        sl1=below + pq @ sl1_q,
        sl2=below + pq @ sl2_q,
        asa=(pq @ g) / served,
        occupancy=(np.minimum(np.arange(len(pi)), n) @ pi) / n,
    )


# ---------------------------------------------------------------- published values


def test_published_erlang_c_example():
    # 100 contacts per 30 minutes, AHT 180 s (A = 10 Erl), 14 agents, 20 s threshold.
    k = kpis(100 / 1800, 180, 14, None, 20, 20)
    assert round(k.service_level, 4) == 0.8884
    assert round(k.wait_probability, 4) == 0.1741
    assert k.occupancy == pytest.approx(10 / 14)
    t = Targets(service_level=0.80, answer_within_seconds=20, complex_answer_within_seconds=20, **LOOSE)
    assert required_servers(100 / 1800, 180, None, t) == 14
    assert not meets(kpis(100 / 1800, 180, 13, None, 20, 20), t, False)
    assert meets(k, t, False)


def test_search_starts_from_the_bottom():
    # A = 31.2/h * 300 s = 2.6 Erl; round(A + 1) = 4 would overstaff.
    t = Targets(service_level=0.5, answer_within_seconds=600, complex_answer_within_seconds=600, **LOOSE)
    assert required_servers(31.2 / 3600, 300, None, t) == 3
    k3 = kpis(31.2 / 3600, 300, 3, None, 600, 600)
    assert k3.service_level == pytest.approx(0.6590, abs=1e-4)
    b = required_servers_batch(
        np.array([31.2 / 3600]), 300.0, np.nan, INF, 0.5, 600.0, 600.0, 1.0, 1.0
    )
    assert b.tolist() == [3]


# ------------------------------------------------------- Erlang C against direct sums


@pytest.mark.parametrize(
    "load,n",
    [(0.01, 1), (0.5, 1), (2.6, 3), (10.0, 14), (10.0, 11), (49.9, 50), (80.0, 95), (250.0, 251), (250.0, 280), (900.0, 960)],
)
def test_erlang_c_matches_direct_summation(load, n):
    aht = 240.0
    k = kpis(load / aht, aht, n, None, 45.0, 150.0)
    c = erlang_c_direct(load, n)
    assert k.wait_probability == pytest.approx(c, rel=1e-10, abs=1e-300)
    assert k.service_level == pytest.approx(1 - c * math.exp(-(n - load) * 45.0 / aht), rel=1e-10)
    assert k.complex_service_level == pytest.approx(1 - c * math.exp(-(n - load) * 150.0 / aht), rel=1e-10)
    assert k.asa_seconds == pytest.approx(c * aht / (n - load), rel=1e-10, abs=1e-300)
    assert k.occupancy == pytest.approx(load / n, rel=1e-15)
    assert k.abandon_rate == 0.0


def test_erlang_c_unstable_and_empty():
    k = kpis(10 / 180, 180, 10, None, 20, 60)  # N == A
    assert (k.wait_probability, k.service_level, k.complex_service_level, k.asa_seconds, k.occupancy) == (
        1.0, 0.0, 0.0, INF, 1.0)
    k = kpis(10 / 180, 180, 0, None, 20, 60)
    assert (k.wait_probability, k.service_level, k.asa_seconds, k.abandon_rate, k.occupancy) == (1.0, 0.0, INF, 0.0, 0.0)
    k = kpis(10 / 180, 180, 0, 90.0, 20, 60)
    assert (k.wait_probability, k.service_level, k.asa_seconds, k.abandon_rate, k.occupancy) == (1.0, 0.0, INF, 1.0, 0.0)
    for pat in (None, 90.0):
        assert kpis(0.0, 180, 5, pat, 20, 60) == Kpis(5, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0)
        assert kpis(0.0, 180, 0, pat, 20, 60) == Kpis(0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0)
        assert required_servers(0.0, 180, pat, CHAT) == 0


def test_exact_rational_erlang_c_small_case():
    # A = 13/5, N = 3 in exact rational arithmetic from the defining sums.
    from fractions import Fraction

    a, n = Fraction(13, 5), 3
    terms = [a**k / math.factorial(k) for k in range(n)]
    top = a**n / math.factorial(n) * n / (n - a)
    c = float(top / (sum(terms) + top))
    assert c == pytest.approx(0.758895, abs=1e-6)
    k = kpis(2.6 / 300, 300, 3, None, 0, 600)
    assert k.wait_probability == pytest.approx(c, rel=1e-13)
    assert k.service_level == pytest.approx(1 - c, rel=1e-13)  # threshold 0: SL = 1 - C
    assert k.complex_service_level == pytest.approx(1 - c * math.exp(-0.4 * 2), rel=1e-13)


# ------------------------------------------------- Erlang A against the generator


@pytest.mark.parametrize(
    "chats_per_hour,aht,patience,n",
    [
        (200.0, 180.0, 120.0, 10),  # A = 10, comfortably staffed
        (200.0, 180.0, 120.0, 7),  # overloaded, abandonment carries it
        (31.2, 300.0, 60.0, 2),
        (600.0, 300.0, 180.0, 45),  # A = 50, under-staffed
        (600.0, 120.0, 90.0, 22),
        (5.0, 240.0, 30.0, 1),
        (3000.0, 300.0, 120.0, 250),  # A = 250 Erl
    ],
)
def test_erlang_a_matches_generator_and_tagged_chain(chats_per_hour, aht, patience, n):
    rate = chats_per_hour / 3600
    k = kpis(rate, aht, n, patience, 60.0, 180.0)
    ref = erlang_a_reference(rate, aht, patience, n, 60.0, 180.0)
    assert k.wait_probability == pytest.approx(ref["wait"], rel=1e-9, abs=1e-13)
    assert k.abandon_rate == pytest.approx(ref["abandon_balance"], rel=1e-9, abs=1e-13)
    assert k.abandon_rate == pytest.approx(ref["abandon"], rel=1e-9, abs=1e-13)
    assert k.service_level == pytest.approx(ref["sl1"], rel=1e-8, abs=1e-11)
    assert k.complex_service_level == pytest.approx(ref["sl2"], rel=1e-8, abs=1e-11)
    assert k.asa_seconds == pytest.approx(ref["asa"], rel=1e-8)
    assert k.occupancy == pytest.approx(ref["occupancy"], rel=1e-9)
    # Little's law on the servers: carried load = offered load x (1 - abandonment)
    assert k.occupancy == pytest.approx(rate * aht * (1 - k.abandon_rate) / n, rel=1e-9)


def test_erlang_a_seeded_monte_carlo():
    """A crude event simulation of M/M/n+M agrees with the closed forms (3 sigma)."""
    rng = np.random.default_rng(7)
    rate, aht, patience, n, t = 120 / 3600, 240.0, 90.0, 8, 60.0
    k = kpis(rate, aht, n, patience, t, t)
    count = 60_000
    arrivals = np.cumsum(rng.exponential(1 / rate, count))
    services = rng.exponential(aht, count)
    patiences = rng.exponential(patience, count)
    free_at = np.zeros(n)  # FCFS with abandonment: an arrival's service start is the
    waits = np.empty(count)  # earliest free server time, unless patience runs out first.
    served = np.zeros(count, bool)
    for i in range(count):
        j = int(np.argmin(free_at))
        start = max(arrivals[i], free_at[j])
        w = start - arrivals[i]
        waits[i] = w
        if w <= patiences[i]:
            served[i] = True
            free_at[j] = start + services[i]
    warm = count // 10
    sv, wt = served[warm:], waits[warm:]
    sl = np.mean(sv & (wt <= t))
    ab = 1 - sv.mean()
    se = lambda p: math.sqrt(p * (1 - p) / sv.size) * 4  # generous for autocorrelation
    assert abs(sl - k.service_level) < 3 * se(k.service_level)
    assert abs(ab - k.abandon_rate) < 3 * se(k.abandon_rate)
    assert np.mean(wt[sv]) == pytest.approx(k.asa_seconds, rel=0.1)


@pytest.mark.parametrize("load,n", [(10.0, 12), (10.0, 14), (50.0, 55), (250.0, 262)])
def test_erlang_a_tends_to_erlang_c(load, n):
    aht = 200.0
    c = kpis(load / aht, aht, n, None, 20, 90)
    a = kpis(load / aht, aht, n, 1e9, 20, 90)
    assert a.wait_probability == pytest.approx(c.wait_probability, rel=1e-5)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-5)
    assert a.complex_service_level == pytest.approx(c.complex_service_level, rel=1e-5)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-5)
    assert a.abandon_rate < 1e-5
    # ... and a short patience really changes things
    short = kpis(load / aht, aht, n, 30.0, 20, 90)
    assert short.abandon_rate > 1e-3 and short.asa_seconds < c.asa_seconds


@pytest.mark.parametrize("load,n", [(10.0, 12), (3.0, 2), (40.0, 45)])
def test_erlang_a_tends_to_erlang_b_as_patience_vanishes(load, n):
    # Zero patience turns M/M/n+M into the loss system M/M/n/n: abandon -> Erlang B.
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(n + 1)]
    top = max(logs)
    erlang_b = math.exp(logs[-1] - top) / sum(math.exp(v - top) for v in logs)
    aht = 180.0
    k = kpis(load / aht, aht, n, 1e-6, 20, 90)
    assert k.abandon_rate == pytest.approx(erlang_b, rel=1e-6)
    assert k.service_level == pytest.approx(1 - erlang_b, rel=1e-6)
    assert k.asa_seconds < 1e-6
    assert k.occupancy == pytest.approx(load * (1 - erlang_b) / n, rel=1e-6)


def test_infinite_or_nan_patience_is_erlang_c():
    for p in (None, math.nan, math.inf):
        assert kpis(0.05, 180, 12, p, 20, 60) == kpis(0.05, 180, 12, None, 20, 60)
        assert required_servers(0.05, 180, p, CHAT) == required_servers(0.05, 180, None, CHAT)


def test_abandonment_target_binds_only_with_patience():
    rate, aht, patience = 300 / 3600, 240.0, 45.0
    strict = Targets(INF, 0.0, 60, 180, 0.01, 1.0)
    n_a = required_servers(rate, aht, patience, strict)
    assert kpis(rate, aht, n_a, patience, 60, 180).abandon_rate <= 0.01
    assert kpis(rate, aht, n_a - 1, patience, 60, 180).abandon_rate > 0.01
    assert required_servers(rate, aht, None, strict) == math.floor(rate * aht) + 1


# --------------------------------------------------------------- load extremes


def test_huge_load_is_stable():
    rate, aht = 3000 / 3600, 300.0  # A = 250 Erl
    n = required_servers(rate, aht, None, CHAT)
    assert 250 < n < 300
    k = kpis(rate, aht, n, None, 60, 180)
    assert all(math.isfinite(v) for v in (k.wait_probability, k.service_level, k.asa_seconds))
    assert meets(k, CHAT, False) and not meets(kpis(rate, aht, n - 1, None, 60, 180), CHAT, False)
    n_a = required_servers(rate, aht, 120.0, CHAT)
    assert 200 < n_a <= n + 2
    ka = kpis(rate, aht, n_a, 120.0, 60, 180)
    assert all(math.isfinite(v) and 0 <= v for v in (ka.wait_probability, ka.service_level, ka.asa_seconds, ka.abandon_rate))
    # Thousands of Erlangs stay finite too (factorials would have overflowed long ago).
    kb = kpis(20000 / 3600, 600.0, 3400, None, 20, 60)
    assert 0 < kb.wait_probability < 1 and math.isfinite(kb.asa_seconds)
    assert kpis(20000 / 3600, 600.0, 3400, 300.0, 20, 60).service_level > kb.service_level - 0.5


@pytest.mark.parametrize("patience", [None, 60.0, 180.0])
def test_tiny_load(patience):
    interval = 900.0
    assert required_servers(0.0 / interval, 300, patience, CHAT) == 0
    rate = 0.01 / interval
    assert required_servers(rate, 300, patience, CHAT) == 1
    k = kpis(rate, 300, 1, patience, 60, 180)
    load = rate * 300
    # M/M/1: P(wait) = A exactly; with patience slightly less (abandonment thins the queue)
    if patience is None:
        assert k.wait_probability == pytest.approx(load, rel=1e-12)
    else:
        assert load * 0.99 < k.wait_probability < load
    assert 0.99 < k.service_level < 1.0
    assert 0 < k.asa_seconds < 2.0
    b = required_servers_batch(np.array([0.0, rate, 1e-12]), 300.0, np.nan if patience is None else patience,
                               30.0, 0.8, 60.0, 180.0, 0.05, 0.85)
    assert b.tolist() == [0, 1, 1]


@settings(max_examples=15, deadline=None)
@given(per_hour=st.floats(min_value=1500.0, max_value=3000.0), aht=st.floats(min_value=120.0, max_value=300.0),
       patience=st.one_of(st.none(), st.floats(min_value=30.0, max_value=600.0)))
def test_property_huge_loads_stay_finite(per_hour, aht, patience):
    rate = per_hour / 3600
    load = rate * aht
    n = required_servers(rate, aht, patience, CHAT)
    if patience is None:
        assert load < n < load + 10 * math.sqrt(load) + 10
    else:
        assert 0.5 * load < n < load + 10 * math.sqrt(load) + 10
    for m in (n - 1, n, n + 1):
        k = kpis(rate, aht, m, patience, 60, 180)
        assert all(0.0 <= v <= 1.0 for v in (k.wait_probability, k.service_level, k.abandon_rate, k.occupancy))
        assert math.isfinite(k.asa_seconds) or (patience is None and m <= load)
    assert meets(kpis(rate, aht, n, patience, 60, 180), CHAT, patience is not None)


@PROP
@given(per_interval=st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=0.01)),
       aht=st.floats(min_value=120.0, max_value=300.0),
       patience=st.one_of(st.none(), st.floats(min_value=30.0, max_value=600.0)))
def test_property_tiny_loads(per_interval, aht, patience):
    rate = per_interval / 900.0
    n = required_servers(rate, aht, patience, CHAT)
    assert n == (0 if per_interval == 0.0 else 1)
    k = kpis(rate, aht, 1, patience, 60, 180)
    assert 0.99 <= k.service_level <= 1.0 and 0.0 <= k.asa_seconds < 5.0 and k.abandon_rate < 0.01


def test_rejects_bad_input():
    with pytest.raises(ValueError, match=r"rate_per_second must be finite and >= 0, got -1.0"):
        kpis(-1.0, 180, 3, None, 20, 20)
    with pytest.raises(ValueError, match=r"aht_seconds must be finite and > 0 when rate > 0"):
        kpis(1.0, 0.0, 3, None, 20, 20)
    with pytest.raises(ValueError, match=r"patience_seconds must be > 0"):
        kpis(1.0, 180, 3, 0.0, 20, 20)
    with pytest.raises(ValueError, match=r"service_level must be in \[0, 1\], got 1.5"):
        required_servers(1.0, 180, None, Targets(20, 1.5, 20, 20, 0.1, 0.8))
    with pytest.raises(ValueError, match=r"max_occupancy must be > 0, got 0.0"):
        required_servers(1.0, 180, None, Targets(20, 0.8, 20, 20, 0.1, 0.0))
    with pytest.raises(ValueError, match=r"invalid input at flat index 1: rate=.*nan"):
        required_servers_batch([1.0, math.nan], 180, math.nan, 20, 0.8, 20, 20, 0.1, 0.8)


# ------------------------------------------------------------------- batch search


def test_batch_shape_and_published_case():
    rate = np.array([[100 / 1800, 0.0], [31.2 / 3600, 100 / 1800]])
    out = required_servers_batch(rate, np.array([[180.0, 180.0], [300.0, 180.0]]), np.nan,
                                 np.array([[INF, INF], [INF, INF]]), np.array([[0.8, 0.8], [0.5, 0.8]]),
                                 np.array([[20.0, 20.0], [600.0, 20.0]]), np.array([[20.0, 20.0], [600.0, 20.0]]),
                                 1.0, 1.0)
    assert out.dtype == np.int64 and out.shape == (2, 2)
    assert out.tolist() == [[14, 0], [3, 14]]


def test_batch_resolves_exact_ties_like_the_scalar():
    # occupancy exactly at the cap (8.5/10 == 0.85) and SL targets equal to a computed SL
    t_tie = kpis(8.5 / 200, 200, 12, None, 30, 90).service_level
    cases = [(8.5 / 200, 200.0, Targets(INF, 0.0, 30, 90, 1.0, 0.85)),
             (8.5 / 200, 200.0, Targets(INF, t_tie, 30, 90, 1.0, 1.0)),
             (8.5 / 200, 200.0, Targets(INF, math.nextafter(t_tie, 1.0), 30, 90, 1.0, 1.0))]
    expect = [10, 12, 13]
    for (rate, aht, t), e in zip(cases, expect):
        assert required_servers(rate, aht, None, t) == e
        got = required_servers_batch(rate, aht, np.nan, t.asa_seconds, t.service_level, t.answer_within_seconds,
                                     t.complex_answer_within_seconds, t.max_abandon_rate, t.max_occupancy)
        assert int(got) == e


# --------------------------------------------------------------------- properties

loads = st.floats(min_value=0.005, max_value=120.0)
ahts = st.floats(min_value=60.0, max_value=600.0)
patiences = st.one_of(st.none(), st.floats(min_value=5.0, max_value=3600.0))
thresholds = st.floats(min_value=0.0, max_value=900.0)


@st.composite
def target_sets(draw):
    t1 = draw(thresholds)
    return Targets(
        asa_seconds=draw(st.one_of(st.just(INF), st.floats(min_value=1.0, max_value=600.0))),
        service_level=draw(st.floats(min_value=0.0, max_value=0.99)),
        answer_within_seconds=t1,
        complex_answer_within_seconds=draw(st.floats(min_value=t1, max_value=max(t1, 900.0))),
        max_abandon_rate=draw(st.floats(min_value=0.005, max_value=1.0)),
        max_occupancy=draw(st.floats(min_value=0.3, max_value=1.0)),
    )


@PROP
@given(load=loads, aht=ahts, patience=patiences, t1=thresholds, t2=thresholds, extra=st.integers(-3, 25))
def test_more_servers_never_worse(load, aht, patience, t1, t2, extra):
    n = max(0, math.floor(load) + extra)
    lo = kpis(load / aht, aht, n, patience, t1, t2)
    hi = kpis(load / aht, aht, n + 1, patience, t1, t2)
    eps = 1e-12
    assert hi.service_level >= lo.service_level - eps
    assert hi.complex_service_level >= lo.complex_service_level - eps
    assert hi.wait_probability <= lo.wait_probability + eps
    assert hi.abandon_rate <= lo.abandon_rate + eps
    assert hi.asa_seconds <= lo.asa_seconds * (1 + 1e-9) + eps
    if n > 0 and patience is not None:  # Erlang A occupancy also falls with N
        assert hi.occupancy <= lo.occupancy + eps
    for v in (hi.service_level, hi.complex_service_level, hi.wait_probability, hi.abandon_rate, hi.occupancy):
        assert 0.0 <= v <= 1.0
    if t2 >= t1:
        assert hi.complex_service_level >= hi.service_level - eps


@PROP
@given(load=loads, aht=ahts, patience=patiences, t=target_sets(), factor=st.floats(min_value=1.0, max_value=3.0))
def test_more_arrivals_never_need_fewer_servers(load, aht, patience, t, factor):
    assume(load * factor <= 150.0)
    n1 = required_servers(load / aht, aht, patience, t)
    n2 = required_servers(load * factor / aht, aht, patience, t)
    assert n2 >= n1


@PROP
@given(load=loads, aht=ahts, patience=patiences, t=target_sets())
def test_required_servers_is_the_smallest_meeting_n(load, aht, patience, t):
    rate = load / aht
    n = required_servers(rate, aht, patience, t)
    with_p = patience is not None
    k = kpis(rate, aht, n, patience, t.answer_within_seconds, t.complex_answer_within_seconds)
    assert meets(k, t, with_p)
    bottom = 1 if with_p else math.floor(rate * aht) + 1  # A as the module sees it
    assert n >= bottom
    for m in range(bottom, n):  # linear scan from the bottom: none of these meet
        km = kpis(rate, aht, m, patience, t.answer_within_seconds, t.complex_answer_within_seconds)
        assert not meets(km, t, with_p)


@st.composite
def cells(draw):
    size = draw(st.integers(1, 25))
    rows = []
    for _ in range(size):
        load = draw(st.one_of(st.just(0.0), loads))
        aht = draw(ahts)
        pat = draw(patiences)
        t = draw(target_sets())
        rows.append((load / aht, aht, math.nan if pat is None else pat, t))
    return rows


@PROP
@given(rows=cells())
def test_batch_equals_scalar(rows):
    cols = list(zip(*rows))
    ts = cols[3]
    got = required_servers_batch(
        np.array(cols[0]), np.array(cols[1]), np.array(cols[2]),
        np.array([t.asa_seconds for t in ts]), np.array([t.service_level for t in ts]),
        np.array([t.answer_within_seconds for t in ts]), np.array([t.complex_answer_within_seconds for t in ts]),
        np.array([t.max_abandon_rate for t in ts]), np.array([t.max_occupancy for t in ts]),
    )
    want = [required_servers(r, a, None if math.isnan(p) else p, t) for r, a, p, t in rows]
    assert got.dtype == np.int64
    assert got.tolist() == want


def test_batch_equals_scalar_on_a_realistic_grid():
    rng = np.random.default_rng(3)
    size = 400
    rate = rng.uniform(0, 600, size) / 3600
    rate[rng.random(size) < 0.1] = 0.0
    aht = rng.uniform(120, 300, size)
    pat = np.where(rng.random(size) < 0.5, np.nan, rng.uniform(60, 180, size))
    got = required_servers_batch(rate, aht, pat, 30.0, 0.8, 60.0, 180.0, 0.05, 0.85)
    want = [required_servers(r, a, None if math.isnan(p) else p, CHAT) for r, a, p in zip(rate, aht, pat)]
    assert got.tolist() == want
    assert got.max() > 20
