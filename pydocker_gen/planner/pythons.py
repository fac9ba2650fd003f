"""CPython minor versions as data (``data/pythons.toml``): release and end-of-life dates, and
the Debian releases their official slim images are published for."""

from __future__ import annotations

import datetime
import functools
import tomllib
from pathlib import Path
from typing import NamedTuple

TABLE = Path(__file__).resolve().parent.parent / "data" / "pythons.toml"


class Minor(NamedTuple):
    version: str  # "3.12"
    released: datetime.date
    end_of_life: datetime.date
    debian: tuple[str, ...]  # releases with python:X.Y-slim-<release> images

    def past_end_of_life(self, today: datetime.date) -> bool:
        return today > self.end_of_life


@functools.cache
def minors() -> tuple[Minor, ...]:
    """Every known minor, oldest first."""
    data = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    rows = [
        Minor(version, row["released"], row["end_of_life"], tuple(row["debian"]))
        for version, row in data["minors"].items()
    ]
    return tuple(sorted(rows, key=lambda m: tuple(int(p) for p in m.version.split("."))))


def known(version: str) -> Minor | None:
    return next((m for m in minors() if m.version == version), None)


def with_image(debian: str) -> tuple[str, ...]:
    """Minors with an official slim image on ``debian``, oldest first."""
    return tuple(m.version for m in minors() if debian in m.debian)
