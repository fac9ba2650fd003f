"""The reader's only door to the file system.

Every answer the reader gets from the disk (what a path is, a file's bytes, a folder's
names, where a path resolves to) goes through ``observe``. While a recording is open the
answers are kept, so a memoized `plan` can later be trusted exactly when asking the same
questions again gives the same answers (pydocker_gen/memo.py). A test keeps the reader and the
configuration from touching the disk any other way.

Imports only ``os`` and ``stat``: the memo checks observations before anything heavy loads.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # typing itself is not imported: it costs the memo path

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

# (kind, absolute path) -> answer; None when no recording is open.
_recording: dict[tuple[str, str], object] | None = None


def observe(kind: str, path: str) -> object:
    """Ask the disk one question. ``path`` is absolute. Read errors propagate."""
    if kind == "stat":
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            return "-"
        return "f" if stat.S_ISREG(mode) else "d" if stat.S_ISDIR(mode) else "o"
    if kind == "read":
        with open(path, "rb") as f:
            return f.read()
    if kind == "list":
        return tuple(sorted(os.listdir(path)))
    if kind == "real":
        return os.path.realpath(path)
    raise ValueError(kind)


def _ask(kind: str, path: Path) -> object:
    where = os.path.abspath(path)
    answer = observe(kind, where)
    if _recording is not None:
        _recording[(kind, where)] = answer
    return answer


def is_file(path: Path) -> bool:
    return _ask("stat", path) == "f"


def is_dir(path: Path) -> bool:
    return _ask("stat", path) == "d"


def exists(path: Path) -> bool:
    return _ask("stat", path) != "-"


def read_bytes(path: Path) -> bytes:
    data = _ask("read", path)
    assert isinstance(data, bytes)
    return data


class NotText(Exception):
    """A file the reader needs as text is not UTF-8 (the reader's boundary names it)."""

    def __init__(self, path: str, exc: UnicodeDecodeError) -> None:
        self.path = path
        self.detail = f"{exc.reason} at byte {exc.start}"
        super().__init__(f"{path}: not UTF-8 ({self.detail})")


def read_text(path: Path) -> str:
    """UTF-8 with universal newlines, as ``Path.read_text`` reads."""
    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotText(os.path.abspath(path), exc) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def iterdir(path: Path) -> list[Path]:
    """The folder's entries, sorted by name."""
    names = _ask("list", path)
    assert isinstance(names, tuple)
    return [path / name for name in names]


def children_with(path: Path, name: str) -> list[Path]:
    """``path.glob("*/name")`` for a plain file name: sorted ``path/*/name`` files."""
    return [d / name for d in iterdir(path) if is_file(d / name)]


def resolve(path: Path) -> Path:
    return type(path)(str(_ask("real", path)))


class Recording:
    """Keep every observation made inside ``with Recording() as rec:`` in ``rec.observed``."""

    def __init__(self) -> None:
        self.observed: dict[tuple[str, str], object] = {}

    def __enter__(self) -> Recording:
        global _recording
        _recording = self.observed
        return self

    def __exit__(self, *exc: object) -> None:
        global _recording
        _recording = None


def unchanged(observed: Iterable[tuple[str, str, object]]) -> bool:
    """Whether asking every recorded question again gives the recorded answer."""
    for kind, path, answer in observed:
        try:
            if observe(kind, path) != answer:
                return False
        except (OSError, ValueError, UnicodeError):
            return False
    return True
