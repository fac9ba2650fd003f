"""What every manager's reader returns, before the project-wide facts are assembled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydocker_gen.facts import Index, LockedPackage, Source
from pydocker_gen.reader.python_version import Pin, Range


@dataclass
class ManagerRead:
    """One package manager's view of the project."""

    manifest: str | None
    lockfile: str | None
    lock_inputs: list[str]
    packages: list[LockedPackage]
    hashed: bool
    pinned: bool
    pins: list[Pin] = field(default_factory=list)
    ranges: list[Range] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    install_project: bool = False
    warnings: list[str] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)  # console scripts the project defines


def all_hashed(packages: list[LockedPackage]) -> bool:
    """Every index package carries a hash (VCS/URL/path ones cannot)."""
    return all(p.hashes for p in packages if p.source is Source.REGISTRY)


def pyproject_lock(lock: str, packages: list[LockedPackage], **kwargs: Any) -> ManagerRead:
    """A pyproject.toml project with its lock: both files are the install's inputs."""
    return ManagerRead(
        manifest="pyproject.toml",
        lockfile=lock,
        lock_inputs=["pyproject.toml", lock],
        packages=packages,
        hashed=all_hashed(packages),
        pinned=True,
        **kwargs,
    )
