"""PDM: pyproject.toml ([project], [tool.pdm]) and pdm.lock (lock_version 4.x)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pydocker_gen.config import read_toml
from pydocker_gen.errors import UserError
from pydocker_gen.facts import Index, LockedPackage, Source
from pydocker_gen.reader.common import ManagerRead, pyproject_lock
from pydocker_gen.reader.pyproject import PyProject
from pydocker_gen.reader.python_version import Range
from pydocker_gen.reader.requirements import check_url_credentials
from pydocker_gen.reader.shape import Node

LOCK = "pdm.lock"
LOCK_COMMAND = "pdm lock"
_TARGETS = "pdm.lock: metadata.targets.requires_python"


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class HashRule(NamedTuple):
    """What one line of PDM releases hashes into content_hash (read from each one's source)."""

    normalised: bool  # 2.20+: group names normalised, PEP 735 [dependency-groups] merged in
    resolution: bool  # 2.16+: the whole [tool.pdm.resolution]; before: only its overrides


PDM_2_11 = HashRule(normalised=False, resolution=False)  # 2.8-2.15: lock_version 4.3-4.4.1
PDM_2_19 = HashRule(normalised=False, resolution=True)  # 2.16-2.19: 4.4.2, 4.5.0
PDM_2_20 = HashRule(normalised=True, resolution=True)  # 2.20+: 4.5.0


def _groups(data: dict[str, Any], rule: HashRule) -> dict[str, Any]:
    dev = data.get("tool", {}).get("pdm", {}).get("dev-dependencies", {})
    if not rule.normalised:
        return dict(dev)
    groups: dict[str, list[Any]] = {}
    for group, deps in data.get("dependency-groups", {}).items():
        groups[_normalize(group)] = list(deps)
    for group, deps in dev.items():
        groups.setdefault(_normalize(group), []).extend(deps)
    return groups


def content_hash(data: dict[str, Any], rule: HashRule = PDM_2_20) -> str:
    """What pdm hashes into metadata.content_hash (pdm.project.project_file)."""
    project = data.get("project", {})
    settings = data.get("tool", {}).get("pdm", {})
    resolution = settings.get("resolution", {})
    dump: dict[str, Any] = {
        "sources": settings.get("source", []),
        "dependencies": project.get("dependencies", []),
        "dev-dependencies": _groups(data, rule),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "requires-python": project.get("requires-python", ""),
    }
    if rule.resolution:
        dump["resolution"] = resolution
    else:
        # pdm 2.11 still honours the deprecated [tool.pdm.overrides] before the new place.
        dump["overrides"] = settings.get("overrides", resolution.get("overrides", {}))
    return hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()


def writer_rules(lock_version: str) -> tuple[HashRule, ...]:
    """The hash rules of the PDM releases that write `lock_version`."""
    try:
        version = Version(lock_version)
    except InvalidVersion:
        return (PDM_2_20, PDM_2_19, PDM_2_11)
    if version < Version("4.4.2"):
        return (PDM_2_11,)
    if version < Version("4.5.0"):
        return (PDM_2_19,)
    # 4.5.0 is written by 2.19 and by 2.20-2.2x alike, so either rule may apply.
    return (PDM_2_20, PDM_2_19) if version == Version("4.5.0") else (PDM_2_20,)


def read(root: Path, pyproj: PyProject, *, extras: tuple[str, ...] = ()) -> ManagerRead:
    lock_path = root / LOCK
    settings = pyproj.doc.table("tool").table("pdm")
    lock = Node(read_toml(lock_path, root), LOCK, fix=f"Regenerate it with `{LOCK_COMMAND}`.")
    meta = lock.table("metadata")
    recorded = meta.text("content_hash").removeprefix("sha256:")
    rules = writer_rules(meta.text_or("lock_version", ""))
    _check_hashed(pyproj.doc)
    if not any(recorded == content_hash(pyproj.data, rule) for rule in rules):
        raise UserError(
            LOCK,
            "is out of date: its content_hash does not match pyproject.toml.",
            field="metadata.content_hash",
            fix=f"Run `{LOCK_COMMAND}` and commit the new pdm.lock.",
        )
    wanted = {"default", *extras}
    packages = [_locked(p) for p in lock.tables("package") if set(_groups_of(p)) & wanted]
    indexes = []
    for s in settings.tables("source"):
        url = s.text_or("url", "")
        check_url_credentials(url, "pyproject.toml")
        indexes.append(Index(name=s.text_or("name", ""), url=url, source="pyproject.toml"))
    distribution = settings.node("distribution", None)
    install_project = (
        settings.flag("distribution", False)
        if distribution.value is not None
        else pyproj.has_build_system
    )
    # Checked where written (the error names the target); the reasons name the field only.
    ranges = [
        Range(t.node("requires_python").as_parsed(SpecifierSet, "version specifier"), _TARGETS)
        for t in meta.tables("targets")
        if t.opt_text("requires_python")
    ]
    return pyproject_lock(
        LOCK,
        packages,
        ranges=ranges,
        indexes=indexes,
        install_project=install_project,
    )


def _check_hashed(doc: Node) -> None:
    """The groups content_hash reads as written are tables of arrays, as PDM writes them."""
    for table in (
        doc.table("dependency-groups"),
        doc.table("tool").table("pdm").table("dev-dependencies"),
    ):
        for group, _ in table.items():
            table.nodes(group)


def _groups_of(p: Node) -> list[str]:
    return p.texts("groups") if p.has("groups") else ["default"]


def _locked(p: Node) -> LockedPackage:
    files = p.tables("files")
    kind = (
        Source.VCS
        if p.has("git") or p.has("hg")
        else Source.URL
        if p.has("url")
        else (Source.PATH if p.has("path") else Source.REGISTRY)
    )
    return LockedPackage(
        name=canonicalize_name(p.text("name")),
        version=p.opt_text("version"),
        marker=p.opt_text("marker"),
        hashes=tuple(h for f in files if (h := f.opt_text("hash"))),
        files=tuple((f.opt_text("file") or f.text_or("url", "")).rsplit("/", 1)[-1] for f in files),
        source=kind,
        extras=tuple(p.texts("extras")),
        path=p.text("path") if kind is Source.PATH else None,
    )
