"""The package managers pydocker-gen installs from: one value each, in one ordered registry.

Everything that differs between managers is a field here (lock file, lock command, how the
project declares it, its reader, its install strategy, extras, local sources, pinned tools).
The order of ``MANAGERS`` is the precedence when several locks are present. Configuration
choices, error messages and the planner read this registry; tests/test_managers.py checks that
the pre-commit hook's file pattern, the docs and the fuzz cases agree with it. Adding a manager
is one reader module, one strategy and one line below.

Modules that need the registry import this module (``from pydocker_gen import managers``) and
read ``managers.MANAGERS`` when called: the reader and planner packages import each other's
submodules, and a module reference survives that cycle where a name would not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from pydocker_gen.planner import installers
from pydocker_gen.planner.installers import Strategy

if TYPE_CHECKING:
    from pydocker_gen.config import Config
    from pydocker_gen.reader.common import ManagerRead
    from pydocker_gen.reader.pyproject import PyProject

Reader = Callable[[Path, "PyProject", "Config"], "ManagerRead"]


class LocalSources(StrEnum):
    """How a manager's local (path) dependencies reach the image."""

    SYNC = "sync"  # the manager installs them itself from the copied code (uv sync)
    EXPORTED = "exported"  # its export lists a folder on a line of its own; pip installs it
    REFUSED = "refused"  # not installable from this manager's lock


@dataclass(frozen=True, kw_only=True, slots=True)
class Manager:
    """One package manager."""

    name: str  # the configuration's `installer` value and the plan's `manager`
    title: str  # how messages name it
    # The file whose presence selects it, in registry order; several: where it may be, the
    # first found wins.
    lock: str | tuple[str, ...] | None
    read: Reader
    strategy: Strategy
    lock_command: str | None = None  # how users make the lock
    tool_table: str | None = None  # pyproject.toml [tool.X] that declares the manager
    manifest_file: str | None = None  # a manifest of its own (Pipfile)
    extras: bool = False  # the configuration's `extras` select optional dependencies
    local_sources: LocalSources = LocalSources.REFUSED
    local_refusal: str = ""  # why local sources cannot be installed, when REFUSED
    tools: tuple[str, ...] = ()  # tools the builder installs, pinned in TOOL_VERSIONS
    own_python_range: bool = False  # its reader reads requires-python itself

    @property
    def lock_files(self) -> tuple[str, ...]:
        """Where its lock may be, in the order looked for."""
        if self.lock is None:
            return ()
        return (self.lock,) if isinstance(self.lock, str) else self.lock

    @property
    def declared_by(self) -> str | None:
        """What in the project names this manager when its lock is missing."""
        if self.tool_table is not None:
            return f"pyproject.toml [tool.{self.tool_table}]"
        return self.manifest_file

    def __str__(self) -> str:
        return self.name


# Each reader module loads on demand: a project pays only for its own manager's libraries.
def _read_uv(root: Path, pyproj: PyProject, cfg: Config) -> ManagerRead:
    from pydocker_gen.reader import uv

    return uv.read(root, pyproj, extras=cfg.extras)


def _read_poetry(root: Path, pyproj: PyProject, cfg: Config) -> ManagerRead:
    from pydocker_gen.reader import poetry

    return poetry.read(root, pyproj, extras=cfg.extras)


def _read_pdm(root: Path, pyproj: PyProject, cfg: Config) -> ManagerRead:
    from pydocker_gen.reader import pdm

    return pdm.read(root, pyproj, extras=cfg.extras)


def _read_pipenv(root: Path, pyproj: PyProject, cfg: Config) -> ManagerRead:
    from pydocker_gen.reader import pipenv

    return pipenv.read(root, allow_unlocked=cfg.allow_unlocked)


def _read_pylock(root: Path, pyproj: PyProject, cfg: Config) -> ManagerRead:
    from pydocker_gen.reader import pylock

    return pylock.read(root)


def _read_pip(root: Path, pyproj: PyProject, cfg: Config) -> ManagerRead:
    from pydocker_gen import reader

    return reader.read_pip(root, pyproj, cfg)


_EXPORT_FILES = "only local folders are installed for Pipenv and Poetry"

MANAGERS: tuple[Manager, ...] = (
    Manager(
        name="uv",
        title="uv",
        lock="uv.lock",
        lock_command="uv lock",
        tool_table="uv",
        read=_read_uv,
        strategy=installers.uv,
        extras=True,
        local_sources=LocalSources.SYNC,
        tools=("uv",),
    ),
    Manager(
        name="poetry",
        title="Poetry",
        lock="poetry.lock",
        lock_command="poetry lock",
        tool_table="poetry",
        read=_read_poetry,
        strategy=installers.poetry,
        extras=True,
        local_sources=LocalSources.EXPORTED,
        local_refusal=_EXPORT_FILES,
        tools=("poetry", "poetry-plugin-export"),
        own_python_range=True,  # [tool.poetry.dependencies] python, in Poetry's syntax
    ),
    Manager(
        name="pdm",
        title="PDM",
        lock="pdm.lock",
        lock_command="pdm lock",
        tool_table="pdm",
        read=_read_pdm,
        strategy=installers.pdm,
        extras=True,
        local_refusal="PDM cannot export hashes beside a local folder",
        tools=("pdm",),
    ),
    Manager(
        name="pipenv",
        title="Pipenv",
        lock="Pipfile.lock",
        lock_command="pipenv lock",
        manifest_file="Pipfile",
        read=_read_pipenv,
        strategy=installers.pipenv,
        local_sources=LocalSources.EXPORTED,
        local_refusal=_EXPORT_FILES,
        tools=("pipenv",),
    ),
    Manager(
        name="pylock",
        title="pylock.toml",
        lock="pylock.toml",
        read=_read_pylock,
        strategy=installers.pylock,
        local_refusal="local sources are not installed for pylock so far",
        tools=("uv",),
    ),
    # Last: requirements.txt is a lock only when fully pinned, and pip is what a project
    # with no manager at all (setup.py, setup.cfg, a bare [project]) installs with.
    Manager(
        name="pip",
        title="pip",
        # Pinned requirements at the root, else in a requirements/ folder: the production set
        # (which usually includes base.txt) before the base one; dev/test files never.
        lock=(
            "requirements.txt",
            "requirements/production.txt",
            "requirements/prod.txt",
            "requirements/requirements.txt",
            "requirements/base.txt",
        ),
        read=_read_pip,
        strategy=installers.pip,
        local_refusal="local sources are not installed for pip so far",
    ),
)

PIP = MANAGERS[-1]


def by_name(name: str) -> Manager:
    for manager in MANAGERS:
        if manager.name == name:
            return manager
    raise KeyError(name)


def names() -> tuple[str, ...]:
    return tuple(m.name for m in MANAGERS)
