"""Exact staffing formulas for a chat desk: Erlang C (M/M/N) and Erlang A (M/M/N+M).
The vectorised search over a whole week is `erlang_batch.required_servers_batch`.

Why these models
----------------
* Erlang C (Erlang 1917; any teletraffic text, e.g. V. B. Iversen, *Teletraffic
  Engineering and Network Planning*, DTU / ITU-D handbook, ch. 12) is the industry
  reference for "N agents, Poisson arrivals, exponential handling, nobody leaves".
  It is what published staffing examples use, so reproducing them keeps the
  planner comparable with other tools.
* Erlang A (Palm 1943; Garnett, Mandelbaum & Reiman, "Designing a call center with
  impatient customers", M&SOM 4(3), 2002; Mandelbaum & Zeltyn, "The M/M/n+G queue:
  summary of performance measures", Technion note, 2009) adds exponential patience.
  Chat users do leave, and ignoring that overstaffs; when the patience is known we
  use it.

Numerics
--------
Factorials are never formed.  Erlang C goes through the Erlang-B recursion
B(k) = A B(k-1) / (k + A B(k-1)), which stays in [0, 1] and is forward-stable
(Jagerman, "Some properties of the Erlang loss function", BSTJ 53, 1974), so loads of
thousands of chats an hour and loads of 0.01 chats both work.  Erlang A uses the same
recursion for the "no queue" block of the stationary distribution and log-space
cumulative sums for the queue block and for the waiting-time series.

Staffing search
---------------
Every KPI is monotone in the number of servers, so "smallest N meeting every target"
is a search from the bottom.  The bottom matters: the common shortcut of starting at
round(A + 1) overstaffs (31.2 chats/h, AHT 300 s, 50 % within 600 s needs 3, not 4).
For Erlang C the bottom is the smallest stable N, floor(A) + 1; Erlang A is stable
for every N, and we start at 1 (a positive arrival stream with nobody to answer it is
never an acceptable rota, whatever the targets say).

Units: rates are arrivals per second, every time in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Targets", "Kpis", "kpis", "meets", "required_servers"]


@dataclass(frozen=True)
class Targets:
    """The strictest service targets that apply to one queue in one interval.

    They are ANDed (a rota must satisfy all at once), which is how contact-centre
    contracts are written; abandonment is only binding when patience is known,
    because without a patience model the abandonment rate is not predicted at all.
    """

    asa_seconds: float
    service_level: float
    answer_within_seconds: float
    complex_answer_within_seconds: float
    max_abandon_rate: float
    max_occupancy: float


@dataclass(frozen=True)
class Kpis:
    """Steady-state KPIs of one queue staffed with ``servers`` agents.

    Service levels count abandoned arrivals as failures (the share of *all*
    arrivals answered in time), the stricter of the two usual conventions, so a
    model with abandonment cannot look better simply because impatient users left.
    ``asa_seconds`` is the mean wait of answered arrivals including the zero waits
    of those answered at once (the usual ACD definition of ASA).
    """

    servers: int
    wait_probability: float
    service_level: float
    complex_service_level: float
    asa_seconds: float
    abandon_rate: float
    occupancy: float


# Relative/absolute band inside which the vectorised Erlang C search defers to the
# scalar code: numpy's SIMD exp may differ from libm's by an ulp, and we promise
# identical answers, so near-ties are settled by the scalar path.
_TIE_TOL = 1e-9
# log of the relative weight below which queue states are dropped (e^-46 ~ 1e-20).
_LOG_NEGLIGIBLE = 46.0
# Erlang A queue states we are willing to hold in memory for one evaluation.  Only
# reached for absurd patience (days) combined with a heavily overloaded N.
_MAX_QUEUE_STATES = 2_000_000
# Occupancy targets implying more servers than this are treated as input errors.
_MAX_SERVERS = 1_000_000


# --------------------------------------------------------------------------- helpers


def _has_patience(patience_seconds: float | None) -> bool:
    """None, NaN and +inf all mean 'no abandonment model' (theta = 0 is Erlang C)."""
    return patience_seconds is not None and math.isfinite(patience_seconds)


def _check_load(rate: float, aht: float, patience: float | None) -> None:
    if not (math.isfinite(rate) and rate >= 0.0):
        raise ValueError(f"rate_per_second must be finite and >= 0, got {rate!r}")
    if rate > 0.0 and not (math.isfinite(aht) and aht > 0.0):
        raise ValueError(f"aht_seconds must be finite and > 0 when rate > 0, got {aht!r}")
    if patience is not None and not math.isnan(patience) and not patience > 0.0:
        raise ValueError(f"patience_seconds must be > 0 (or None/NaN/inf), got {patience!r}")


def _check_threshold(name: str, t: float) -> None:
    if not (math.isfinite(t) and t >= 0.0):
        raise ValueError(f"{name} must be finite and >= 0, got {t!r}")


def _check_targets(t: Targets) -> None:
    if math.isnan(t.asa_seconds) or t.asa_seconds < 0.0:
        raise ValueError(f"asa_seconds must be >= 0 (inf = no target), got {t.asa_seconds!r}")
    if not 0.0 <= t.service_level <= 1.0:
        raise ValueError(f"service_level must be in [0, 1], got {t.service_level!r}")
    _check_threshold("answer_within_seconds", t.answer_within_seconds)
    _check_threshold("complex_answer_within_seconds", t.complex_answer_within_seconds)
    if math.isnan(t.max_abandon_rate) or t.max_abandon_rate < 0.0:
        raise ValueError(f"max_abandon_rate must be >= 0, got {t.max_abandon_rate!r}")
    if math.isnan(t.max_occupancy) or not t.max_occupancy > 0.0:
        raise ValueError(f"max_occupancy must be > 0, got {t.max_occupancy!r}")


def _server_cap(load: float, max_occupancy: float) -> int:
    """An N past which no attainable target can still be unmet.

    Beyond A + 100 sqrt(A) + 1000 servers P(wait) is far below the smallest double,
    so SL is exactly 1 and ASA / abandonment exactly 0 in floating point; the
    occupancy cap adds its own floor A / max_occupancy.  Reaching the cap without
    meeting the targets therefore means the targets are unattainable.
    """
    n_occ = load / max_occupancy if max_occupancy < 1.0 else load
    if n_occ > _MAX_SERVERS:
        raise ValueError(
            f"max_occupancy {max_occupancy!r} at load {load!r} Erl implies more than "
            f"{_MAX_SERVERS} servers"
        )
    return int(math.ceil(n_occ)) + int(math.ceil(100.0 * math.sqrt(load))) + 1000


def _zero_kpis(servers: int) -> Kpis:
    """No arrivals: nobody waits, nobody leaves, everything is answered in time."""
    return Kpis(servers, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0)


def _erlang_b(load: float, servers: int) -> float:
    """Erlang-B blocking probability by the stable recursion (Jagerman 1974)."""
    b = 1.0
    for k in range(1, servers + 1):
        ab = load * b
        b = ab / (k + ab)
    return b


# ------------------------------------------------------------------------- Erlang C


def _erlang_c_values(load, aht, n, b, s1, s2):
    """KPIs of a *stable* M/M/n (n > A) given B = ErlangB(n, A).

    C = n B / (n - A (1 - B)) is the textbook link between the Erlang B and C
    formulas (Iversen, ch. 12); the waiting time of an M/M/n FCFS queue is 0 with
    probability 1 - C and otherwise exponential with rate n mu - lambda, which gives
    SL(t) = 1 - C exp(-(n - A) t / AHT) and ASA = C AHT / (n - A) (Gans, Koole &
    Mandelbaum, "Telephone call centers: tutorial, review, and research prospects",
    M&SOM 5(2), 2003, sec. 4.1).  ``s1``/``s2`` are the thresholds divided by AHT.

    The arithmetic is written once and used both for scalars and for numpy arrays
    (same operations in the same order), which keeps the scalar and the vectorised
    searches bit-compatible apart from exp().
    """
    d = n - load
    c = n * b / (n - load * (1.0 - b))
    asa = c * aht / d
    sl1 = 1.0 - c * _exp(-d * s1)
    sl2 = 1.0 - c * _exp(-d * s2)
    return c, sl1, sl2, asa


def _exp(x):
    return np.exp(x) if isinstance(x, np.ndarray) else math.exp(x)


def _erlang_c_kpis(rate, aht, n, t1, t2) -> Kpis:
    load = rate * aht
    if n == 0:
        return Kpis(0, 1.0, 0.0, 0.0, math.inf, 0.0, 0.0)
    if n <= load:
        # Unstable (lambda >= n mu): the queue grows without bound, so in steady state
        # every arrival waits, the mean wait is infinite and the servers never idle.
        return Kpis(n, 1.0, 0.0, 0.0, math.inf, 0.0, min(load / n, 1.0))
    b = _erlang_b(load, n)
    c, sl1, sl2, asa = _erlang_c_values(load, aht, n, b, t1 / aht, t2 / aht)
    return Kpis(n, c, sl1, sl2, asa, 0.0, load / n)


def _c_ok(asa, sl1, sl2, occ, t: Targets) -> bool:
    return (
        asa <= t.asa_seconds
        and sl1 >= t.service_level
        and sl2 >= t.service_level
        and occ <= t.max_occupancy
    )


def _search_c(rate, aht, t: Targets, cap: int) -> int | None:
    """Smallest stable N meeting ``t`` under Erlang C: one pass of the B recursion."""
    load = rate * aht
    n_lo = math.floor(load) + 1
    s1 = t.answer_within_seconds / aht
    s2 = t.complex_answer_within_seconds / aht
    b = 1.0
    for k in range(1, cap + 1):
        ab = load * b
        b = ab / (k + ab)
        if k >= n_lo:
            _, sl1, sl2, asa = _erlang_c_values(load, aht, k, b, s1, s2)
            if _c_ok(asa, sl1, sl2, load / k, t):
                return k
    return None


# ------------------------------------------------------------------------- Erlang A


class _ErlangAState:
    """Stationary distribution of M/M/n+M as seen by arrivals (PASTA).

    Birth-death chain (Palm; Garnett et al. 2002, eq. (2)): below n it is the
    Erlang-B block pi_k ~ A^k/k!, above n pi_{n+j} = pi_n prod_{i<=j} lam/(n mu + i theta).
    The block k <= n is summed through 1/B(n, A) = sum_{k<=n} (A^k/k!)/(A^n/n!),
    so only B (in [0, 1]) and the log of the queue products are ever formed.
    The queue is truncated once a state's weight is e^-46 below the peak; the peak
    sits at max(0, (lam - n mu)/theta) and the weights fall like a Gaussian of
    variance ~ lam/theta after it (and at least geometrically with ratio
    lam/(n mu) when n mu > lam), which sizes the first, generous, cut.
    """

    __slots__ = ("n", "a", "theta", "load", "p_below", "pi_q", "inv", "idle")

    def __init__(self, lam: float, aht: float, theta: float, n: int):
        load = lam * aht
        a = n / aht  # total service rate n mu
        b = _erlang_b(load, n)
        i0 = max(0.0, (lam - a) / theta)
        jmax = i0 + 20.0 * math.sqrt(lam / theta + 1.0) + 50.0
        if a > lam:
            rho = lam / a
            jmax = min(jmax, (-_LOG_NEGLIGIBLE + math.log1p(-rho)) / math.log(rho) + 1.0)
        if jmax > _MAX_QUEUE_STATES:
            raise ValueError(
                "Erlang A queue too long to evaluate exactly (patience of "
                f"{1.0 / theta:.3g} s at {load:.3g} Erl with {n} servers); "
                "use patience=None (Erlang C) for such patience"
            )
        jmax = int(math.ceil(jmax))
        j = np.arange(1, jmax + 1, dtype=np.float64)
        logr = np.empty(jmax + 1)
        logr[0] = 0.0
        np.cumsum(np.log(lam / (a + j * theta)), out=logr[1:])
        peak = float(logr.max())
        keep = np.flatnonzero(logr >= peak - _LOG_NEGLIGIBLE)[-1] + 1
        q = np.exp(logr[:keep] - peak)
        e_peak = math.exp(-peak)
        denom = (1.0 - b) * e_peak + b * float(q.sum())
        self.n = n
        self.a = a
        self.theta = theta
        self.load = load
        self.p_below = (1.0 - b) * e_peak / denom
        # E[idle servers]: the block k <= n is a truncated Poisson with mean A(1 - B),
        # so sum_{k<=n} (n - k) pi_k = (n - A(1 - B)) pi_n / B.
        self.idle = (n - load * (1.0 - b)) * e_peak / denom
        self.pi_q = q * (b / denom)  # pi_{n+m}, m = 0..keep-1
        # 1 / (a + (m+1) theta): rate at which a customer with m ahead stops waiting.
        self.inv = 1.0 / (a + np.arange(1, keep + 1, dtype=np.float64) * theta)

    def occupancy(self) -> float:
        """Busy servers / n as 1 - E[idle]/n.

        Equal to A (1 - abandon) / n by Little's law on the servers (the form usually
        quoted), but this form keeps full relative accuracy near 1, where overloaded
        desks sit, so occupancy stays monotone in n to the last bit.
        """
        return min(max(1.0 - self.idle / self.n, 0.0), 1.0)

    def served_parts(self):
        """P(eventually served | m ahead) = a / (a + (m+1) theta).

        The virtual wait with m ahead is V = sum_{i=0..m} Exp(a + i theta) (each
        step ends with a service completion or an abandonment ahead), and the
        arrival is served iff its own patience exceeds V, so
        P = E[exp(-theta V)] = prod_i (a + i theta)/(a + (i+1) theta), which telescopes.
        """
        ps = self.a * self.inv
        ab = (np.arange(1, ps.size + 1, dtype=np.float64) * self.theta) * self.inv
        abandon = float(np.dot(self.pi_q, ab))
        served = self.p_below + float(np.dot(self.pi_q, ps))
        return ps, abandon, served

    def asa(self, ps, served: float) -> float:
        """E[wait; served | m] = P(served | m) sum_{i=0..m} 1/(a + (i+1) theta).

        Conditioning the sum of exponential stages on "patience outlasts them" tilts
        stage i to rate a + (i+1) theta (memorylessness), hence the harmonic-like sum.
        """
        if served <= 0.0:
            return math.inf
        h = np.cumsum(self.inv)
        return float(np.dot(self.pi_q * ps, h)) / served

    def service_level(self, t: float, ps) -> float:
        """P(answered within t) over all arrivals, abandonment = failure.

        With x = 1 - e^{-theta t} and b = a/theta + 1, the density of V (see
        ``served_parts``) is prod_j (a + j theta)/(theta^m m!) e^{-a v}(1 - e^{-theta v})^m;
        integrating e^{-theta v} (own patience survives) against it from 0 to t gives
        P(served within t | m) = a/(a + (m+1) theta) * I_x(m+1, b), and for an integer
        first argument I_x(m+1, b) = 1 - sum_{k<=m} NegBin_k(b, x) with
        NegBin_k = Gamma(b+k)/(Gamma(b) k!) (1-x)^b x^k.  The terms are summed in log
        space because (1-x)^b = exp(-(a + theta) t) underflows for large desks.
        """
        x = -math.expm1(-self.theta * t)
        if x <= 0.0:  # t == 0 (or so small that theta t underflows)
            return self.p_below  # the wait of a queued arrival is > 0 a.s.
        m = self.pi_q.size
        bb = self.a / self.theta + 1.0
        logt = np.empty(m)
        logt[0] = -(self.a + self.theta) * t  # b log(1 - x)
        if m > 1:
            k = np.arange(1, m, dtype=np.float64)
            np.cumsum(np.log((bb - 1.0 + k) / k) + math.log(x), out=logt[1:])
            logt[1:] += logt[0]
        cdf = np.cumsum(np.exp(logt))
        tail = np.maximum(1.0 - cdf, 0.0)
        return self.p_below + float(np.dot(self.pi_q * ps, tail))


def _erlang_a_kpis(rate, aht, patience, n, t1, t2) -> Kpis:
    if n == 0:
        return Kpis(0, 1.0, 0.0, 0.0, math.inf, 1.0, 0.0)
    st = _ErlangAState(rate, aht, 1.0 / patience, n)
    ps, abandon, served = st.served_parts()
    return Kpis(
        servers=n,
        wait_probability=float(st.pi_q.sum()),
        service_level=st.service_level(t1, ps),
        complex_service_level=st.service_level(t2, ps),
        asa_seconds=st.asa(ps, served),
        abandon_rate=abandon,
        occupancy=st.occupancy(),
    )


def _a_ok(rate, aht, theta, n, t: Targets) -> bool:
    """meets(kpis(...), t, True), computing the cheap KPIs first and stopping early."""
    st = _ErlangAState(rate, aht, theta, n)
    ps, abandon, served = st.served_parts()
    if abandon > t.max_abandon_rate or st.occupancy() > t.max_occupancy:
        return False
    if st.asa(ps, served) > t.asa_seconds:
        return False
    return (
        st.service_level(t.answer_within_seconds, ps) >= t.service_level
        and st.service_level(t.complex_answer_within_seconds, ps) >= t.service_level
    )


def _search_a(rate, aht, patience, t: Targets, guess: int, cap: int) -> int:
    """Smallest N >= 1 meeting ``t`` under Erlang A, by galloping from ``guess``.

    Relies on monotonicity in N (more agents: shorter waits, fewer abandonments,
    pathwise under FCFS); the result does not depend on the guess, only the number of
    evaluations does.  The Erlang C answer is a good guess.
    """
    theta = 1.0 / patience

    def ok(n: int) -> bool:
        return _a_ok(rate, aht, theta, n, t)

    g = min(max(int(guess), 1), cap)
    if ok(g):
        hi, lo, step = g, 0, 1  # lo = largest N known to fail (0 = none tried)
        while True:
            n = hi - step
            if n < 1:
                if hi == 1 or not ok(1):
                    lo = 1 if hi > 1 else 0
                    break
                return 1
            if ok(n):
                hi, step = n, step * 2
            else:
                lo = n
                break
        if lo == 0:
            return hi
    else:
        lo, step = g, 1
        while True:
            n = lo + step
            if n >= cap:
                if not ok(cap):
                    raise ValueError(f"targets {t} cannot be met with up to {cap} servers")
                hi = cap
                break
            if ok(n):
                hi = n
                break
            lo, step = n, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


# --------------------------------------------------------------------------- public


def kpis(
    rate_per_second: float,
    aht_seconds: float,
    servers: int,
    patience_seconds: float | None,
    answer_within_seconds: float,
    complex_answer_within_seconds: float,
) -> Kpis:
    """Steady-state KPIs: Erlang A when patience is known, Erlang C otherwise.

    ``patience_seconds`` None / NaN / inf selects Erlang C (infinite patience).
    """
    rate, aht = float(rate_per_second), float(aht_seconds)
    patience = None if patience_seconds is None else float(patience_seconds)
    _check_load(rate, aht, patience)
    _check_threshold("answer_within_seconds", answer_within_seconds)
    _check_threshold("complex_answer_within_seconds", complex_answer_within_seconds)
    n = int(servers)
    if n != servers or n < 0:
        raise ValueError(f"servers must be a non-negative integer, got {servers!r}")
    t1, t2 = float(answer_within_seconds), float(complex_answer_within_seconds)
    if rate == 0.0:
        return _zero_kpis(n)
    if _has_patience(patience):
        return _erlang_a_kpis(rate, aht, patience, n, t1, t2)
    return _erlang_c_kpis(rate, aht, n, t1, t2)


def meets(k: Kpis, t: Targets, with_patience: bool) -> bool:
    """All targets at once; abandonment only counts when a patience model produced it."""
    return (
        k.asa_seconds <= t.asa_seconds
        and k.service_level >= t.service_level
        and k.complex_service_level >= t.service_level
        and (not with_patience or k.abandon_rate <= t.max_abandon_rate)
        and k.occupancy <= t.max_occupancy
    )


def required_servers(
    rate_per_second: float,
    aht_seconds: float,
    patience_seconds: float | None,
    t: Targets,
) -> int:
    """Smallest N with ``meets(kpis(...N...), t, patience known)``.

    Zero arrivals need nobody.  Erlang C scans N = floor(A)+1, floor(A)+2, ... with
    one running B recursion (O(N) total); Erlang A gallops from the Erlang C answer.
    Raises ValueError for inputs out of range or targets no finite N can meet.
    """
    rate, aht = float(rate_per_second), float(aht_seconds)
    patience = None if patience_seconds is None else float(patience_seconds)
    _check_load(rate, aht, patience)
    _check_targets(t)
    if rate == 0.0:
        return 0
    load = rate * aht
    cap = _server_cap(load, t.max_occupancy)
    n_c = _search_c(rate, aht, t, cap)
    if _has_patience(patience):
        guess = n_c if n_c is not None else math.floor(load) + 1
        return _search_a(rate, aht, patience, t, guess, cap)
    if n_c is None:
        raise ValueError(f"targets {t} cannot be met with up to {cap} servers")
    return n_c
