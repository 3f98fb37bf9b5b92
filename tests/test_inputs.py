"""Scenario validation: every broken input names file, row and column; all problems at once; exit 2."""

import shutil
from pathlib import Path

import pytest

from clirun import rota
from scenario_builder import agent, write_csv, write_scenario
from scheduler.io.scenario import load_scenario


def base(tmp_path: Path) -> Path:
    return write_scenario(
        tmp_path / "s",
        sites=[{"site": "hq", "timezone": "Asia/Shanghai", "night_premium": 0.3},
               {"site": "paris", "timezone": "Europe/Paris"}],
        agents=[agent("A1", languages="en;fr"), agent("A2", site="paris", languages="fr", min_hours=8)],
        markets=[{"market": "FR", "timezone": "Europe/Paris", "language": "fr", "aht_seconds": 180},
                 {"market": "US", "timezone": "America/New_York", "language": "en", "aht_seconds": 200}],
        shifts=[{"shift": "D", "site": "*", "start": "09:00", "hours": 8, "break_minutes": 30},
                {"shift": "N", "site": "hq", "start": "21:00-23:00/60", "hours": 9, "break_minutes": 60, "days": "Mon-Fri"}],
        forecast=[{"market": "FR", "start": "Mon 19:00", "questions": 40},
                  {"market": "US", "start": "Mon 20:00", "questions": 60}],
        leave=[{"agent_id": "A1", "start": "Wed", "end": "Thu", "reason": "annual leave"}],
    )


def edit(folder: Path, table: str, row: int, column: str, value: str) -> None:
    import csv
    path = folder / f"{table}.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[row - 2][column] = value
    write_csv(path, rows)


def test_base_scenario_loads(tmp_path):
    sc = load_scenario(base(tmp_path))
    assert set(sc.agents) == {"A1", "A2"} and sc.agents["A1"].languages == ("en", "fr")
    assert [t.starts for t in sc.templates] == [(540,), (1260, 1320, 1380)]
    assert sc.templates[1].weekdays == frozenset(range(5))
    assert [q.queue for q in sc.queues] == ["fr", "en"]


CASES = [
    ("sites", 2, "timezone", "Europe/Parris", "sites.csv, row 2, column timezone", "IANA time zone"),
    ("agents", 3, "site", "london", "agents.csv, row 3, column site", "unknown site"),
    ("agents", 3, "hourly_cost", "-3", "agents.csv, row 3, column hourly_cost", "from 0 to"),
    ("agents", 2, "hourly_cost", "ten", "agents.csv, row 2, column hourly_cost", "expected a number"),
    ("agents", 3, "min_hours", "50", "agents.csv, row 3, column min_hours", "at most max_hours"),
    ("agents", 3, "agent_id", "A1", "agents.csv, row 3, column agent_id", "duplicate; already on row 2"),
    ("agents", 2, "languages", "english", "agents.csv, row 2, column languages", "language codes"),
    ("agents", 2, "earliest_start", "25:99", "agents.csv, row 2, column earliest_start", "HH:MM"),
    ("shifts", 2, "site", "tokyo", "shifts.csv, row 2, column site", "unknown site"),
    ("shifts", 3, "start", "21:00-19:00/60", "shifts.csv, row 3, column start", "END after START"),
    ("shifts", 2, "break_minutes", "400", "shifts.csv, row 2, column break_minutes", "from 0 to 240"),
    ("shifts", 3, "days", "Funday", "shifts.csv, row 3, column days", "Mon-Fri"),
    ("markets", 2, "bot_deflection", "1.5", "markets.csv, row 2, column bot_deflection", "from 0 to 1"),
    ("markets", 3, "concurrency", "2.5", "markets.csv, row 3, column concurrency", "whole number"),
    ("markets", 3, "market", "FR", "markets.csv, row 3, column market", "duplicate"),
    ("forecast", 2, "market", "XX", "forecast.csv, row 2, column market", "unknown market"),
    ("forecast", 3, "questions", "-1", "forecast.csv, row 3, column questions", ">= 0"),
    ("forecast", 3, "start", "Mon 25:00", "forecast.csv, row 3, column start", "HH:MM"),
    ("leave", 2, "agent_id", "Z9", "leave.csv, row 2, column agent_id", "unknown agent"),
    ("leave", 2, "end", "2026-12-01", "leave.csv, row 2, column end", "same form as start"),
]


@pytest.mark.parametrize("table, row, column, value, where, expected", CASES)
def test_each_broken_input_exits_2_naming_file_row_column(tmp_path, capsys, table, row, column, value, where, expected):
    folder = base(tmp_path)
    edit(folder, table, row, column, value)
    r = rota(capsys, "check", folder)
    assert r.code == 2
    assert where in r.err and expected in r.err


def test_duplicate_forecast_interval(tmp_path, capsys):
    folder = base(tmp_path)
    with (folder / "forecast.csv").open("a") as f:
        f.write("FR,monday 19:00,3\n")
    r = rota(capsys, "check", folder)
    assert r.code == 2
    assert "forecast.csv, row 4, column start: 'monday 19:00': duplicate interval for market FR; already on row 2" in r.err


def test_all_problems_are_reported_together(tmp_path, capsys):
    folder = base(tmp_path)
    edit(folder, "sites", 2, "timezone", "Mars/Olympus")
    edit(folder, "agents", 3, "hourly_cost", "lots")
    edit(folder, "forecast", 2, "questions", "many")
    r = rota(capsys, "check", folder)
    assert r.code == 2 and "3 problems" in r.err
    for where in ("sites.csv, row 2, column timezone", "agents.csv, row 3, column hourly_cost",
                  "forecast.csv, row 2, column questions"):
        assert where in r.err


def test_missing_column_and_missing_file(tmp_path, capsys):
    folder = base(tmp_path)
    (folder / "shifts.csv").write_text("shift,site,start\nD,*,09:00\n")
    (folder / "markets.csv").unlink()
    r = rota(capsys, "check", folder)
    assert r.code == 2
    assert "shifts.csv, row 1, column hours: missing required column" in r.err
    assert "markets.csv: missing" in r.err


def test_broken_policy(tmp_path, capsys):
    folder = base(tmp_path)
    (folder / "policy.toml").write_text("[plan]\ninterval_minutes = 45\ntime_limit = 3\n[solver]\nworkers = 'two'\n")
    r = rota(capsys, "check", folder)
    assert r.code == 2
    assert "policy.toml, column [plan] interval_minutes: '45': expected one of 15, 30, 60" in r.err
    assert "[plan] time_limit" in r.err and "unknown setting" in r.err
    assert "[solver] workers" in r.err
    (folder / "policy.toml").write_text("[plan\n")
    assert "not valid TOML" in rota(capsys, "check", folder).err


def test_empty_forecast(tmp_path, capsys):
    folder = base(tmp_path)
    (folder / "forecast.csv").write_text("market,start,questions\n")
    r = rota(capsys, "check", folder)
    assert r.code == 2 and "forecast.csv: the forecast has no rows" in r.err


def test_language_nobody_speaks_is_a_warning(tmp_path, capsys):
    folder = base(tmp_path)
    with (folder / "markets.csv").open("a") as f:
        f.write("DE,Europe/Berlin,de,150,,,,,\n")
    r = rota(capsys, "check", folder)
    assert r.code == 0
    assert "warning" in r.err and "no agent speaks the language of market DE" in r.err


def test_not_utf8(tmp_path, capsys):
    folder = base(tmp_path)
    (folder / "agents.csv").write_bytes((folder / "agents.csv").read_bytes().replace(b"Agent A2", "Agënt".encode("latin-1")))
    r = rota(capsys, "check", folder)
    assert r.code == 2 and "agents.csv, row 3: not UTF-8" in r.err


def test_scenario_from_one_workbook(tmp_path, capsys):
    """The same tables as sheets of scenario.xlsx load to the same scenario."""
    import csv

    from openpyxl import Workbook
    folder = base(tmp_path)
    book = tmp_path / "x"
    book.mkdir()
    wb = Workbook()
    wb.remove(wb.active)
    for name in ("sites", "agents", "markets", "shifts", "forecast", "leave"):
        ws = wb.create_sheet(name)
        for rec in csv.reader((folder / f"{name}.csv").open(encoding="utf-8")):
            ws.append([float(v) if v.replace(".", "", 1).isdigit() else v for v in rec])
    wb.save(book / "scenario.xlsx")
    shutil.copy(folder / "policy.toml", book / "policy.toml")
    a, b = load_scenario(folder), load_scenario(book)
    assert a.agents == b.agents and a.markets == b.markets and a.templates == b.templates
    assert a.forecast == b.forecast and a.leave == b.leave


def test_check_summarises_the_sample(capsys):
    r = rota(capsys, "check", "inputs/sample")
    assert r.code == 0
    assert "Markets by queue" in r.out and "Agents per site and language" in r.out
    assert "Rough headcount against demand" in r.out


def test_thousands_separator_is_ambiguous(tmp_path, capsys):
    folder = base(tmp_path)
    edit(folder, "forecast", 2, "questions", "1,200")
    r = rota(capsys, "check", folder)
    assert r.code == 2 and "forecast.csv, row 2, column questions: '1,200': ambiguous" in r.err
    edit(folder, "forecast", 2, "questions", "1,5")
    assert rota(capsys, "check", folder).code == 0  # a decimal comma alone is read as 1.5


def test_every_policy_setting_is_parsed_from_its_field(tmp_path):
    """A policy setting is one field (`domain.setting`): writing every default back into policy.toml loads
    the same policy, and a field added without its parsing spec fails here, not as a user's traceback."""
    from dataclasses import fields

    from scheduler.domain import WEEKDAYS, Policy, clock_text
    from scheduler.io.scenario import load_policy
    from scheduler.errors import Problems

    lines = []
    for section in fields(Policy):
        lines.append(f"[{section.name}]")
        for f in fields(section.default_factory()):
            meta = f.metadata
            assert set(meta) == {"lo", "hi", "choices", "kind"}, f"{section.name}.{f.name} is not a setting()"
            value = getattr(section.default_factory(), f.name)
            if value is None:
                continue
            if meta["kind"] == "clock":
                text = f'"{clock_text(value)}"'
            elif meta["kind"] == "weekday":
                text = f'"{WEEKDAYS[value]}"'
            else:
                text = f'"{value}"' if isinstance(value, str) else repr(value)
            lines.append(f"{f.name} = {text}")
    (tmp_path / "policy.toml").write_text("\n".join(lines) + "\n")
    problems = Problems()
    assert load_policy(tmp_path, problems) == Policy() and problems.items == []


def test_a_whole_number_setting_written_with_a_decimal_point_is_read_as_the_whole_number(tmp_path):
    """interval_minutes = 60.0 is 60 (it crashed the planner as a float before)."""
    from scheduler.errors import Problems
    from scheduler.io.scenario import load_policy

    (tmp_path / "policy.toml").write_text("[plan]\ninterval_minutes = 60.0\n")
    problems = Problems()
    policy = load_policy(tmp_path, problems)
    assert problems.items == [] and policy.plan.interval_minutes == 60 and type(policy.plan.interval_minutes) is int
