"""Files people edit by hand: any damage gives exit 0 or 2 with a message, never a traceback; nothing is lost."""

import errno
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from clirun import rota
from scenario_builder import agent, write_scenario

SAMPLE = Path("inputs/sample")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_scenario(
        tmp_path_factory.mktemp("rel") / "s", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
        agents=[agent("A1", min_hours=0), agent("A2", languages="en;fr", min_hours=0)],
        markets=[{"market": "US", "timezone": "America/New_York", "language": "en", "aht_seconds": 180},
                 {"market": "FR", "timezone": "Europe/Paris", "language": "fr", "aht_seconds": 180, "patience_seconds": 90}],
        shifts=[{"shift": "D", "site": "hq", "start": "09:00-11:00/60", "hours": 8, "break_minutes": 60}],
        forecast=[{"market": m, "start": f"Mon {h:02d}:00", "questions": 10} for m in ("US", "FR") for h in range(8, 12)],
        leave=[{"agent_id": "A1", "start": "2026-12-01", "end": "2026-12-01 12:00", "reason": "doctor"}])


def damage(data: bytes, how: str, junk: str, rnd: random.Random, first_line: int = 0) -> bytes:
    """Break a text file the way hand edits and bad transfers do."""
    if how == "cell":
        lines = data.decode().split("\n")
        k = rnd.randrange(first_line, max(first_line + 1, len(lines) - 1))
        cells = lines[k].split(",")
        cells[rnd.randrange(len(cells))] = junk
        lines[k] = ",".join(cells)
        return "\n".join(lines).encode()
    if how == "truncate":
        return data[: rnd.randrange(len(data) + 1)]
    if how == "bytes":
        pos = rnd.randrange(len(data) + 1)
        return data[:pos] + bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 8))) + data[pos:]
    if how == "header":
        return data.replace(b",", b";", 1)
    return b""


TABLES = ["agents.csv", "sites.csv", "markets.csv", "shifts.csv", "forecast.csv", "leave.csv", "policy.toml"]
JUNK = ["", " ", "-1", "1e309", "nan", "inf", "9" * 40, "25:99", "Mon 24:00", "2026-02-30 10:00", "=1+1", "é", "\x00",
        '"', ",", ";", "Europe/Atlantis", "  09:00  ", "0..", "1,5", "TRUE"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(TABLES), seed=st.integers(0, 10**6), junk=st.sampled_from(JUNK),
       how=st.sampled_from(["cell", "truncate", "bytes", "header", "empty"]))
def test_damaged_scenarios_never_crash(small, tmp_path_factory, capsys, table, seed, junk, how):
    folder = tmp_path_factory.mktemp("fz") / "s"
    shutil.copytree(small, folder)
    path = folder / table
    path.write_bytes(damage(path.read_bytes(), how, junk, random.Random(seed)))
    r = rota(capsys, "check", folder)
    assert r.code in (0, 2)
    if r.code == 2:
        assert r.err.startswith("error: ") and r.err.strip()


def test_bom_and_latin1(small, tmp_path, capsys):
    folder = tmp_path / "s"
    shutil.copytree(small, folder)
    (folder / "sites.csv").write_bytes(b"\xef\xbb\xbf" + (folder / "sites.csv").read_bytes())
    assert rota(capsys, "check", folder).code == 0  # a BOM is fine
    (folder / "agents.csv").write_bytes((folder / "agents.csv").read_bytes().replace(b"Agent A2", "Agënt".encode("latin-1")))
    r = rota(capsys, "check", folder)
    assert r.code == 2 and "agents.csv, row 3: not UTF-8 text" in r.err and "save the file as CSV UTF-8" in r.err


def test_disk_full_leaves_earlier_files_and_no_temp(small, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.xlsx").write_bytes(b"last week's plan")
    import scheduler.plan

    def full(wb, path):
        Path(path).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(scheduler.plan, "save_workbook", full)
    r = rota(capsys, "plan", small, "--week", "2026-11-30", "--out", out, "--time-limit", "2", "--quiet")
    assert r.code == 2 and "No space left on device" in r.err
    assert sorted(p.name for p in out.iterdir()) == ["earlier.xlsx"]
    assert (out / "earlier.xlsx").read_bytes() == b"last week's plan"


def test_output_folder_that_is_a_file(small, tmp_path, capsys):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    r = rota(capsys, "plan", small, "--week", "2026-11-30", "--out", blocker, "--time-limit", "2", "--quiet")
    assert r.code == 2 and "'--out'" in r.err and "is a file" in r.err
    assert blocker.read_text() == "not a folder"


ROSTER = ("agent_id,name,site,date,start,end,timezone,start_utc,end_utc,paid_hours,break_start,break_minutes,queues,cost\n"
          "A1,Agent A1,hq,2026-11-30,09:00,17:00,Asia/Shanghai,2026-11-30T01:00:00Z,2026-11-30T09:00:00Z,7,13:00,60,en,70\n"
          "A2,Agent A2,hq,2026-11-30,10:00,18:00,Asia/Shanghai,2026-11-30T02:00:00Z,2026-11-30T10:00:00Z,7,14:00,60,\"en,fr\",70\n")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), junk=st.sampled_from(JUNK), how=st.sampled_from(["cell", "truncate", "bytes"]))
def test_damaged_rosters_never_crash(small, tmp_path_factory, capsys, seed, junk, how):
    tmp = tmp_path_factory.mktemp("rz")
    data = damage(ROSTER.encode(), how, junk, random.Random(seed), first_line=1)
    (tmp / "roster.csv").write_bytes(data)
    r = rota(capsys, "evaluate", small, tmp / "roster.csv", "--week", "2026-11-30", "--out", tmp / "o")
    assert r.code in (0, 2)
    if r.code == 2:
        assert r.err.startswith("error: ") and not (tmp / "o").exists()


def test_same_roster_gives_the_same_workbook_bytes(small, tmp_path, capsys):
    (tmp_path / "roster.csv").write_text(ROSTER)
    for k in (1, 2):
        assert rota(capsys, "evaluate", small, tmp_path / "roster.csv", "--out", tmp_path / f"o{k}").code == 0
    a, b = (tmp_path / f"o{k}" / "roster-evaluated.xlsx" for k in (1, 2))
    assert a.read_bytes() == b.read_bytes()


def test_same_inputs_and_seed_give_the_same_plan_byte_for_byte(tmp_path):
    """Two runs of the real CLI on the sample: the search runs on deterministic time, so the Roster rows,
    the roster CSV and the whole workbook are identical."""
    import subprocess
    import sys

    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        r = subprocess.run([sys.executable, "-m", "scheduler", "plan", "inputs/sample", "--week", "2026-11-30",
                            "--time-limit", "4", "--seed", "3", "--simulate-runs", "2", "--simulation-rounds", "0", "--quiet", "--out", str(out)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "a rerun may give a different plan" not in r.stderr
        outputs.append(out)
    a, b = outputs
    assert (a / "sample-2026-W49-roster.csv").read_bytes() == (b / "sample-2026-W49-roster.csv").read_bytes()
    assert (a / "sample-2026-W49.xlsx").read_bytes() == (b / "sample-2026-W49.xlsx").read_bytes()
    assert len((a / "sample-2026-W49-roster.csv").read_text().splitlines()) > 100


def test_every_command_ends_with_a_log_line_naming_inputs_status_and_output(small, tmp_path, capsys):
    from scheduler.io.scenario import load_scenario

    fingerprint = load_scenario(small).fingerprint
    out = tmp_path / "o"
    for args in (["staffing", small, "--out", out], ["plan", small, "--time-limit", "5", "--quiet", "--out", out]):
        r = rota(capsys, *args)
        assert r.code == 0, r.err
        last = r.err.strip().splitlines()[-1]
        assert last.startswith(f"log: inputs {fingerprint}, status ") and f"output {out}" in last
    plan = next(out.glob("*.xlsx"))
    r = rota(capsys, "evaluate", small, plan, "--out", out)
    assert r.err.strip().splitlines()[-1].startswith(f"log: inputs {fingerprint}, status evaluated, 0 rule breaks")
