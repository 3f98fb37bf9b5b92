"""Exit codes a script relies on: `rota plan --strict` when the plan falls short or not, and `rota review`
without the roster that was worked."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook

from clirun import rota
from scenario_builder import agent, write_scenario

SAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "sample"


def one_agent(folder: Path, questions_per_hour: float) -> Path:
    """One agent, one 09:00-17:00 shift a day, questions Monday 09:00-17:00 only."""
    return write_scenario(
        folder, sites=[{"site": "hq", "timezone": "Asia/Shanghai"}], agents=[agent("A", min_hours=0)],
        markets=[{"market": "CN", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
        forecast=[{"market": "CN", "start": f"Mon {h:02d}:00", "questions": questions_per_hour} for h in range(9, 17)])


def summary(workbook: Path) -> dict:
    rows = load_workbook(workbook)["Summary"].iter_rows(min_row=4, values_only=True)
    return {k: v for k, v, *_ in rows}


def plan(capsys, folder: Path, out: Path, *extra):
    return rota(capsys, "plan", folder, "--week", "2026-11-30", "--out", out, "--time-limit", "3", "--workers", "1",
                "--quiet", *extra)


def test_strict_plan_exits_1_when_one_agent_cannot_cover_the_demand(tmp_path, capsys):
    # 200 questions an hour of 3 minutes each need ten agents or more; there is one.
    folder = one_agent(tmp_path / "short", 200)
    r = plan(capsys, folder, tmp_path / "o", "--strict")
    assert r.code == 1, r.err
    assert "error:" not in r.err  # falling short is not an input error (2)
    workbook = tmp_path / "o" / "short-2026-W49.xlsx"
    assert workbook.exists() and (tmp_path / "o" / "short-2026-W49-roster.csv").exists()  # written all the same
    figures = summary(workbook)
    assert figures["shifts"] == 1 and figures["shortfall_hours"] > 0 and figures["rule_breaks"] == 0
    # Without --strict the same plan is a success.
    assert plan(capsys, folder, tmp_path / "o2").code == 0


def test_strict_plan_exits_0_when_the_plan_covers_the_demand(tmp_path, capsys):
    # One question an hour needs one agent, and the one agent's Monday shift covers every hour of it.
    folder = one_agent(tmp_path / "covered", 1)
    r = plan(capsys, folder, tmp_path / "o", "--strict")
    assert r.code == 0, r.err
    figures = summary(tmp_path / "o" / "covered-2026-W49.xlsx")
    assert (figures["shifts"], figures["shortfall_hours"], figures["rule_breaks"]) == (1, 0, 0)


def test_review_without_a_roster_lists_the_worst_hours(tmp_path, capsys):
    r = rota(capsys, "review", SAMPLE, SAMPLE / "history.csv.gz", "--out", tmp_path)
    assert r.code == 0, r.err
    workbook = tmp_path / "sample-history-review.xlsx"
    wb = load_workbook(workbook)
    assert wb.sheetnames == ["Review", "ByHour", "Gaps"]
    # Gaps needs the roster that was worked: it says so instead of a table.
    assert wb["Gaps"]["A1"].value.startswith("Give the roster that was worked (--roster)")
    assert wb["Gaps"].max_row == 1
    lines = r.out.splitlines()
    assert "worst hours:" in lines and "worst gaps:" not in lines
    # The head line's count of market-hours missing a target is the Review sheet's.
    review = list(wb["Review"].iter_rows(values_only=True))
    header, cells = review[0], review[1:]
    missed = sum(1 for c in cells if c[header.index("worst_miss")] > 0)
    assert f"{missed} of {len(cells)} market-hours miss a target" in lines[0]
    # Then up to three runs of hours, each a market in its own time zone, with how many waited too long.
    timezones = {c[header.index("market")]: c[header.index("timezone")] for c in cells}
    worst = lines[lines.index("worst hours:") + 1:lines.index("worst hours:") + 4]
    pattern = re.compile(r"  (\S+), (Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-\w{3})? (\d\d):00-(\d\d):00 (\S+): "
                         r".+; ([\d,]+) questions not answered within target")
    assert len(worst) == 3
    late = []
    for line in worst:
        m = pattern.fullmatch(line)
        assert m, line
        assert timezones[m.group(1)] == m.group(6)
        assert int(m.group(4)) < int(m.group(5))
        late.append(int(m.group(7).replace(",", "")))
    assert late == sorted(late, reverse=True) and late[0] > 0  # the worst first


def test_an_internal_error_exits_3_with_one_line_and_the_traceback_in_a_log(tmp_path, capsys, monkeypatch):
    """A bug is told apart from bad input (2) and a short plan (1): one line naming a log file, which holds
    the traceback."""
    import tempfile

    import scheduler.plan

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero, deep inside")

    monkeypatch.setattr(scheduler.plan, "compute_staffing", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    r = plan(capsys, one_agent(tmp_path / "s", 2), tmp_path / "o")
    assert r.code == 3
    [line] = r.err.strip().splitlines()[-1:]
    assert line.startswith("internal error: ZeroDivisionError: division by zero, deep inside (a bug in rota; ")
    [log] = tmp_path.glob("rota-error-*.log")
    assert str(log) in line
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "def broken" not in text and "ZeroDivisionError" in text
    assert not (tmp_path / "o").exists()  # nothing half-written
