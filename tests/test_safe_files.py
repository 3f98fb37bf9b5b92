"""Nothing a person typed becomes a formula; nothing we read can hurt us; outputs stay inside --out."""

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from clirun import rota
from scenario_builder import agent, write_scenario
from scheduler.io.files import safe_name

HOSTILE = ['=HYPERLINK("http://example.invalid","x")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3"]


@pytest.fixture
def hostile(tmp_path):
    agents = [agent(agent_id, site="@hq", min_hours=8, name=name) for agent_id, name in zip(("=A0", "=A1", "B1", "B2"), HOSTILE)]
    return write_scenario(
        tmp_path / "hostile", sites=[{"site": "@hq", "timezone": "Asia/Shanghai"}], agents=agents,
        markets=[{"market": "+M", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
        shifts=[{"shift": "=D", "site": "@hq", "start": "09:00", "hours": 8}],
        forecast=[{"market": "+M", "start": f"{d} {h:02d}:00", "questions": 20} for d in ("Mon", "Tue") for h in range(9, 17)],
        leave=[{"agent_id": "B2", "start": "Sun", "end": "Sun", "reason": "=1+1"}])


def every_cell(path: Path):
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                yield ws.title, cell


def test_hostile_text_stays_text_everywhere(hostile, tmp_path, capsys):
    out = tmp_path / "out"
    assert rota(capsys, "plan", hostile, "--week", "2026-11-30", "--out", out, "--time-limit", "5", "--quiet").code == 0
    book = out / "hostile-2026-W49.xlsx"
    seen = set()
    for sheet, cell in every_cell(book):
        assert cell.data_type != "f", (sheet, cell.coordinate, cell.value)
        if cell.value in HOSTILE + ["=A0", "=A1", "@hq", "+M"]:
            assert cell.data_type == "s"
            seen.add(cell.value)
    assert {"=A0", "@hq", HOSTILE[0], HOSTILE[2]} <= seen
    text = (out / "hostile-2026-W49-roster.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["agent_id"] for r in rows} == {"'=A0", "'=A1", "B1", "B2"}  # min_hours: everyone works
    assert all(r["site"] == "'@hq" for r in rows)
    assert {r["name"] for r in rows} == {"'" + h for h in HOSTILE}
    assert all(not r["paid_hours"].startswith("'") for r in rows)
    # Our own quoted CSV reads back as written: evaluate finds the same agents and no breaks.
    r = rota(capsys, "evaluate", hostile, out / "hostile-2026-W49-roster.csv", "--out", tmp_path / "ev")
    assert r.code == 0 and "no rule breaks" in r.out
    for sheet, cell in every_cell(tmp_path / "ev" / "hostile-2026-W49-roster-evaluated.xlsx"):
        assert cell.data_type != "f"
    r = rota(capsys, "whatif", hostile, "--week", "2026-11-30", "--hire", "@hq:en:1", "--time-limit", "3",
             "--out", tmp_path / "wi")
    assert r.code == 0
    for sheet, cell in every_cell(tmp_path / "wi" / "hostile-2026-W49-whatif.xlsx"):
        assert cell.data_type != "f"
        if cell.value == "cost_@hq":
            assert cell.data_type == "s"


def test_staffing_csv_quotes_hostile_queue_text(tmp_path, capsys):
    folder = write_scenario(tmp_path / "q", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
                            agents=[agent("A1")], shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
                            markets=[{"market": "=M", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
                            forecast=[{"market": "=M", "start": "Mon 09:00", "questions": 5}],
                            policy_extra="")
    (folder / "policy.toml").write_text((folder / "policy.toml").read_text().replace("[targets]", 'pool_by = "market"\n\n[targets]'))
    assert rota(capsys, "staffing", folder, "--out", tmp_path / "o").code == 0
    [path] = (tmp_path / "o").glob("q-*-W*-staffing.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert {r["queue"] for r in rows} == {"'=M"}


def xlsx_scenario(tmp_path: Path, hourly_cost_cell) -> Path:
    folder = write_scenario(tmp_path / "book", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
                            agents=[agent("A1")], shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
                            markets=[{"market": "M", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
                            forecast=[{"market": "M", "start": "Mon 09:00", "questions": 5}])
    (folder / "agents.csv").unlink()
    wb = Workbook()
    ws = wb.active
    ws.title = "agents"
    ws.append(["agent_id", "name", "site", "languages", "hourly_cost", "max_hours"])
    ws.append(["A1", "Ann", "hq", "en", hourly_cost_cell, 40])
    wb.save(folder / "scenario.xlsx")
    return folder


def patch_zip(path: Path, member: str, edit) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, edit(data) if info.filename == member else data)


def test_formula_without_saved_result_is_an_error_naming_the_cell(tmp_path, capsys):
    folder = xlsx_scenario(tmp_path, "=5+5")
    r = rota(capsys, "check", folder)
    assert r.code == 2
    assert "scenario.xlsx, sheet agents, row 2, column hourly_cost: '=5+5': a formula with no saved result" in r.err


def test_formula_with_saved_result_is_used_with_a_warning(tmp_path, capsys):
    folder = xlsx_scenario(tmp_path, "=5+5")
    patch_zip(folder / "scenario.xlsx", "xl/worksheets/sheet1.xml", lambda d: d.replace(b"<f>5+5</f><v />", b"<f>5+5</f><v>10</v>"))
    r = rota(capsys, "check", folder)
    assert r.code == 0, r.err
    assert "warning: scenario.xlsx, sheet agents, row 2, column hourly_cost: '=5+5': a formula; its saved result 10 is used" in r.err


def test_entity_expansion_is_refused(tmp_path, capsys):
    folder = xlsx_scenario(tmp_path, 10)
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;'
            b'&lol;&lol;&lol;&lol;&lol;">]>')
    patch_zip(folder / "scenario.xlsx", "xl/worksheets/sheet1.xml",
              lambda d: bomb + d.split(b"?>", 1)[1] if d.startswith(b"<?xml") else bomb + d)
    r = rota(capsys, "check", folder)
    assert r.code == 2 and "scenario.xlsx: refused: the file declares XML entities" in r.err


def test_zip_bomb_is_refused_before_unpacking(tmp_path, capsys, monkeypatch):
    import scheduler.io.tables
    monkeypatch.setattr(scheduler.io.tables, "MAX_UNPACKED_BYTES", 2 * 2**20)
    folder = xlsx_scenario(tmp_path, 10)
    with zipfile.ZipFile(folder / "scenario.xlsx", "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (8 * 2**20))  # 8 MB of zeros, a few kB on disk
    assert (folder / "scenario.xlsx").stat().st_size < 200_000
    r = rota(capsys, "check", folder)
    assert r.code == 2 and "scenario.xlsx: unpacks to 8 MB, far beyond any real scenario; refused unopened" in r.err


@pytest.mark.parametrize("text, name", [("../../evil", "evil"), ("a/b\\c", "a_b_c"), ("CON", "_CON"),
                                        ("bad\x00name\n", "bad_name"), ("..", "scenario")])
def test_safe_name(text, name):
    assert safe_name(text) == name


def test_outputs_stay_inside_out_and_do_not_follow_symlinks(tmp_path, capsys):
    real = write_scenario(tmp_path / "x" / "evil", sites=[{"site": "hq", "timezone": "Asia/Shanghai"}],
                          agents=[agent("A1", min_hours=0)], shifts=[{"shift": "D", "site": "hq", "start": "09:00", "hours": 8}],
                          markets=[{"market": "M", "timezone": "Asia/Shanghai", "language": "en", "aht_seconds": 180}],
                          forecast=[{"market": "M", "start": "Mon 09:00", "questions": 5}])
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    os.symlink(target, out / "evil-2026-W49.xlsx")
    via = tmp_path / "x" / "y" / ".." / ".." / "x" / "evil"
    (tmp_path / "x" / "y").mkdir()
    r = rota(capsys, "plan", via, "--week", "2026-11-30", "--out", out, "--time-limit", "2", "--quiet")
    assert r.code == 2 and "already exist" in r.err and target.read_text() == "keep me"
    r = rota(capsys, "plan", via, "--week", "2026-11-30", "--out", out, "--time-limit", "2", "--quiet", "--force")
    assert r.code == 0 and target.read_text() == "keep me"
    assert not (out / "evil-2026-W49.xlsx").is_symlink() and load_workbook(out / "evil-2026-W49.xlsx").sheetnames[0] == "Roster"
    assert sorted(p.name for p in out.iterdir()) == ["evil-2026-W49-roster.csv", "evil-2026-W49.xlsx"]
    assert real.exists()


def test_openpyxl_parses_through_defusedxml():
    import defusedxml  # noqa: F401  (a declared dependency, so openpyxl picks it up)
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
