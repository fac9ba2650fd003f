"""Reader: ``inspect(root) -> ProjectFacts``. Reads files only; never runs project code.

Which manager wins when several are present (docs/readers.md): the configuration's
``installer``; otherwise the first lock found in ``LOCK_PRECEDENCE``; otherwise a manifest
without its lock (an error unless ``allow_unlocked``). Everything passed over is named in a
warning.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from pydocker_gen import config as config_mod
from pydocker_gen import fs
from pydocker_gen.config import read_toml
from pydocker_gen.errors import UserError
from pydocker_gen.facts import Installer, LockedPackage, ProjectFacts, Source
from pydocker_gen.reader import entrypoint, online, pyproject, requirements
from pydocker_gen.reader.common import ManagerRead, inside
from pydocker_gen.reader.python_version import Pin, pins_from_files, resolve

# A lock beats a manifest; among locks, this order.
LOCK_PRECEDENCE: tuple[tuple[Installer, str], ...] = (
    (Installer.UV, "uv.lock"),
    (Installer.POETRY, "poetry.lock"),
    (Installer.PDM, "pdm.lock"),
    (Installer.PIPENV, "Pipfile.lock"),
    (Installer.PYLOCK, "pylock.toml"),
)
REQUIREMENTS_FILE = "requirements.txt"


def inspect(root: Path) -> ProjectFacts:
    """Read the project at ``root`` into ``ProjectFacts``."""
    try:
        return _inspect(Path(root))
    except fs.NotText as exc:
        name = os.path.relpath(exc.path, Path(root).absolute())
        raise UserError(
            name, f"is not UTF-8 text ({exc.detail}).", fix="Save it as UTF-8."
        ) from None


def _inspect(root: Path) -> ProjectFacts:
    if not fs.is_dir(root):
        raise UserError(str(root), "is not a directory.")
    cfg = config_mod.load(root)
    try:
        pyproj = pyproject.load(root)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(
            "pyproject.toml", f"has a field of an unexpected type ({type(exc).__name__}: {exc})."
        ) from None
    installer, reason, passed_over = _choose_installer(root, pyproj, cfg.installer)
    read = _read(installer, root, pyproj, cfg)
    local = _local_sources(root, installer, read)
    if read.lockfile is None and installer in _LOCKS:
        installer = Installer.PIP  # unlocked, allowed: pip installs the project and resolves
    warnings = list(read.warnings)
    if passed_over:
        warnings.append(f"{', '.join(passed_over)} ignored: {reason}.")
    pins = _config_pin(cfg) + pins_from_files(root) + read.pins
    ranges = list(read.ranges)
    if installer is not Installer.POETRY and pyproj.requires_python is not None:
        ranges.insert(0, pyproj.requires_python)
    python = resolve(pins, ranges)
    scripts = dict(pyproj.scripts)
    scripts.update(read.scripts)
    app = entrypoint.detect(root, {p.name for p in read.packages}, scripts)
    return ProjectFacts(
        root=str(root),
        installer=installer,
        installer_reason=reason,
        manifest=read.manifest,
        lockfile=read.lockfile,
        lock_inputs=(*read.lock_inputs, *local.lock_inputs),
        packages=tuple(online.apply_record(root, local.packages)),
        hashed=read.hashed,
        pinned=read.pinned,
        complete=read.complete,
        complete_reason=read.complete_reason,
        python=python,
        install_project=read.install_project,
        local_folders=tuple(local.folders),
        app=app,
        indexes=tuple(read.indexes),
        config=cfg,
        warnings=tuple(warnings),
    )


# Managers whose export lists a local folder on one line of its own, without hashes, that the
# install step can leave out (docs/readers.md, "Local sources").
_EXPORTS_LOCAL_FOLDERS = frozenset({Installer.PIPENV, Installer.POETRY})


class LocalSources(NamedTuple):
    packages: list[LockedPackage]  # path sources named relative to the root, with backends
    lock_inputs: list[str]  # what the install step reads of them, before the code is copied
    folders: list[str]  # folders an exporting manager installs after the code is copied


def _local_sources(root: Path, installer: Installer, read: ManagerRead) -> LocalSources:
    """Local folders and files the lock installs: inside the project (else an error), named
    relative to it, with their build backend. uv installs them with `uv sync` after the code
    and checks their metadata first; Pipenv and Poetry folders install with pip after the code,
    their export reading their pyproject.toml; other managers cannot install them yet."""
    out = LocalSources([], [], [])
    where = read.lockfile or read.manifest or "pyproject.toml"
    for pkg in read.packages:
        if pkg.source is not Source.PATH or pkg.path is None:
            out.packages.append(pkg)
            continue
        field = f"package {pkg.name}: source" if installer is Installer.UV else pkg.name
        rel = inside(root, pkg.path, where, field)  # outside the project: that error first
        folder, has_pyproject = fs.is_dir(root / rel), fs.is_file(root / rel / "pyproject.toml")
        if installer is Installer.UV:
            # No static metadata: uv builds the folder to learn it. A file: a wheel or sdist.
            out.lock_inputs.append(
                f"{rel}/pyproject.toml" if has_pyproject else f"{rel}/" if folder else rel
            )
        elif installer in _EXPORTS_LOCAL_FOLDERS and folder:
            out.folders.append(rel)
            if has_pyproject:
                out.lock_inputs.append(f"{rel}/pyproject.toml")
        else:
            why = (
                "PDM cannot export hashes beside a local folder"
                if installer is Installer.PDM
                else "only local folders are installed for Pipenv and Poetry"
                if installer in _EXPORTS_LOCAL_FOLDERS
                else f"local sources are not installed for {installer} so far"
            )
            raise UserError(
                where,
                f"installs {pkg.name} from {pkg.path!r}, a local source: {why}.",
                field=pkg.name,
                fix="Use uv with a [tool.uv.sources] path source (examples/uv-local-libs), or "
                "publish the package to an index.",
            )
        backend = _backend(root, rel) if has_pyproject else None
        out.packages.append(replace(pkg, path=rel, backend=backend))
    return out


def _backend(root: Path, rel: str) -> str | None:
    """A local folder's build backend, from its pyproject.toml (read, never run)."""
    table = read_toml(root / rel / "pyproject.toml", root).get("build-system", {})
    backend = table.get("build-backend") if isinstance(table, dict) else None
    return backend if isinstance(backend, str) else None


def _config_pin(cfg: config_mod.Config) -> list[Pin]:
    # The configuration is a pin like any other: contradicting a file is an error naming both.
    return [Pin(cfg.python, f"{cfg.source}: python")] if cfg.python and cfg.source else []


def _choose_installer(
    root: Path, pyproj: pyproject.PyProject, configured: str | None
) -> tuple[Installer, str, list[str]]:
    present = [(inst, f) for inst, f in LOCK_PRECEDENCE if fs.is_file(root / f)]
    if fs.is_file(root / REQUIREMENTS_FILE):
        present.append((Installer.PIP, REQUIREMENTS_FILE))
    manifests = _manifest_managers(root, pyproj)
    if configured is not None:
        chosen = Installer(configured)
        others = [f for inst, f in present if inst is not chosen]
        return chosen, f"the configuration sets installer = {configured!r}", others
    if present:
        chosen, lock = present[0]
        others = [f for _, f in present[1:]]
        why = f"{lock} is present" if not others else f"{lock} takes precedence"
        return chosen, why, others
    if manifests:
        chosen, manifest = manifests[0]
        return chosen, f"{manifest} is present", [m for _, m in manifests[1:]]
    if fs.is_file(root / "setup.py") or fs.is_file(root / "setup.cfg") or pyproj.has_project:
        return Installer.PIP, "the project is a package installed with pip", []
    raise UserError(
        str(root),
        "has no Python project files (requirements.txt, pyproject.toml, Pipfile, setup.cfg, "
        "setup.py or a lock file).",
        fix="Run pydocker-gen in the project's root folder.",
    )


def _manifest_managers(root: Path, pyproj: pyproject.PyProject) -> list[tuple[Installer, str]]:
    out = []
    if pyproj.tool("uv") is not None:
        out.append((Installer.UV, "pyproject.toml [tool.uv]"))
    if pyproj.tool("poetry") is not None:
        out.append((Installer.POETRY, "pyproject.toml [tool.poetry]"))
    if pyproj.tool("pdm") is not None:
        out.append((Installer.PDM, "pyproject.toml [tool.pdm]"))
    if fs.is_file(root / "Pipfile"):
        out.append((Installer.PIPENV, "Pipfile"))
    return out


_LOCK_FILES = {
    Installer.UV: "uv.lock",
    Installer.POETRY: "poetry.lock",
    Installer.PDM: "pdm.lock",
    Installer.PIPENV: "Pipfile.lock",
    Installer.PYLOCK: "pylock.toml",
    Installer.PIP: REQUIREMENTS_FILE,
}
_LOCKS = {
    Installer.UV: ("uv.lock", "uv lock", "[tool.uv]"),
    Installer.POETRY: ("poetry.lock", "poetry lock", "[tool.poetry]"),
    Installer.PDM: ("pdm.lock", "pdm lock", "[tool.pdm]"),
}


def _read(
    installer: Installer, root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config
) -> ManagerRead:
    lock = _LOCKS.get(installer)
    if lock is not None and not fs.is_file(root / lock[0]):
        name = {"uv": "uv", "poetry": "Poetry", "pdm": "PDM"}[installer.value]
        if not cfg.allow_unlocked:
            raise UserError(
                "pyproject.toml",
                f"is a {name} project without {lock[0]}, so the image's versions "
                "would not be fixed.",
                field=lock[2],
                fix=f"Run `{lock[1]}` and commit {lock[0]} (or set allow_unlocked = true).",
            )
        read = pyproject.read_as_pip(root, pyproj)
        read.warnings.insert(
            0,
            f"No {lock[0]}: pip resolves the dependencies at build time "
            f"(allow_unlocked). Run `{lock[1]}` for reproducible images.",
        )
        return read
    try:
        return _READERS[installer](root, pyproj, cfg)
    except UserError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # A lock or manifest of the right syntax but not the shape its tool writes.
        name = _LOCK_FILES.get(installer, "pyproject.toml")
        raise UserError(
            name,
            f"does not have the structure {installer} writes ({type(exc).__name__}: {exc}).",
            fix=f"Regenerate it with {installer}'s own lock command.",
        ) from None


def _read_pipenv(root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config) -> ManagerRead:
    from pydocker_gen.reader import pipenv

    return pipenv.read(root, allow_unlocked=cfg.allow_unlocked)


def _read_pip(root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config) -> ManagerRead:
    if not fs.is_file(root / REQUIREMENTS_FILE):
        return pyproject.read_as_pip(root, pyproj)
    return requirements.manager_read(root, REQUIREMENTS_FILE)


def _read_poetry(root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config) -> ManagerRead:
    from pydocker_gen.reader import poetry  # each manager's reader loads on demand

    return poetry.read(root, pyproj, allow_unlocked=cfg.allow_unlocked, extras=cfg.extras)


def _read_uv(root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config) -> ManagerRead:
    from pydocker_gen.reader import uv  # each manager's reader loads on demand

    return uv.read(root, pyproj, allow_unlocked=cfg.allow_unlocked, extras=cfg.extras)


def _read_pdm(root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config) -> ManagerRead:
    from pydocker_gen.reader import pdm  # each manager's reader loads on demand

    return pdm.read(root, pyproj, allow_unlocked=cfg.allow_unlocked, extras=cfg.extras)


def _read_pylock(root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config) -> ManagerRead:
    from pydocker_gen.reader import pylock

    return pylock.read(root)


_READERS: dict[Installer, Callable[[Path, pyproject.PyProject, config_mod.Config], ManagerRead]] = {
    Installer.PIP: _read_pip,
    Installer.PIPENV: _read_pipenv,
    Installer.POETRY: _read_poetry,
    Installer.UV: _read_uv,
    Installer.PDM: _read_pdm,
    Installer.PYLOCK: _read_pylock,
}
