"""Every family of benchmark week gets a proven bound within its limit, below the plan's evaluated total."""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks.generate import FAMILIES, generate
from scheduler.io.scenario import load_scenario
from scheduler.plan import make_plan


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_week_of_each_family_is_bounded_within_its_limit(tmp_path, family):
    shape = FAMILIES[family]
    sc = load_scenario(generate(tmp_path / family, agents=16, seed=2, family=family))
    plan = make_plan(sc, date.fromisoformat(shape.week), time_limit=3, workers=2)
    r, total = plan.result, plan.evaluation.objective  # wages, shortfall and fairness: what the bound is of
    assert r.bound == r.bound and r.lp_bound == r.lp_bound, f"{family}: no bound"
    assert 0.5 * total < r.bound <= total + 1e-6
    assert r.gap == pytest.approx((total - r.bound) / total, abs=1e-3)
    assert r.kinds <= len(sc.agents) and r.lp_runs


def test_the_families_differ_as_named(tmp_path):
    """What each family changes is in the files it writes."""
    def folder(family):
        return generate(tmp_path / family, agents=40, seed=2, family=family)

    ladder, ranges, shared, individual = (folder(f) for f in ("ladder", "ranges", "shared", "individual"))
    starts = [line.split(",")[2] for line in (ranges / "shifts.csv").read_text().splitlines()[1:]]
    assert all("-" in s and s.endswith("/60") for s in starts)
    assert "-" not in (ladder / "shifts.csv").read_text().splitlines()[1].split(",")[2]

    def wages(path):
        """Wages per site, languages and contract (columns 2, 3, 5)."""
        rows = [line.split(",") for line in (path / "agents.csv").read_text(encoding="utf-8").splitlines()[1:]]
        out: dict[tuple, list[str]] = {}
        for row in rows:
            out.setdefault((row[2], row[3], row[5]), []).append(row[4])
        return out.values()

    assert all(len(set(w)) == 1 for w in wages(shared))  # one wage per contract: agents alike are one kind
    assert all(len(set(w)) == len(w) for w in wages(individual))  # every agent a wage of their own
    assert any(len(w) > 1 for w in wages(individual))
    sites = {line.split(",")[0] for line in (folder("sites6") / "sites.csv").read_text().splitlines()[1:]}
    assert len(sites) == 6 and {"mexico_city", "bogota"} <= sites
    assert "max_consecutive_days = 5" in (shared / "policy.toml").read_text()
    assert "interval_minutes = 30" in (folder("grid30") / "policy.toml").read_text()
    part_time = [line for line in (shared / "shifts.csv").read_text().splitlines()[1:] if int(line.split(",")[3]) <= 6]
    assert part_time and all(line.endswith("Mon-Fri") for line in part_time)
