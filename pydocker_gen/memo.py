"""Memo of `plan`: a repeated ``pydocker-gen plan`` whose inputs are all unchanged prints what
it printed last time, without importing the reader, the planner, tomllib or packaging.

An entry is trusted only when the command line and working folder are the same,
pydocker-gen's own files and the folders its libraries are installed in are unchanged, and
every question the reader asked the disk (fs.py: a path's kind, a file's bytes, a folder's
names) gets the same answer again. Anything else is a miss and runs the plan. Files are
compared byte for byte, not by time stamp: an edit within the file system's clock tick is
still seen.

Imports only os, sys, marshal and zlib (all loaded with the interpreter or built in).
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib

from pydocker_gen import fs

TYPE_CHECKING = False  # typing itself is not imported: it costs the memo path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

FORMAT = 1  # bump when an entry's layout changes
# sys.path as the interpreter started: a library may add to it when imported (poetry-core puts
# its _vendor folder first), and the miss that stores an entry has imported more than the
# lookup that reads it.
_START_PATH = tuple(sys.path)
KEEP = 64  # entries (one per folder and command line); the least recently used go first
OFF_ENV = "PYDOCKER_GEN_NO_CACHE"


def folder() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pydocker-gen", "plans")


def eligible(argv: Sequence[str]) -> bool:
    """Cheap pre-check on the raw command line; only a stored `plan` run can ever hit."""
    return (
        "plan" in argv
        and "--online" not in argv  # asks the network, not only the disk
        and "--no-cache" not in argv
        and not os.environ.get(OFF_ENV)
    )


def _where(argv: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    return os.getcwd(), tuple(argv)


def _entry_path(argv: Sequence[str]) -> str:
    text = repr(_where(argv)).encode("utf-8", "surrogateescape")
    return os.path.join(folder(), f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}.marshal")


_signature: tuple[object, ...] | None = None


def _code() -> tuple[object, ...]:
    """pydocker-gen's own files (an editable checkout changes without a version bump) and the
    folders on the starting sys.path (upgrading packaging or poetry-core renames its dist-info
    there). Computed once a run: a miss looks the entry up, then stores it."""
    global _signature
    if _signature is None:
        _signature = _walk()
    return _signature


def _walk() -> tuple[object, ...]:
    here = os.path.dirname(os.path.abspath(__file__))
    files = []
    for dirpath, dirnames, filenames in os.walk(here):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            st = os.stat(path)
            files.append((os.path.relpath(path, here), st.st_size, st.st_mtime_ns))
    paths = []
    for entry in _START_PATH:
        try:
            paths.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            paths.append((entry, -1))
    return FORMAT, sys.version, tuple(files), tuple(paths)


def _prune(newest: str) -> None:
    """An entry holds the bytes of every file its plan read: keep the folder bounded,
    removing the entries least recently written or answered from."""
    others = [
        e
        for e in os.scandir(os.path.dirname(newest))
        if e.name.endswith(".marshal") and e.path != newest
    ]
    if len(others) < KEEP:
        return
    others.sort(key=lambda e: e.stat().st_mtime_ns)
    for old in others[: len(others) - KEEP + 1]:
        os.unlink(old.path)


def lookup(argv: Sequence[str]) -> tuple[str, str, int] | None:
    """The recorded (stdout, stderr, exit code) when nothing the run depends on changed."""
    try:
        path = _entry_path(argv)
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_uid != os.getuid():
                return None  # only entries this user wrote (a shared cache folder is no source)
            entry = marshal.load(f)
        if entry["where"] != _where(argv) or entry["code"] != _code():
            return None
        if not fs.unchanged(entry["observed"]):
            return None
        os.utime(path)  # pruning removes the least recently used entries, not a busy one
        return str(entry["stdout"]), str(entry["stderr"]), int(entry["exit"])
    except Exception:
        return None


def store(
    argv: Sequence[str],
    observed: Mapping[tuple[str, str], object],
    stdout: str,
    stderr: str,
    exit_code: int,
) -> None:
    """Write the entry beside and rename it in; a read-only cache (or a working folder that
    vanished, a package file removed mid-walk) only costs speed."""
    tmp = None
    try:
        entry = {
            "where": _where(argv),
            "code": _code(),
            "observed": [(kind, path, answer) for (kind, path), answer in observed.items()],
            "stdout": stdout,
            "stderr": stderr,
            "exit": exit_code,
        }
        path = _entry_path(argv)
        tmp = f"{path}.{os.getpid()}.tmp"
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(tmp, "wb") as f:
            marshal.dump(entry, f)
        os.replace(tmp, path)
        _prune(path)
    except (OSError, ValueError):
        if tmp is not None:
            import contextlib  # the miss path only

            with contextlib.suppress(OSError):
                os.unlink(tmp)
