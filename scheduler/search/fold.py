"""Interchangeable agents as one kind: the LP relaxation folded by the model's own symmetry.

A real team has a handful of contracts, not one per person: agents of one
site with the same languages, contract, wage, window and leave have the same
variables, rows and costs up to their name. Swapping two of them maps the LP
onto itself, so averaging any LP solution over such swaps gives one as good
where they all take the same values: the LP over one representative per kind
(its coefficients in shared rows, and its cost, times the kind's size) has
exactly the LP's optimum, at a size that follows the kinds, not the heads
(300 agents of 82 kinds: 181 k columns become 57 k). The kinds are read off
the LP itself, not the scenario, so a rule added later that tells two agents
apart (a carried-in shift, a request) splits their kind without anyone
remembering to: two agents are one kind when their columns (by name without
the agent), bounds, costs, own rows and parts of shared rows hash alike
(two independent 64-bit hashes).

`relaxed=True` ignores the costs when telling kinds apart and gives each kind
its members' cheapest cost per column: a relaxation (no cost is raised), so
its optimum is a valid bound below the LP's, for weeks where every agent has
a wage of their own and the exact LP is too large for the time limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ortools.sat.python import cp_model

from scheduler.search.relax import LinearProgram, linear_program

_AGENT = re.compile(r"agent=([^,)]*)")
_M1, _M2, _M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


@dataclass
class Folding:
    """The folded LP, and for every column of the whole LP the folded column that stands for it."""

    lp: LinearProgram
    columns: np.ndarray
    agents: int
    kinds: int
    relaxed: bool
    members: list[list[str]]  # each kind's agents, in the model's order

    def unfold(self, values) -> list[float]:
        """A folded solution as one of the whole LP: every agent takes their kind's values."""
        return np.asarray(values, dtype=float)[self.columns].tolist()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise (uint64 arithmetic wraps)."""
    x = np.asarray(x, dtype=np.uint64) + _M1
    x = (x ^ (x >> np.uint64(30))) * _M2
    x = (x ^ (x >> np.uint64(27))) * _M3
    return x ^ (x >> np.uint64(31))


def _bits(values: np.ndarray) -> np.ndarray:
    clean = np.nan_to_num(np.asarray(values, dtype=float), posinf=1e300, neginf=-1e300)
    return np.ascontiguousarray(clean).view(np.uint64)


def fold(p: LinearProgram, names: list[str], relaxed: bool = False) -> Folding:
    """The LP with one representative per kind of agent (`names`: the model's variable names, whose
    `agent=` part tells whose column it is)."""
    n = len(p.cost)
    owner = np.full(n, -1, dtype=np.int64)
    local = np.empty(n, dtype=np.int64)
    agents: dict[str, int] = {}
    locals_: dict[str, int] = {}
    for j, name in enumerate(names):
        found = _AGENT.search(name)
        if found:
            owner[j] = agents.setdefault(found.group(1), len(agents))
            local[j] = locals_.setdefault(name[:found.start()] + name[found.end():], len(locals_))
        else:
            local[j] = -(j + 1)  # a shared column is itself in every kind's rows
    kind = _kinds(p, owner, local, len(agents), relaxed)
    count = np.bincount(kind, minlength=int(kind.max(initial=-1)) + 1)
    rep = np.full(len(count), -1, dtype=np.int64)  # each kind's first agent
    for a in range(len(agents) - 1, -1, -1):
        rep[kind[a]] = a

    # Columns kept: the shared ones and the representatives', in their order; every column maps to one.
    keep = (owner < 0) | (rep[kind[np.maximum(owner, 0)]] == owner)
    new_index = np.cumsum(keep) - 1
    key_of = {(int(owner[j]), int(local[j])): int(new_index[j]) for j in np.flatnonzero(keep & (owner >= 0))}
    columns = new_index.copy()
    for j in np.flatnonzero(~keep):
        columns[j] = key_of[(int(rep[kind[owner[j]]]), int(local[j]))]
    width = int(keep.sum())
    if relaxed:
        cost = np.full(width, np.inf)
        np.minimum.at(cost, columns, p.cost)
        cost *= np.bincount(columns, minlength=width)
    else:
        cost = np.bincount(columns, weights=p.cost, minlength=width)

    # Rows kept: every row but a non-representative's own (the same row as its representative's, renamed).
    rows = np.repeat(np.arange(len(p.row_lower)), np.diff(p.starts))
    first, last, _ = _row_owners(p, owner, rows)
    own_row = (last >= 0) & (first == last)
    kept_rows = ~own_row | (rep[kind[np.maximum(first, 0)]] == first)
    entries = kept_rows[rows]
    row_number = np.cumsum(kept_rows) - 1
    r, c, v = row_number[rows[entries]], columns[p.index[entries]], p.value[entries]
    keys, inverse = np.unique(r * width + c, return_inverse=True)
    merged = np.bincount(inverse, weights=v, minlength=len(keys))
    r, c = keys // width, keys % width
    height = int(kept_rows.sum())
    folded = LinearProgram(cost, p.offset, p.lower[keep], p.upper[keep], p.row_lower[kept_rows],
                           p.row_upper[kept_rows], np.searchsorted(r, np.arange(height + 1)), c, merged)
    members: list[list[str]] = [[] for _ in range(len(count))]
    for name, a in agents.items():
        members[kind[a]].append(name)
    return Folding(folded, columns, len(agents), len(count), relaxed, members)


def _row_owners(p: LinearProgram, owner: np.ndarray, rows: np.ndarray):
    """Per row, the lowest and highest agent with a column in it (-1: none), and each entry's agent."""
    height = len(p.row_lower)
    entry_owner = owner[p.index]
    owned = entry_owner >= 0
    first = np.full(height, np.iinfo(np.int64).max)
    last = np.full(height, -1, dtype=np.int64)
    np.minimum.at(first, rows[owned], entry_owner[owned])
    np.maximum.at(last, rows[owned], entry_owner[owned])
    first[last < 0] = -1
    return first, last, entry_owner


def _kinds(p: LinearProgram, owner: np.ndarray, local: np.ndarray, agents: int, relaxed: bool) -> np.ndarray:
    """Each agent's kind (0..kinds-1, in order of first appearance): agents whose columns, own rows and
    parts of shared rows are the same up to their name."""
    if agents == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.repeat(np.arange(len(p.row_lower)), np.diff(p.starts))
    first, last, entry_owner = _row_owners(p, owner, rows)
    own_row = (last >= 0) & (first == last)
    shared_row = (last >= 0) & (first < last)
    mine = np.flatnonzero(owner >= 0)
    signature = []
    for salt in (np.uint64(1), np.uint64(2)):
        entry = _mix(_mix(local[p.index].astype(np.uint64) * (salt + _M1)) ^ _bits(p.value))
        row_hash = np.zeros(len(p.row_lower), dtype=np.uint64)
        np.add.at(row_hash, rows, entry)  # a multiset of entries: their order does not matter
        row_hash = _mix(row_hash ^ _mix(_bits(p.row_lower) + salt)) ^ _mix(_bits(p.row_upper) * (salt + _M2))
        sig = np.zeros(agents, dtype=np.uint64)
        column = _mix(local[mine].astype(np.uint64) + salt) ^ _mix(_bits(p.lower[mine])) ^ \
            _mix(_bits(p.upper[mine]) + _M1)
        if not relaxed:
            column ^= _mix(_bits(p.cost[mine]) * _M2)
        np.add.at(sig, owner[mine], _mix(column))
        own = np.flatnonzero(own_row)
        np.add.at(sig, first[own], _mix(row_hash[own] + salt))
        part = np.flatnonzero((entry_owner >= 0) & shared_row[rows])
        np.add.at(sig, entry_owner[part], _mix(_mix(rows[part].astype(np.uint64) * _M3 + salt)
                                               ^ _mix(local[p.index[part]].astype(np.uint64)) ^ _bits(p.value[part])))
        signature.append(sig)
    _, first_seen, kind = np.unique(np.stack(signature, axis=1), axis=0, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first_seen))  # number kinds by their first agent
    return order[kind.ravel()]


def programs(model: cp_model.CpModel, folded: bool = True, relaxed: bool = False):
    """The LP, its folding over kinds of agent (None where no two agents are alike) and the cheapest-wage
    relaxation's (None where it folds no further, or not asked for)."""
    p = linear_program(model)
    if not folded:
        return p, None, None
    names = [v.name for v in model.Proto().variables]
    exact = fold(p, names)
    cheap = fold(p, names, relaxed=True) if relaxed else None
    return (p, exact if exact.kinds < exact.agents else None,
            cheap if cheap is not None and cheap.kinds < exact.kinds else None)
