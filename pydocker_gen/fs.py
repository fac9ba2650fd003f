"""How the reader reads the project's files: text is UTF-8 or a named error, folders are
listed in a stable order, and a missing or unreadable path is simply "not a file"."""

from __future__ import annotations

from pathlib import Path


def is_file(path: Path) -> bool:
    return path.is_file()


def is_dir(path: Path) -> bool:
    return path.is_dir()


def exists(path: Path) -> bool:
    return path.exists()


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


class NotText(Exception):
    """A file the reader needs as text is not UTF-8 (the reader's boundary names it)."""

    def __init__(self, path: str, exc: UnicodeDecodeError) -> None:
        self.path = path
        self.detail = f"{exc.reason} at byte {exc.start}"
        super().__init__(f"{path}: not UTF-8 ({self.detail})")


def read_text(path: Path) -> str:
    """UTF-8 with universal newlines, as ``Path.read_text`` reads."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotText(str(path.absolute()), exc) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def iterdir(path: Path) -> list[Path]:
    """The folder's entries, sorted by name, so every reading of a tree is deterministic."""
    return sorted(path.iterdir())


def children_with(path: Path, name: str) -> list[Path]:
    """``path.glob("*/name")`` for a plain file name: sorted ``path/*/name`` files."""
    return [d / name for d in iterdir(path) if (d / name).is_file()]


def resolve(path: Path) -> Path:
    return path.resolve()
