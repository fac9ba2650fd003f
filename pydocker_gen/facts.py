"""What the reader found in a project: the input of the planner."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, cast

from pydocker_gen.config import Config

if TYPE_CHECKING:
    from pydocker_gen.managers import Manager


class Source(StrEnum):
    """Where a locked distribution comes from."""

    REGISTRY = "registry"
    VCS = "vcs"
    URL = "url"
    PATH = "path"


@dataclass(frozen=True, kw_only=True, slots=True)
class LockedPackage:
    """One distribution of the lock (or requirements) that is installed in the image."""

    name: str  # PEP 503 normalized
    version: str | None  # None when the requirement is not pinned
    marker: str | None = None  # PEP 508 environment marker, as written
    marker_groups: tuple[str, ...] = ()  # a PEP 751 marker's dependency groups: the default ones
    hashes: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # distribution file names the lock lists (wheels and sdists)
    source: Source = Source.REGISTRY
    extras: tuple[str, ...] = ()
    # Source.PATH only: the folder or file as the lock names it (relative to the project
    # root, or absolute), and a folder's [build-system] build-backend when it declares one.
    path: str | None = None
    backend: str | None = None
    # Source.REGISTRY, published as an sdist only: whether `--online` found that sdist pure
    # Python (no compiler needed), and why (from pydocker-gen.files.json; None: not inspected).
    sdist_pure: bool | None = None
    sdist_why: str | None = None

    def __post_init__(self) -> None:
        # Locks are read without a schema: a value of the wrong type must fail here, inside
        # the reader's error boundary, not later in the planner.
        _check(self.name, str, "name")
        _check(self.version, (str, type(None)), f"{self.name}: version")
        _check(self.marker, (str, type(None)), f"{self.name}: marker")
        _check(self.path, (str, type(None)), f"{self.name}: path")
        _check(self.backend, (str, type(None)), f"{self.name}: backend")
        _check(self.sdist_pure, (bool, type(None)), f"{self.name}: sdist_pure")
        _check(self.sdist_why, (str, type(None)), f"{self.name}: sdist_why")
        for label, values in (
            ("hashes", self.hashes),
            ("files", self.files),
            ("extras", self.extras),
        ):
            if not isinstance(cast(object, values), tuple) or not all(
                isinstance(v, str) for v in values
            ):
                raise TypeError(f"{self.name}: {label} must be strings, not {values!r}")


def _check(value: object, kind: type | tuple[type, ...], label: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{label} has the wrong type ({value!r})")


@dataclass(frozen=True, kw_only=True, slots=True)
class PythonRequirement:
    """The Python version the project asks for: an exact minor pin and/or a range."""

    pin: str | None = None  # "3.11"
    pin_source: str | None = None  # "Pipfile: requires.python_version"
    range: str | None = None  # PEP 440 specifier set, e.g. ">=3.11,<3.13"
    range_source: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AppCommand:
    """How the application starts, as far as reading the project tells."""

    cmd: tuple[str, ...] | None = None
    port: int | None = None
    server: str | None = None  # gunicorn, uvicorn, uwsgi, ...
    pythonpath: tuple[str, ...] = ()  # project folders the command imports from (src/)
    reason: str = "nothing found that starts a server or a script"


@dataclass(frozen=True, kw_only=True, slots=True)
class Index:
    """A package index the project declares."""

    name: str
    url: str
    source: str  # file that declares it
    used: bool | None = None  # whether an installed package comes from it; None: not recorded

    def __post_init__(self) -> None:
        _check(self.url, str, f"index {self.name!r}: url")


@dataclass(frozen=True, kw_only=True, slots=True)
class ProjectFacts:
    """Everything the planner needs, read without running project code."""

    root: str
    manager: Manager  # whose lock (or requirements) the image installs from
    manager_reason: str
    manifest: str | None  # e.g. "Pipfile", "pyproject.toml"
    lockfile: str | None  # e.g. "Pipfile.lock"; None when the project is unlocked
    lock_inputs: tuple[str, ...]  # files the dependency install reads, copied before the code
    packages: tuple[LockedPackage, ...]
    hashed: bool  # every package carries hashes
    pinned: bool  # every package is pinned to one version
    # The lock lists every package the image needs (pip may install it with --no-deps), and
    # why; a requirements.txt proves it with hashes on every line or a resolver's header.
    complete: bool = True
    complete_reason: str = "the lock lists every package"
    python: PythonRequirement
    install_project: bool  # the project itself is a package to install
    app: AppCommand
    # Folders of the project installed as dependencies, after the code is copied (exported
    # managers; uv installs its own with `uv sync`).
    local_folders: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()
    config: Config = field(default_factory=Config)
    # The project's own .dockerignore lines (None: there is none), kept below ours.
    dockerignore: tuple[str, ...] | None = None
    warnings: tuple[str, ...] = ()
