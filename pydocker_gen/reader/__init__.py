"""Reader: ``inspect(root) -> ProjectFacts``. Reads files only; never runs project code.

Which manager wins when several are present (docs/readers.md): the configuration's
``installer``; otherwise the first lock found, in the order of ``managers.MANAGERS``; otherwise
a manager declared without its lock (an error unless ``allow_unlocked``). Everything passed
over is named in a warning.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pydocker_gen import config as config_mod
from pydocker_gen import fs, managers
from pydocker_gen.config import read_toml
from pydocker_gen.errors import UserError
from pydocker_gen.facts import LockedPackage, ProjectFacts, Source
from pydocker_gen.reader import entrypoint, online, pyproject, requirements
from pydocker_gen.reader.common import ManagerRead, inside
from pydocker_gen.reader.python_version import Pin, pins_from_files, resolve
from pydocker_gen.reader.shape import Node

if TYPE_CHECKING:
    from pydocker_gen.managers import Manager


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
    pyproj = pyproject.load(root)
    manager, reason, passed_over = _choose_manager(root, pyproj, cfg)
    read = _read(manager, root, pyproj, cfg)
    local = _local_sources(root, manager, read)
    if read.lockfile is None and manager.tool_table is not None:
        # Unlocked, allowed: pip installs the project and resolves; the reason says so.
        locks = " or ".join(manager.lock_files)
        reason = f"{reason} without {locks}, and allow_unlocked lets pip resolve"
        manager = managers.PIP
    warnings = list(read.warnings)
    if passed_over:
        warnings.append(f"{', '.join(passed_over)} ignored: {reason}.")
    pins = _config_pin(cfg) + pins_from_files(root) + read.pins
    ranges = list(read.ranges)
    if not manager.own_python_range and pyproj.requires_python is not None:
        ranges.insert(0, pyproj.requires_python)
    python = resolve(pins, ranges)
    scripts = dict(pyproj.scripts)
    scripts.update(read.scripts)
    app = entrypoint.detect(root, {p.name for p in read.packages}, scripts)
    return ProjectFacts(
        root=str(root),
        manager=manager,
        manager_reason=reason,
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
        dockerignore=_dockerignore(root),
        warnings=tuple(warnings),
    )


class LocalRead(NamedTuple):
    packages: list[LockedPackage]  # path sources named relative to the root, with backends
    lock_inputs: list[str]  # what the install step reads of them, before the code is copied
    folders: list[str]  # folders an exporting manager installs after the code is copied


def _local_sources(root: Path, manager: Manager, read: ManagerRead) -> LocalRead:
    """Local folders and files the lock installs: inside the project (else an error), named
    relative to it, with their build backend. uv installs them with `uv sync` after the code
    and checks their metadata first; Pipenv and Poetry folders install with pip after the code,
    their export reading their pyproject.toml; other managers cannot install them yet."""
    out = LocalRead([], [], [])
    where = read.lockfile or read.manifest or "pyproject.toml"
    for pkg in read.packages:
        if pkg.source is not Source.PATH or pkg.path is None:
            out.packages.append(pkg)
            continue
        policy = manager.local_sources
        field = f"package {pkg.name}: source" if policy is managers.LocalSources.SYNC else pkg.name
        rel = inside(root, pkg.path, where, field)  # outside the project: that error first
        folder, has_pyproject = fs.is_dir(root / rel), fs.is_file(root / rel / "pyproject.toml")
        if policy is managers.LocalSources.SYNC:
            # No static metadata: uv builds the folder to learn it. A file: a wheel or sdist.
            out.lock_inputs.append(
                f"{rel}/pyproject.toml" if has_pyproject else f"{rel}/" if folder else rel
            )
        elif policy is managers.LocalSources.EXPORTED and folder:
            out.folders.append(rel)
            if has_pyproject:
                out.lock_inputs.append(f"{rel}/pyproject.toml")
        else:
            raise UserError(
                where,
                f"installs {pkg.name} from {pkg.path!r}, a local source: {manager.local_refusal}.",
                field=pkg.name,
                fix="Use uv with a [tool.uv.sources] path source (examples/uv-local-libs), or "
                "publish the package to an index.",
            )
        backend = _backend(root, rel) if has_pyproject else None
        out.packages.append(replace(pkg, path=rel, backend=backend))
    return out


def _dockerignore(root: Path) -> tuple[str, ...] | None:
    path = root / ".dockerignore"
    return tuple(fs.read_text(path).splitlines()) if fs.is_file(path) else None


def _backend(root: Path, rel: str) -> str | None:
    """A local folder's build backend, from its pyproject.toml (read, never run)."""
    doc = Node(read_toml(root / rel / "pyproject.toml", root), f"{rel}/pyproject.toml")
    return doc.table("build-system").opt_text("build-backend")


def _config_pin(cfg: config_mod.Config) -> list[Pin]:
    # The configuration is a pin like any other: contradicting a file is an error naming both.
    return [Pin(cfg.python, f"{cfg.source}: python")] if cfg.python and cfg.source else []


def lock_files(manager: Manager, cfg: config_mod.Config) -> tuple[str, ...]:
    """Where ``manager``'s lock may be: the registry's paths, or pip's configured file."""
    if manager is managers.PIP and cfg.requirements is not None:
        return (cfg.requirements,)
    return manager.lock_files


def find_lock(root: Path, manager: Manager, cfg: config_mod.Config) -> str | None:
    """The first of ``manager``'s lock paths present in the project."""
    return next((f for f in lock_files(manager, cfg) if fs.is_file(root / f)), None)


def _why_this_file(manager: Manager, found: str, cfg: config_mod.Config) -> str:
    """Why pip reads ``found`` when it is not the registry's first choice."""
    if manager is managers.PIP and cfg.requirements is not None:
        return f"; {found} as the configuration's requirements names it"
    if found == manager.lock_files[0]:
        return ""
    return (
        f": the first found of {', '.join(manager.lock_files)} (the configuration's "
        "requirements can name another)"
    )


def _choose_manager(
    root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config
) -> tuple[Manager, str, list[str]]:
    if cfg.requirements is not None and not fs.is_file(root / cfg.requirements):
        raise UserError(
            cfg.source or "configuration",
            f"names requirements = {cfg.requirements!r}, which does not exist.",
            field="requirements",
            fix="Name a requirements file of the project, relative to its root.",
        )
    present = [(m, f) for m in managers.MANAGERS if (f := find_lock(root, m, cfg))]
    declared = [m for m in managers.MANAGERS if _declares(root, pyproj, m)]
    if cfg.installer is not None:
        chosen = managers.by_name(cfg.installer)
        others = [f for m, f in present if m is not chosen]
        found = dict(present).get(chosen)
        why = f"the configuration sets installer = {cfg.installer!r}"
        return chosen, why + (_why_this_file(chosen, found, cfg) if found else ""), others
    if present:
        (first, found), others = present[0], [f for _, f in present[1:]]
        why = f"{found} is present" if not others else f"{found} takes precedence"
        return first, why + _why_this_file(first, found, cfg), others
    if declared:
        return (
            declared[0],
            f"{declared[0].declared_by} is present",
            [str(m.declared_by) for m in declared[1:]],
        )
    if fs.is_file(root / "setup.py") or fs.is_file(root / "setup.cfg") or pyproj.has_project:
        return managers.PIP, "the project is a package installed with pip", []
    raise UserError(
        str(root),
        "has no Python project files (requirements.txt, pyproject.toml, Pipfile, setup.cfg, "
        "setup.py or a lock file).",
        fix="Run pydocker-gen in the project's root folder.",
    )


def _declares(root: Path, pyproj: pyproject.PyProject, manager: Manager) -> bool:
    if manager.tool_table is not None:
        return pyproj.has_tool(manager.tool_table)
    return manager.manifest_file is not None and fs.is_file(root / manager.manifest_file)


def _read(
    manager: Manager, root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config
) -> ManagerRead:
    if manager.tool_table is not None and manager.lock_files and not find_lock(root, manager, cfg):
        lock = " or ".join(manager.lock_files)
        if not cfg.allow_unlocked:
            raise UserError(
                "pyproject.toml",
                f"is a {manager.title} project without {lock}, so the image's versions "
                "would not be fixed.",
                field=f"[tool.{manager.tool_table}]",
                fix=f"Run `{manager.lock_command}` and commit {lock} "
                "(or set allow_unlocked = true).",
            )
        read = pyproject.read_as_pip(root, pyproj)
        read.warnings.insert(
            0,
            f"No {lock}: pip resolves the dependencies at build time "
            f"(allow_unlocked). Run `{manager.lock_command}` for reproducible images.",
        )
        return read
    # Readers read documents through reader.shape.Node: a wrong shape is a ShapeError (a
    # UserError naming file and key path); any other exception is a bug, reported as one.
    return manager.read(root, pyproj, cfg)


def read_pip(root: Path, pyproj: pyproject.PyProject, cfg: config_mod.Config) -> ManagerRead:
    """The requirements file (managers.PIP's lock), or the pyproject.toml/setup.cfg project
    itself, for pip."""
    top = find_lock(root, managers.PIP, cfg)
    if top is None:
        return pyproject.read_as_pip(root, pyproj)
    return requirements.manager_read(root, top)
