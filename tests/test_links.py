"""Every link in the user-facing Markdown stays inside the repository and resolves.

People who clone or pip-install rota see only this repository, so a link (or a
backticked `../...` path) to a file outside it, such as a sibling folder of the
clone, is a dead end for them. Checked in README.md, docs/*.md and
inputs/sample/README.md:

- `[text](target)` and `![alt](target)` links, and `[label]: target`
  reference definitions, outside code blocks and code spans;
- backticked paths that start with `../`.

A relative target must resolve to a file or folder that is part of the
repository (tracked by git or about to be: not git-ignored), never above its
root. An absolute URL is allowed unless it points at a file of this project,
which should be a relative link instead (`file:` URLs and links into this
repository on a code host). Anchors (`#...`) and query strings are ignored.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]


def markdown_files() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "inputs" / "sample" / "README.md"]
    return [f for f in files if f.is_file()]


# --------------------------------------------------------------------------- finding links

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)
PARENT_PATH = re.compile(r"^\.\./\S*$")


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def blank_out(text: str, pattern: re.Pattern) -> str:
    """The text with every match replaced by spaces (newlines kept), so positions and line numbers hold."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def links_in(text: str) -> list[tuple[int, str, str]]:
    """(line, kind, target) of every link and every backticked ../ path of a Markdown text."""
    found = []
    prose = blank_out(text, FENCE)  # code blocks hold commands and output, not links
    for m in CODE_SPAN.finditer(prose):
        span = m.group(2).strip()
        if PARENT_PATH.match(span):
            found.append((line_of(text, m.start()), "backticked path", span))
    prose = blank_out(prose, CODE_SPAN)
    for m in INLINE_LINK.finditer(prose):
        found.append((line_of(text, m.start()), "link", m.group(1).strip("<>")))
    for m in REFERENCE.finditer(prose):
        found.append((line_of(text, m.start()), "reference", m.group(1).strip("<>")))
    return found


# --------------------------------------------------------------------------- judging a target

def repository_files() -> set[str] | None:
    """Files of the repository as a clone would have them (tracked, or new and not ignored), relative
    to the root; None outside a git work tree (then the file system decides)."""
    if not (ROOT / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}


REPO_FILES = repository_files()


def in_repository(path: Path) -> bool:
    """Whether `path` (resolved, inside ROOT) is a file or folder a clone has."""
    rel = path.relative_to(ROOT).as_posix()
    if REPO_FILES is None:
        return path.exists()
    if rel == ".":
        return True
    return rel in REPO_FILES or any(p.startswith(rel + "/") for p in REPO_FILES)


def project_names() -> set[str]:
    """Names this project goes by on a code host: its package name, and the repositories its URLs name."""
    names: set[str] = set()
    try:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return names
    if project.get("name"):
        names.add(str(project["name"]).lower())
    for url in (project.get("urls") or {}).values():
        parts = [p for p in urlsplit(str(url)).path.split("/") if p]
        if len(parts) >= 2:
            names.add(parts[1].lower().removesuffix(".git"))
    return names


PROJECT_NAMES = project_names()
# owner/repo/(blob|tree|raw|src|-/blob ...)/ref/path on GitHub, GitLab, Bitbucket, Gitea; raw.githubusercontent.com.
HOSTED_FILE = re.compile(r"^/([^/]+)/([^/]+)/(?:-/)?(?:blob|tree|raw|src)/[^/]+/(.+)$")
RAW_FILE = re.compile(r"^/([^/]+)/([^/]+)/[^/]+/(.+)$")


def problem_with(source: Path, target: str) -> str | None:
    """Why `target`, written in `source`, is not acceptable; None when it is."""
    if not target or target.startswith("#"):
        return None  # an anchor on the same page
    parts = urlsplit(target)
    if parts.scheme.lower() == "file":
        return "a file: URL points at one machine's disk, not into the repository"
    if parts.scheme and (parts.netloc or parts.scheme.lower() in ("mailto", "tel")):
        hosted = RAW_FILE.match(parts.path) if parts.netloc.lower() == "raw.githubusercontent.com" \
            else HOSTED_FILE.match(parts.path)
        if hosted:
            repo, path = hosted.group(2).lower().removesuffix(".git"), unquote(hosted.group(3)).strip("/")
            if repo in PROJECT_NAMES:
                return f"an absolute URL to a file of this project ({path}); link it relatively instead"
        return None
    if parts.scheme:
        return f"an unknown URL scheme {parts.scheme!r}"
    path = unquote(parts.path)
    if not path:
        return None  # only a query or an anchor
    if path.startswith("/"):
        return "an absolute path; write it relative to the Markdown file"
    resolved = (source.parent / path).resolve()
    try:
        resolved.relative_to(ROOT)
    except ValueError:
        return f"leaves the repository (resolves to {resolved}); users who clone or install rota do not have it"
    if not in_repository(resolved):
        return f"does not resolve to a file of the repository ({resolved.relative_to(ROOT).as_posix()})"
    return None


# --------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("source", markdown_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_stays_inside_the_repository_and_resolves(source: Path):
    text = source.read_text(encoding="utf-8")
    bad = []
    for line, kind, target in links_in(text):
        why = problem_with(source, target)
        if why:
            bad.append(f"{source.relative_to(ROOT).as_posix()}:{line}: {kind} {target!r}: {why}")
    assert not bad, "broken or outward links:\n" + "\n".join(bad)


def test_the_checked_pages_are_there():
    names = {p.relative_to(ROOT).as_posix() for p in markdown_files()}
    assert {"README.md", "docs/glossary.md", "docs/inputs.md", "docs/outputs.md", "inputs/sample/README.md"} <= names


@pytest.mark.parametrize("text, target, ok", [
    ("see [the glossary](docs/glossary.md)", "docs/glossary.md", True),
    ("see [a section](docs/glossary.md#simulation-history-and-review)", "docs/glossary.md#simulation-history-and-review", True),
    ("the contract is `../shared/SPEC.md`", "../shared/SPEC.md", False),
    ("[spec](../shared/SPEC.md)", "../shared/SPEC.md", False),
    ("[gone](docs/nothing-here.md)", "docs/nothing-here.md", False),
    ("[TOML](https://toml.io/en/)", "https://toml.io/en/", True),
    ("[ours](https://github.com/someone/rota/blob/main/docs/model.md)", "https://github.com/someone/rota/blob/main/docs/model.md", False),
    ("[disk](file:///work/shared/SPEC.md)", "file:///work/shared/SPEC.md", False),
    ("[root](/docs/model.md)", "/docs/model.md", False),
    ("[ref]: ../../outside.md", "../../outside.md", False),
])
def test_the_checker_tells_good_links_from_bad(text, target, ok):
    """The checker itself, on links written into README.md's place (the repository root)."""
    found = links_in(text)
    assert [t for _, _, t in found] == [target]
    assert (problem_with(ROOT / "README.md", target) is None) == ok


def test_code_is_not_mistaken_for_links():
    text = "```console\n$ ls ../shared\n[not](a-link.md)\n```\nsome `[x](y.md)` code and `../` alone\n"
    assert links_in(text) == [(5, "backticked path", "../")]
