"""Run the real `rota` entry point in-process and capture what a user sees."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from scheduler.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def rota(capsys, *args) -> Result:
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    code = e.value.code if isinstance(e.value.code, int) else (0 if e.value.code is None else 1)
    assert "Traceback" not in captured.err
    return Result(code, captured.out, captured.err)
