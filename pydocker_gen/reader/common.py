"""What every manager's reader returns, before the project-wide facts are assembled."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from pydocker_gen import fs, markers
from pydocker_gen.errors import UserError
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
    # The lock lists every package the image needs, so pip installs it with --no-deps; when
    # it cannot be proven, pip resolves what is missing (docs/readers.md).
    complete: bool = True
    complete_reason: str = "the lock lists every package"


def excluded_everywhere(
    pkg: LockedPackage, pythons: tuple[str, ...] = markers.TARGET_PYTHONS
) -> bool:
    """The package's marker is false on every target: pip skips its line before checking
    hashes, so a missing hash there cannot fail the install."""
    return not any(
        markers.applies(pkg.marker, py, m, pkg.marker_groups)
        for py in pythons
        for m in markers.TARGET_MACHINES
    )


def all_hashed(
    packages: list[LockedPackage], pythons: tuple[str, ...] = markers.TARGET_PYTHONS
) -> bool:
    """Every index package that can be installed on a target carries a hash (VCS/URL/path
    ones cannot; Pipenv writes a marker-excluded package without hashes)."""
    return all(
        p.hashes
        for p in packages
        if p.source is Source.REGISTRY and not excluded_everywhere(p, pythons)
    )


def target_pythons(pins: list[Pin]) -> tuple[str, ...]:
    """The minors a lock can be installed for, as far as its own reader knows."""
    return tuple(sorted({p.minor for p in pins})) if pins else markers.TARGET_PYTHONS


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


def inside(root: Path, path: str, file: str, field: str) -> str:
    """``path`` (a local source the lock names) relative to ``root``, in POSIX form.

    A Docker build sees only its context, the project folder: a source outside it cannot be
    installed, so it is an error here rather than a failed build later.
    """
    rel = posixpath.normpath(path.removeprefix("file://").replace("\\", "/"))
    if posixpath.isabs(rel):
        resolved = fs.resolve(Path(rel))
        root_resolved = fs.resolve(root)
        if resolved.is_relative_to(root_resolved):
            return resolved.relative_to(root_resolved).as_posix()
    elif (
        not rel.startswith("../")
        and rel != ".."
        and fs.resolve(root / rel).is_relative_to(fs.resolve(root))
    ):
        return rel
    raise UserError(
        file,
        f"installs a local source from {path!r}, outside the project folder, so a Docker "
        "build (whose context is the project folder) cannot see it.",
        field=field,
        fix="Move it inside the project (with uv, as a workspace member) or publish it to "
        "an index.",
    )


def split_url(url: str, file: str, field: str | None) -> SplitResult:
    """``url`` split into its parts; one urllib cannot split (a bad [IPv6] host) is an error
    naming where it was written."""
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise UserError(file, f"{url!r} is not a valid URL ({exc}).", field=field) from None
