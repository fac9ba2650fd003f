"""Poetry 1.x and 2.x: pyproject.toml ([tool.poetry] and/or [project]) and poetry.lock."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from pydocker_gen import fs
from pydocker_gen.config import read_toml
from pydocker_gen.errors import UserError
from pydocker_gen.facts import Index, LockedPackage, Source
from pydocker_gen.reader.common import ManagerRead, pyproject_lock
from pydocker_gen.reader.graph import Edge, reach
from pydocker_gen.reader.pyproject import PyProject
from pydocker_gen.reader.python_version import Range, parse_range
from pydocker_gen.reader.requirements import check_url_credentials

LOCK = "poetry.lock"
LOCK_COMMAND = "poetry lock"
# What Poetry hashes into content-hash (poetry.packages.locker.Locker).
_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_RELEVANT_KEYS = (*_LEGACY_KEYS, "group")
_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


def content_hash(data: dict[str, Any], *, with_groups: bool = True) -> str:
    project = data.get("project", {})
    groups = data.get("dependency-groups", {}) if with_groups else {}
    tool = data.get("tool", {}).get("poetry", {})
    relevant_project = {k: project[k] for k in _PROJECT_KEYS if project.get(k) is not None}
    relevant_poetry = {}
    for key in _RELEVANT_KEYS:
        value = tool.get(key)
        if value is None and (key not in _LEGACY_KEYS or relevant_project or groups):
            continue
        relevant_poetry[key] = value
    content: dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def python_range(pyproj: PyProject) -> list[Range]:
    out = []
    if pyproj.requires_python is not None:
        out.append(pyproj.requires_python)
    constraint = (pyproj.tool("poetry") or {}).get("dependencies", {}).get("python")
    if isinstance(constraint, str):
        from poetry.core.constraints.version import parse_constraint  # Poetry projects only

        # poetry-core understands ^ and ~; its str() is PEP 440.
        pep440 = str(parse_constraint(constraint)).replace(" ", "")
        if pep440 not in ("*", ""):
            out.append(parse_range(pep440, "pyproject.toml: tool.poetry.dependencies.python"))
    return out


def _main_dependency_names(pyproj: PyProject, extras: tuple[str, ...]) -> list[Edge]:
    from packaging.requirements import Requirement

    edges = [Edge(canonicalize_name(Requirement(d).name)) for d in pyproj.dependencies]
    optional = pyproj.data.get("project", {}).get("optional-dependencies", {})
    for extra in extras:
        edges += [Edge(canonicalize_name(Requirement(d).name)) for d in optional.get(extra, [])]
    tool_deps = (pyproj.tool("poetry") or {}).get("dependencies", {})
    for name, spec in tool_deps.items():
        if name == "python":
            continue
        if isinstance(spec, dict) and spec.get("optional"):
            continue
        edges.append(Edge(canonicalize_name(name)))
    return edges


def _files(pkg: dict[str, Any], legacy: dict[str, Any]) -> list[dict[str, str]]:
    files = pkg.get("files")
    if files is None:
        files = legacy.get(pkg["name"], [])
    return list(files)


def read(
    root: Path, pyproj: PyProject, *, allow_unlocked: bool, extras: tuple[str, ...] = ()
) -> ManagerRead:
    lock_path = root / LOCK
    tool = pyproj.tool("poetry") or {}
    package_mode = tool.get("package-mode", True)
    install_project = bool(package_mode) and pyproj.has_build_system
    indexes = [
        Index(name=str(s.get("name")), url=str(s.get("url")), source="pyproject.toml")
        for s in tool.get("source", [])
        if s.get("url")
    ]
    for ix in indexes:
        check_url_credentials(ix.url, "pyproject.toml")
    if not fs.is_file(lock_path):
        if not allow_unlocked:
            raise UserError(
                "pyproject.toml",
                "is a Poetry project without poetry.lock.",
                field="[tool.poetry]",
                fix=f"Run `{LOCK_COMMAND}` and commit poetry.lock (or set allow_unlocked = true).",
            )
        raise UserError(
            "pyproject.toml",
            "unlocked Poetry projects are not supported yet.",
            fix=f"Run `{LOCK_COMMAND}`.",
        )
    lock = read_toml(lock_path, root)
    meta = lock.get("metadata", {})
    recorded = meta.get("content-hash")
    fresh = recorded in (content_hash(pyproj.data), content_hash(pyproj.data, with_groups=False))
    if not fresh:
        raise UserError(
            LOCK,
            "is out of date: its content-hash does not match pyproject.toml.",
            field="metadata.content-hash",
            fix=f"Run `{LOCK_COMMAND}` and commit the new poetry.lock.",
        )
    packages_data = lock.get("package", [])
    legacy_files = meta.get("files", {})
    by_name = {canonicalize_name(p["name"]): p for p in packages_data}
    has_groups = any("groups" in p or "category" in p for p in packages_data)
    if has_groups:
        selected: dict[str, str | None] = {}
        for name, p in by_name.items():
            main = "main" in p.get("groups", []) or p.get("category") == "main"
            if (main and not p.get("optional", False)) or (p.get("optional") and extras):
                m = p.get("markers")
                selected[name] = m.get("main") if isinstance(m, dict) else m
    else:
        edges: dict[str, list[Edge]] = {
            str(name): [
                Edge(canonicalize_name(dep), _dep_marker(spec))
                for dep, spec in p.get("dependencies", {}).items()
            ]
            for name, p in by_name.items()
        }
        selected = reach(_main_dependency_names(pyproj, extras), edges)
    packages = []
    for dist, marker in sorted(selected.items()):
        p = by_name.get(canonicalize_name(dist))
        if p is None:
            continue
        files = _files(p, legacy_files)
        src = p.get("source", {})
        kind = {
            "git": Source.VCS,
            "url": Source.URL,
            "file": Source.PATH,
            "directory": Source.PATH,
        }.get(src.get("type", ""), Source.REGISTRY)
        packages.append(
            LockedPackage(
                name=canonicalize_name(dist),
                version=str(p.get("version")),
                marker=marker,
                hashes=tuple(f["hash"] for f in files if "hash" in f),
                files=tuple(f["file"] for f in files),
                source=kind,
                path=str(src["url"]) if kind is Source.PATH and "url" in src else None,
            )
        )
    return pyproject_lock(
        LOCK,
        packages,
        ranges=python_range(pyproj),
        indexes=indexes,
        install_project=install_project,
        scripts={str(k): str(v) for k, v in tool.get("scripts", {}).items()},
    )


def _dep_marker(spec: Any) -> str | None:
    if isinstance(spec, dict):
        return spec.get("markers")
    if isinstance(spec, list):
        return None  # several constraints under different markers: installed on some path
    return None
