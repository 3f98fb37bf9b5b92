"""Erlang C and A for a whole week at once: the same answers as `erlang.required_servers`, cell by cell,
with the Erlang C search run in lock-step over every cell (20 queues x 672 quarter-hours in well under a
second; benchmarks/bench_erlang.py)."""

from __future__ import annotations

import numpy as np

from scheduler.staffing.erlang import (Targets, _MAX_SERVERS, _TIE_TOL, _erlang_c_values, _search_a, _search_c, _server_cap)


def required_servers_batch(
    rate_per_second: np.ndarray,
    aht_seconds: np.ndarray,
    patience_seconds: np.ndarray,
    asa_seconds: np.ndarray,
    service_level: np.ndarray,
    answer_within_seconds: np.ndarray,
    complex_answer_within_seconds: np.ndarray,
    max_abandon_rate: np.ndarray,
    max_occupancy: np.ndarray,
) -> np.ndarray:
    """Elementwise ``required_servers`` (NaN patience = unknown), as int64.

    Inputs broadcast together.  Erlang C cells run in lock-step: one pass of the B
    recursion over k = 1, 2, ... for all cells at once, each cell recording the
    first k that meets its targets and leaving the working set.  Any cell whose
    decisive comparison is within 1e-9 of its target is re-run through the scalar
    code, so results are identical to ``required_servers`` even where numpy's and
    libm's exp() differ in the last bit.  Erlang A cells use the scalar search,
    seeded with their lock-step Erlang C answer.
    """
    arrays = np.broadcast_arrays(
        *(
            np.asarray(v, dtype=np.float64)
            for v in (
                rate_per_second,
                aht_seconds,
                patience_seconds,
                asa_seconds,
                service_level,
                answer_within_seconds,
                complex_answer_within_seconds,
                max_abandon_rate,
                max_occupancy,
            )
        )
    )
    shape = arrays[0].shape
    rate, aht, pat, asa_t, sl_t, t1, t2, ab_t, occ_t = (np.ravel(v) for v in arrays)
    out = np.zeros(rate.size, dtype=np.int64)
    if rate.size == 0:
        return out.reshape(shape)

    # Validation mirrors _check_load / _check_targets.
    bad = ~(np.isfinite(rate) & (rate >= 0.0))
    bad |= (rate > 0.0) & ~(np.isfinite(aht) & (aht > 0.0))
    bad |= ~np.isnan(pat) & ~(pat > 0.0)
    bad |= np.isnan(asa_t) | (asa_t < 0.0)
    bad |= ~((sl_t >= 0.0) & (sl_t <= 1.0))
    bad |= ~(np.isfinite(t1) & (t1 >= 0.0)) | ~(np.isfinite(t2) & (t2 >= 0.0))
    bad |= np.isnan(ab_t) | (ab_t < 0.0)
    bad |= ~(occ_t > 0.0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"invalid input at flat index {i}: rate={rate[i]!r} aht={aht[i]!r} "
            f"patience={pat[i]!r} asa={asa_t[i]!r} sl={sl_t[i]!r} t1={t1[i]!r} t2={t2[i]!r} "
            f"max_abandon={ab_t[i]!r} max_occupancy={occ_t[i]!r}"
        )

    live = np.flatnonzero(rate > 0.0)
    if live.size == 0:
        return out.reshape(shape)
    load = rate[live] * aht[live]
    n_occ = np.where(occ_t[live] < 1.0, load / occ_t[live], load)
    if (n_occ > _MAX_SERVERS).any():
        i = int(live[np.flatnonzero(n_occ > _MAX_SERVERS)[0]])
        _server_cap(float(rate[i] * aht[i]), float(occ_t[i]))  # raises with message
    cap = (np.ceil(n_occ) + np.ceil(100.0 * np.sqrt(load)) + 1000.0).astype(np.int64)

    n_c, ambiguous = _lockstep_c(
        load,
        aht[live],
        t1[live] / aht[live],
        t2[live] / aht[live],
        asa_t[live],
        sl_t[live],
        occ_t[live],
        cap,
    )
    with_pat = np.isfinite(pat[live])

    def targets_of(i: int) -> Targets:
        return Targets(
            float(asa_t[i]), float(sl_t[i]), float(t1[i]), float(t2[i]),
            float(ab_t[i]), float(occ_t[i]),
        )

    for j in np.flatnonzero(ambiguous & ~with_pat):
        i = int(live[j])
        res = _search_c(float(rate[i]), float(aht[i]), targets_of(i), int(cap[j]))
        n_c[j] = -1 if res is None else res
    for j in np.flatnonzero(with_pat):
        i = int(live[j])
        guess = int(n_c[j]) if n_c[j] > 0 else int(cap[j])
        n_c[j] = _search_a(
            float(rate[i]), float(aht[i]), float(pat[i]), targets_of(i), guess, int(cap[j])
        )
    if (n_c < 0).any():
        i = int(live[np.flatnonzero(n_c < 0)[0]])
        raise ValueError(f"targets {targets_of(i)} cannot be met at flat index {i}")
    out[live] = n_c
    return out.reshape(shape)


def _lockstep_c(load, aht, s1, s2, asa_t, sl_t, occ_t, cap):
    """Vectorised Erlang C search: returns (first k meeting, ambiguity flags).

    Unresolved cells (cap reached) get -1.  A cell is ambiguous when, at its first
    k that meets the targets within the 1e-9 band, it does not meet them outside
    the band; earlier k then fail even with the band, so the scalar result can only
    differ at that k and the scalar code decides it.  Occupancy is compared
    exactly: A/k is the same correctly rounded division in both paths.
    """
    size = load.size
    result = np.full(size, -1, dtype=np.int64)
    ambiguous = np.zeros(size, dtype=bool)
    asa_band = np.where(np.isfinite(asa_t), _TIE_TOL * np.maximum(1.0, asa_t), 0.0)
    asa_hi, asa_lo = asa_t + asa_band, asa_t - asa_band
    sl_lo, sl_hi = sl_t - _TIE_TOL, sl_t + _TIE_TOL
    n_lo = np.floor(load) + 1.0

    idx = np.arange(size)
    A, T, S1, S2 = load, aht, s1, s2
    AH, AL, SLL, SLH, OC, NL, CP = asa_hi, asa_lo, sl_lo, sl_hi, occ_t, n_lo, cap
    b = np.ones(size)
    k = 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        while idx.size:
            k += 1
            ab = A * b
            b = ab / (k + ab)
            ready = NL <= k
            if not ready.any():
                continue
            c, sl1, sl2, asa = _erlang_c_values(A, T, float(k), b, S1, S2)
            maybe = ready & (A / k <= OC) & (asa <= AH) & (sl1 >= SLL) & (sl2 >= SLL)
            over = CP <= k
            if not (maybe.any() or over.any()):
                continue
            if maybe.any():
                sure = (asa <= AL) & (sl1 >= SLH) & (sl2 >= SLH)
                hit = idx[maybe]
                result[hit] = k
                ambiguous[hit] = ~sure[maybe]
            keep = ~(maybe | over)
            idx = idx[keep]
            A, T, S1, S2, b = A[keep], T[keep], S1[keep], S2[keep], b[keep]
            AH, AL, SLL, SLH = AH[keep], AL[keep], SLL[keep], SLH[keep]
            OC, NL, CP = OC[keep], NL[keep], CP[keep]
    return result, ambiguous
