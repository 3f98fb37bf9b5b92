"""What a new user meets first: files Excel reads right, outputs colleagues can open, the sample in hand,
sheets that print one page wide, and the versions that made a plan."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook

from clirun import rota
from scenario_builder import agent, write_scenario

BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def accented(tmp_path_factory):
    """Two agents whose names Excel mangles when it reads UTF-8 as ANSI."""
    folder = tmp_path_factory.mktemp("kit") / "kit"
    return write_scenario(
        folder, sites=[{"site": "paris", "timezone": "Europe/Paris"}],
        agents=[agent("P1", site="paris", name="Océane Bonnet"), agent("P2", site="paris", name="Zoë Müller")],
        markets=[{"market": "FR", "timezone": "Europe/Paris", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "D", "site": "paris", "start": "09:00", "hours": 8}],
        forecast=[{"market": "FR", "start": f"Mon {h:02d}:00", "questions": 8} for h in range(9, 17)])


def plan(capsys, folder, out, *extra):
    return rota(capsys, "plan", folder, "--week", "2026-11-30", "--out", out, "--time-limit", "2", "--workers", "1",
                "--quiet", *extra)


def test_csvs_for_excel_carry_a_byte_order_mark_unless_asked_not_to(accented, tmp_path, capsys):
    assert plan(capsys, accented, tmp_path / "a").code == 0
    data = (tmp_path / "a" / "kit-2026-W49-roster.csv").read_bytes()
    assert data.startswith(BOM) and "Océane Bonnet".encode() in data
    assert plan(capsys, accented, tmp_path / "b", "--csv-encoding", "utf-8").code == 0
    plain = (tmp_path / "b" / "kit-2026-W49-roster.csv").read_bytes()
    assert plain == data[len(BOM):]
    # Either reads back as the same roster.
    for out in ("a", "b"):
        r = rota(capsys, "evaluate", accented, tmp_path / out / "kit-2026-W49-roster.csv", "--out", tmp_path / out)
        assert r.code == 0 and "no rule breaks" in r.out


def test_staffing_csv_is_named_like_the_other_outputs_of_its_week(accented, tmp_path, capsys):
    r = rota(capsys, "staffing", accented, "--week", "2026-11-30", "--out", tmp_path)
    assert r.code == 0 and [p.name for p in tmp_path.iterdir()] == ["kit-2026-W49-staffing.csv"]
    assert (tmp_path / "kit-2026-W49-staffing.csv").read_bytes().startswith(BOM + b"queue,interval_start")


def test_outputs_get_the_users_umask_not_the_temporary_files_0600(accented, tmp_path, capsys):
    previous = os.umask(0o022)
    try:
        assert plan(capsys, accented, tmp_path).code == 0
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"kit-2026-W49.xlsx": 0o644, "kit-2026-W49-roster.csv": 0o644}


def test_the_summary_names_the_versions_and_sheets_print_one_page_wide(accented, tmp_path, capsys):
    from importlib.metadata import version

    assert plan(capsys, accented, tmp_path).code == 0
    wb = load_workbook(tmp_path / "kit-2026-W49.xlsx")
    items = {k: v for k, v in wb["Summary"].iter_rows(min_row=4, max_col=2, values_only=True)}
    assert items["version_ortools"] == version("ortools") and items["version_highs"] == version("highspy")
    assert items["version_rota"] == version("rota") and items["version_python"].count(".") == 2
    for name in ("Roster", "Schedule", "Coverage", "Markets", "Agents", "Summary"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), name
        assert ws.print_title_rows, name  # the header on every page
    # The requirement is drawn a step per interval (columns without gaps), the schedule as a straight line,
    # nothing smoothed (a smoothed curve dipped below zero between hours).
    import re
    import zipfile

    with zipfile.ZipFile(tmp_path / "kit-2026-W49.xlsx") as z:
        [chart] = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert re.search(r'<barChart>.*<gapWidth val="0" />', chart, re.S) and "<lineChart>" in chart
    assert re.findall(r'<smooth val="(\d)" />', chart) == ["0"]


def test_rota_sample_copies_the_bundled_scenario_out(tmp_path, capsys):
    r = rota(capsys, "sample", tmp_path / "mine")
    assert r.code == 0 and "rota check" in r.out
    sample = Path(__file__).resolve().parents[1] / "inputs" / "sample"
    copied = sorted(p.name for p in (tmp_path / "mine").iterdir())
    assert copied == sorted(p.name for p in sample.iterdir())
    assert (tmp_path / "mine" / "agents.csv").read_bytes() == (sample / "agents.csv").read_bytes()
    assert rota(capsys, "check", tmp_path / "mine").code == 0
    r = rota(capsys, "sample", tmp_path / "mine")
    assert r.code == 2 and "is not empty; use --force" in r.err


def test_the_package_lists_every_subpackage_and_ships_the_sample():
    """pyproject.toml lists the packages (so the sample can ship as scheduler.sample): a new subpackage
    missing from the list would be left out of a non-editable install."""
    import tomllib

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(root).parts) for p in (root / "scheduler").rglob("__init__.py")}
    assert set(config["packages"]) == on_disk | {"scheduler.sample"}
    assert config["package-dir"] == {"scheduler.sample": "inputs/sample"}
    shipped = config["package-data"]["scheduler.sample"]
    import fnmatch
    assert all(any(fnmatch.fnmatch(p.name, g) for g in shipped) for p in (root / "inputs" / "sample").iterdir())


def test_the_bundled_sample_is_never_a_folders_own_inputs_sample(tmp_path, capsys, monkeypatch):
    """`rota sample` (and `rota plan` with no scenario) take the sample shipped with rota, not an
    inputs/sample that happens to be in the current folder (a user's own edited copy)."""
    mine = tmp_path / "inputs" / "sample"
    mine.mkdir(parents=True)
    (mine / "agents.csv").write_text("agent_id\nMINE\n")
    monkeypatch.chdir(tmp_path)
    assert rota(capsys, "sample", tmp_path / "copy").code == 0
    assert (tmp_path / "copy" / "agents.csv").read_text() != "agent_id\nMINE\n"
    assert (tmp_path / "copy" / "streams.csv").exists()


def test_a_simulated_history_written_as_csv_gz_is_gzip(tmp_path, capsys):
    """The temporary file's .tmp suffix must not decide the compression: x.csv.gz is gzip, readable by
    rota review and rota forecast."""
    import gzip

    from scheduler.io.files import write_csv

    import pandas as pd

    write_csv(pd.DataFrame({"market": ["FR"], "questions": [1]}), tmp_path / "h.tmp", gzip=True)
    assert gzip.open(tmp_path / "h.tmp", "rt", encoding="utf-8-sig").read() == "market,questions\nFR,1\n"
