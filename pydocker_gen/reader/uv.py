"""uv: pyproject.toml ([project], [tool.uv], [dependency-groups]) and uv.lock."""

from __future__ import annotations

from collections.abc import Set
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from pydocker_gen import fs
from pydocker_gen.config import read_toml
from pydocker_gen.errors import UserError
from pydocker_gen.facts import Index, LockedPackage, Source
from pydocker_gen.reader.common import ManagerRead, all_hashed, inside
from pydocker_gen.reader.graph import Edge, reach
from pydocker_gen.reader.pyproject import PyProject
from pydocker_gen.reader.python_version import parse_range
from pydocker_gen.reader.requirements import check_url_credentials

LOCK = "uv.lock"
LOCK_COMMAND = "uv lock"


def _edge(dep: dict[str, Any]) -> Edge:
    return Edge(canonicalize_name(dep["name"]), dep.get("marker"), tuple(dep.get("extra", ())))


def _is_project(pkg: dict[str, Any]) -> bool:
    src = pkg.get("source", {})
    return "editable" in src or "virtual" in src


def _requirement_key(text: str) -> tuple[str, str, str]:
    req = Requirement(text)
    return canonicalize_name(req.name), str(req.specifier), str(req.marker or "")


def _metadata_key(dep: dict[str, Any]) -> tuple[str, str, str]:
    return (
        canonicalize_name(dep["name"]),
        str(SpecifierSet(dep.get("specifier", ""))),
        str(dep.get("marker", "")),
    )


def _check_fresh(pyproj: PyProject, root_pkg: dict[str, Any] | None) -> None:
    """The lock records the root's requirements; a change in pyproject.toml makes it stale."""
    if root_pkg is None:
        return
    recorded = root_pkg.get("metadata", {}).get("requires-dist")
    if recorded is None:
        return
    declared = sorted(_requirement_key(d) for d in pyproj.dependencies)
    locked = sorted(_metadata_key(d) for d in recorded if "extra" not in str(d.get("marker", "")))
    if [d[0] for d in declared] != [d[0] for d in locked] or [
        SpecifierSet(d[1]) for d in declared
    ] != [SpecifierSet(d[1]) for d in locked]:
        raise UserError(
            LOCK,
            "is out of date: the dependencies it records for the project differ from "
            "pyproject.toml's project.dependencies.",
            field="package.metadata.requires-dist",
            fix=f"Run `{LOCK_COMMAND}` and commit the new uv.lock.",
        )


def _package(p: dict[str, Any], marker: str | None) -> LockedPackage:
    resolution = p.get("resolution-markers")
    if resolution:
        res = " or ".join(f"({m})" for m in resolution)
        marker = res if marker is None else f"({marker}) and ({res})"
    src = p.get("source", {})
    kind = Source.REGISTRY
    if "git" in src:
        kind = Source.VCS
    elif "url" in src:
        kind = Source.URL
    elif "path" in src or "directory" in src:
        kind = Source.PATH
    path = src.get("directory") or src.get("path")
    files = [*p.get("wheels", []), *([p["sdist"]] if "sdist" in p else [])]
    names = tuple(
        str(f.get("url") or f.get("path") or f.get("filename", "")).rsplit("/", 1)[-1]
        for f in files
    )
    return LockedPackage(
        name=canonicalize_name(p["name"]),
        version=p.get("version"),
        marker=marker,
        hashes=tuple(f["hash"] for f in files if "hash" in f),
        files=names,
        source=kind,
        path=str(path) if kind is Source.PATH and path is not None else None,
    )


def read(
    root: Path, pyproj: PyProject, *, allow_unlocked: bool, extras: tuple[str, ...] = ()
) -> ManagerRead:
    lock_path = root / LOCK
    tool = pyproj.tool("uv") or {}
    if not fs.is_file(lock_path):
        raise UserError(
            "pyproject.toml",
            "is a uv project without uv.lock.",
            field="[tool.uv]" if tool else None,
            fix=f"Run `{LOCK_COMMAND}` and commit uv.lock.",
        )
    lock = read_toml(lock_path, root)
    if int(lock.get("version", 1)) != 1:
        raise UserError(
            LOCK,
            f"has version {lock.get('version')}, which this pydocker-gen does not read.",
            field="version",
            fix="Upgrade pydocker-gen.",
        )
    packages_data: list[dict[str, Any]] = lock.get("package", [])
    name = (
        canonicalize_name(pyproj.data.get("project", {}).get("name", ""))
        if pyproj.has_project
        else ""
    )
    roots = [p for p in packages_data if _is_project(p)]
    root_pkg = next((p for p in roots if canonicalize_name(p["name"]) == name), None)
    _check_fresh(pyproj, root_pkg)
    members = {canonicalize_name(p["name"]) for p in roots}
    edges: dict[str, list[Edge]] = {}
    extra_edges: dict[tuple[str, str], list[Edge]] = {}
    for p in packages_data:
        n = canonicalize_name(p["name"])
        edges.setdefault(n, []).extend(_edge(d) for d in p.get("dependencies", []))
        for extra, deps in p.get("optional-dependencies", {}).items():
            extra_edges.setdefault((n, extra), []).extend(_edge(d) for d in deps)
    start = (
        [Edge(name, None, extras)]
        if root_pkg is not None
        else [Edge(canonicalize_name(p["name"])) for p in roots]
    )
    selected = reach(start, edges, extra_edges)
    packages = [
        _package(p, selected[n])
        for p in packages_data
        if (n := canonicalize_name(p["name"])) in selected and n not in members
    ]
    package_flag = tool.get("package")
    install_project = bool(package_flag) if package_flag is not None else pyproj.has_build_system
    indexes = []
    for ix in tool.get("index", []):
        check_url_credentials(str(ix.get("url", "")), "pyproject.toml")
        indexes.append(
            Index(name=str(ix.get("name", "")), url=str(ix.get("url", "")), source="pyproject.toml")
        )
    ranges = []
    if "requires-python" in lock:
        ranges.append(parse_range(lock["requires-python"], "uv.lock: requires-python"))
    workspace = tool.get("workspace", {}).get("members", [])
    others = members - {name}  # workspace members and editable local folders
    inputs, scripts = _member_inputs(root, roots, others)
    local = bool(others) or any(p.source is Source.PATH for p in packages)
    warnings = []
    if workspace:
        warnings.append("uv workspace: members are installed with the project.")
    return ManagerRead(
        manifest="pyproject.toml",
        lockfile=LOCK,
        lock_inputs=inputs,
        packages=packages,
        hashed=all_hashed(packages),
        pinned=True,
        ranges=ranges,
        indexes=indexes,
        install_project=install_project or bool(workspace) or local,
        warnings=warnings,
        scripts=scripts,
    )


def _member_inputs(
    root: Path, roots: list[dict[str, Any]], members: Set[str]
) -> tuple[list[str], dict[str, str]]:
    """The files `uv sync --locked` reads before the code is copied, and members' scripts.

    Workspace members (and editable local folders) install with the code, after `COPY . .`;
    `uv sync --locked` checks their metadata first, so their pyproject.toml goes with the lock.
    Path sources are added by the reader's `_local_sources`, as for every manager.
    """
    inputs = ["pyproject.toml", LOCK]
    scripts: dict[str, str] = {}
    for p in roots:
        member = canonicalize_name(p["name"])
        path = p["source"].get("editable") or p["source"].get("virtual")
        if member in members and path and path != ".":
            inside(root, str(path), LOCK, f"package {member}: source")
            inputs.append(f"{path}/pyproject.toml")
            scripts.update(_member_scripts(root, path))
    return inputs, scripts


def _member_scripts(root: Path, path: str) -> dict[str, str]:
    """Console scripts a workspace member installs: candidates for the entry point."""
    member = root / path / "pyproject.toml"
    if not fs.is_file(member):
        raise UserError(
            f"{path}/pyproject.toml",
            "is a workspace member in uv.lock but missing.",
            fix="Run `uv lock` again.",
        )
    scripts = read_toml(member, root).get("project", {}).get("scripts", {})
    return {str(k): str(v) for k, v in scripts.items()} if isinstance(scripts, dict) else {}
