"""The models a search derives from the whole one, and how plans move between them: by variable name,
so a plan found on one seeds another built from the same options."""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.model import RotaModel, build
from scheduler.week import eligible_queues


def named_solution(model: cp_model.CpModel, solver: cp_model.CpSolver) -> dict[str, int]:
    return {v.name: solver.ResponseProto().solution[i] for i, v in enumerate(model.Proto().variables) if v.name}


def apply_hint(target: cp_model.CpModel, by_name: dict[str, int]) -> None:
    """Hint every variable of `target` named in `by_name`; break positions not named are 0."""
    target.clear_hints()
    index, values = [], []
    for i, v in enumerate(target.Proto().variables):
        name = v.name
        if name in by_name or name.startswith("break("):
            index.append(i)
            values.append(int(by_name.get(name, 0)))
    hint = target.Proto().solution_hint  # in bulk: add_hint one by one took 4 s on 150 agents' three models
    hint.vars.extend(index)
    hint.values.extend(values)


def with_shifts_fixed(m: RotaModel, start: dict[str, int]) -> cp_model.CpModel:
    """The full model with the given plan's shifts fixed: what is left is where breaks go and who serves what."""
    fixed = m.model.clone()
    for x in m.x.values():
        fixed.add(fixed.get_int_var_from_proto_index(x.index) == int(start.get(x.name, 0)))
    apply_hint(fixed, start)
    return fixed


def lp_guided(m: RotaModel, solution: list[float], start: dict[str, int]) -> RotaModel:
    """The model restricted to the shifts the LP relaxation uses, pooled over interchangeable agents, and
    those of the current plan (so it stays feasible): a small model on which LNS moves fast.

    Agents with the same options, queues and contract are interchangeable, and the LP splits their work
    among them arbitrarily; each keeps every shift the LP gives any of them.
    """
    eligible = eligible_queues(m.scenario)
    used: dict[tuple, set[int]] = {}
    kinds: dict[str, tuple] = {}
    for a, opts in m.options.items():
        agent = m.scenario.agents[a]
        kinds[a] = (eligible[a], agent.hourly_cost, agent.min_hours, agent.max_hours, agent.max_days, agent.site,
                    tuple((o.day, o.template, o.start, o.break_offsets) for o in opts))
        used.setdefault(kinds[a], set()).update(j for j in range(len(opts)) if solution[m.x[(a, j)].index] > 1e-6)
    options = {}
    for a, opts in m.options.items():
        options[a] = [o for j, o in enumerate(opts) if j in used[kinds[a]] or start.get(m.x[(a, j)].name, 0)]
    return build(m.scenario, m.grid, m.staffing, options)
