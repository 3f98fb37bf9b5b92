"""Every command is in the README and has a runnable example in its help, so docs cannot drift."""

from pathlib import Path

import pytest

from scheduler.cli import cli

README = Path("README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_is_documented(name):
    assert f"`rota {name}" in README
    assert "Example:" in (cli.commands[name].help or "")


def test_readme_opens_with_the_two_newcomer_blocks():
    import re
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    assert blocks[0].strip().endswith("rota plan") and "pip install -e ." in blocks[0]
    assert blocks[1].strip().endswith("pytest -q") and 'pip install -e ".[test]"' in blocks[1]
    assert Path(".ci/run").read_text().strip().endswith("\n".join(blocks[1].strip().splitlines()[1:]))
