"""docs/api.md is a script: its Python blocks run in order, in one namespace, and assert what they show."""

import re
from pathlib import Path

import scheduler

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def test_the_api_page_runs_as_written(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert re.search(r"^2026-W49 (FEASIBLE|OPTIMAL)$", out, re.M)
    assert namespace["plan"].bound <= namespace["plan"].total
    assert re.search(r"^\w+, (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d", out, re.M)  # the review's worst gaps


def test_every_public_name_is_documented_and_loads():
    text = DOC.read_text(encoding="utf-8")
    for name in scheduler.__all__:
        if name != "__version__":
            assert getattr(scheduler, name) is not None
            assert f"`{name}" in text or name in {"Plan", "SearchConfig", "Hire", "Remove", "Demand"} and name in text, name
