"""Writing outputs so that nothing is lost.

Every output is written to a temporary file in the destination folder and
moved into place only when complete: a failed or interrupted run leaves no
half-written file. An existing output is never replaced unless the caller
says `force`; without it the final move is a hard link, which fails rather
than overwrite even if another run wrote the same name meanwhile.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from scheduler.errors import RotaError
from scheduler.io.tables import FORMULA_PREFIXES

# CSVs meant for Excel start with a byte-order mark: without one, Excel on Windows opens UTF-8 as the
# local ANSI code page and mangles "Océane". `--csv-encoding utf-8` drops it for importers that want none.
CSV_ENCODINGS = ("utf-8-sig", "utf-8")
CSV_ENCODING = "utf-8-sig"

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_name(text: str) -> str:
    """A file-name part built from user text that cannot leave its folder."""
    name = re.sub(r"[^\w.\-]+", "_", text, flags=re.UNICODE).strip("._") or "scenario"
    if name.lower().split(".")[0] in _RESERVED:
        name = "_" + name
    return name[:100]


def ensure_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RotaError(f"{path}: cannot create the output folder ({e.strerror})") from None
    return path


def refuse_existing(*paths: Path, force: bool = False) -> None:
    if force:
        return
    existing = [str(p) for p in paths if p.exists() or p.is_symlink()]
    if existing:
        raise RotaError(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                        "use --force to replace, or --out for another folder")


@contextmanager
def atomic_outputs(*paths: Path, force: bool = False):
    """Yield temporary paths to write; on success move them all into place."""
    refuse_existing(*paths, force=force)
    temps: list[Path] = []
    try:
        for p in paths:
            ensure_dir(p.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
            # mkstemp makes it 0600; an output gets what any file of the user gets (umask), so a colleague
            # reading the shared folder HR picks the roster up from can open it.
            os.close(fd)
            os.chmod(tmp, 0o666 & ~_umask())
            temps.append(Path(tmp))
        yield temps
        refuse_existing(*paths, force=force)
        placed: list[Path] = []
        for tmp, p in zip(temps, paths):
            if force:
                if p.is_symlink():
                    p.unlink()
                os.replace(tmp, p)
            else:
                try:
                    os.link(tmp, p)
                except FileExistsError:
                    for q in placed:  # both or neither
                        q.unlink()
                    raise RotaError(f"{p} appeared while writing; nothing was written") from None
                placed.append(p)
                tmp.unlink()
    except OSError as e:
        raise RotaError(f"cannot write {paths[0].parent}: {e.strerror or e}") from None
    finally:
        for tmp in temps:
            if tmp.exists():
                tmp.unlink()


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux); elsewhere, the
    umask read once at import (reading it means setting it, which no other thread should see)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _UMASK_AT_IMPORT


def _umask_at_import() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK_AT_IMPORT = _umask_at_import()


# OWASP, "CSV Injection": a field a spreadsheet would run as a formula gets a leading quote.


def csv_safe(value):
    """Text that a spreadsheet would run is quoted; numbers and other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(frame, path: Path, encoding: str = CSV_ENCODING, gzip: bool = False) -> None:
    """A frame as UTF-8 CSV (with a byte-order mark unless `encoding` is "utf-8"), every text field made
    safe for spreadsheets."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or str(safe[column].dtype).startswith("str"):
            safe[column] = safe[column].map(csv_safe)
    # Compression is said, not inferred: `path` is a temporary file whose name ends in .tmp.
    safe.to_csv(path, index=False, lineterminator="\n", encoding=encoding, compression="gzip" if gzip else None)


SAMPLE = "inputs/sample"


def bundled_sample() -> Path:
    """The bundled sample: the copy installed inside the package (scheduler/sample), else the clone's
    inputs/sample (a clone, or an editable install). Never the current folder's inputs/sample, which may be
    a user's own edited copy."""
    here = Path(__file__).resolve().parents[1]
    for folder in (here / "sample", here.parent / SAMPLE):
        if (folder / "agents.csv").is_file():
            return folder
    raise RotaError("the bundled sample scenario is missing from this installation; reinstall rota")


def copy_sample(folder: Path, force: bool = False) -> list[str]:
    """Copy the bundled sample scenario into `folder` (not into a folder with files, unless `force`)."""
    import shutil

    source = bundled_sample()
    if folder.exists() and any(folder.iterdir()) and not force:
        raise RotaError(f"{folder} is not empty; use --force to copy the sample into it anyway")
    ensure_dir(folder)
    names = sorted(p.name for p in source.iterdir() if p.is_file() and not p.name.startswith((".", "__")))
    for name in names:
        shutil.copyfile(source / name, folder / name)
    return names
