"""uv: pyproject.toml ([project], [tool.uv], [dependency-groups]) and uv.lock."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import product
from math import prod
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlunsplit

from packaging._parser import Variable
from packaging.dependency_groups import resolve_dependency_groups
from packaging.markers import (
    Marker,
    UndefinedComparison,
    UndefinedEnvironmentName,
    default_environment,
)
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from pydocker_gen import fs, markers
from pydocker_gen.config import read_toml
from pydocker_gen.errors import UserError
from pydocker_gen.facts import Index, LockedPackage, Source
from pydocker_gen.reader.common import ManagerRead, all_hashed, inside, split_url
from pydocker_gen.reader.graph import Edge, reach
from pydocker_gen.reader.pyproject import PyProject
from pydocker_gen.reader.python_version import parse_range
from pydocker_gen.reader.requirements import check_url_credentials
from pydocker_gen.reader.shape import Node

LOCK = "uv.lock"
LOCK_COMMAND = "uv lock"


def _edge(dep: Node) -> Edge:
    return Edge(
        canonicalize_name(dep.text("name")), dep.opt_text("marker"), tuple(dep.texts("extra"))
    )


def _indexes_with_use(tool: Node, installed: list[Node]) -> list[Index]:
    """The declared indexes, each marked with whether an installed package comes from it (the
    lock records every package's registry)."""
    registries = {p.table("source").text_or("registry", "").rstrip("/") for p in installed} - {""}
    return [
        Index(
            name=ix.text_or("name", ""),
            url=ix.text_or("url", ""),
            source="pyproject.toml",
            used=ix.text_or("url", "").rstrip("/") in registries,
        )
        for ix in tool.tables("index")
    ]


def _is_project(pkg: Node) -> bool:
    src = pkg.table("source")
    return src.has("editable") or src.has("virtual")


def _package(p: Node, marker: str | None) -> LockedPackage:
    resolution = p.texts("resolution-markers")
    if resolution:
        # Where this version is installed: where it is reached, within the forks it is locked for.
        marker = markers.marker_for(markers.targets(marker) & markers.any_targets(resolution))
    src = p.table("source")
    kind = Source.REGISTRY
    if src.has("git"):
        kind = Source.VCS
    elif src.has("url"):
        kind = Source.URL
    elif src.has("path") or src.has("directory"):
        kind = Source.PATH
    path = src.opt_text("directory") or src.opt_text("path")
    files = [*p.tables("wheels"), *([p.table("sdist")] if p.has("sdist") else [])]
    names = tuple(
        (f.opt_text("url") or f.opt_text("path") or f.text_or("filename", "")).rsplit("/", 1)[-1]
        for f in files
    )
    return LockedPackage(
        name=canonicalize_name(p.text("name")),
        version=p.opt_text("version"),
        marker=marker,
        hashes=tuple(f.text("hash") for f in files if f.has("hash")),
        files=names,
        source=kind,
        path=path if kind is Source.PATH else None,
    )


def read(root: Path, pyproj: PyProject, *, extras: tuple[str, ...] = ()) -> ManagerRead:
    lock_path = root / LOCK
    tool = pyproj.doc.table("tool").table("uv")
    lock = Node(read_toml(lock_path, root), LOCK, fix=f"Regenerate it with `{LOCK_COMMAND}`.")
    version = lock.int_or("version", 1)
    if version != 1:
        raise UserError(
            LOCK,
            f"has version {version}, which this pydocker-gen does not read.",
            field="version",
            fix="Upgrade pydocker-gen.",
        )
    packages_data = lock.tables("package")
    name = (
        canonicalize_name(pyproj.doc.table("project").text_or("name", ""))
        if pyproj.has_project
        else ""
    )
    roots = [p for p in packages_data if _is_project(p)]
    root_pkg = next((p for p in roots if canonicalize_name(p.text("name")) == name), None)
    _check_fresh(root, pyproj, lock, packages_data)
    members = {canonicalize_name(p.text("name")) for p in roots}
    edges: dict[str, list[Edge]] = {}
    extra_edges: dict[tuple[str, str], list[Edge]] = {}
    for p in packages_data:
        n = canonicalize_name(p.text("name"))
        edges.setdefault(n, []).extend(_edge(d) for d in p.nodes("dependencies"))
        for extra, deps in p.table("optional-dependencies").items():
            extra_edges.setdefault((n, extra), []).extend(_edge(d) for d in deps.as_nodes())
    start = (
        [Edge(name, None, extras)]
        if root_pkg is not None
        else [Edge(canonicalize_name(p.text("name"))) for p in roots]
    )
    selected = reach(start, edges, extra_edges)
    packages = [
        _package(p, selected[n])
        for p in packages_data
        if (n := canonicalize_name(p.text("name"))) in selected and n not in members
    ]
    package_flag = tool.opt_flag("package")
    install_project = package_flag if package_flag is not None else pyproj.has_build_system
    for ix in tool.tables("index"):
        check_url_credentials(ix.text_or("url", ""), "pyproject.toml")
    installed = [p for p in packages_data if canonicalize_name(p.text("name")) in selected]
    indexes = _indexes_with_use(tool, installed)
    ranges = []
    if lock.has("requires-python"):
        ranges.append(parse_range(lock.text("requires-python"), "uv.lock: requires-python"))
    workspace = tool.table("workspace").texts("members")
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
    root: Path, roots: list[Node], members: Set[str]
) -> tuple[list[str], dict[str, str]]:
    """The files `uv sync --locked` reads before the code is copied, and members' scripts.

    Workspace members (and editable local folders) install with the code, after `COPY . .`;
    `uv sync --locked` checks their metadata first, so their pyproject.toml goes with the lock.
    Path sources are added by the reader's `_local_sources`, as for every manager.
    """
    inputs = ["pyproject.toml", LOCK]
    scripts: dict[str, str] = {}
    for p in roots:
        member = canonicalize_name(p.text("name"))
        src = p.table("source")
        path = src.opt_text("editable") or src.opt_text("virtual")
        if member in members and path and path != ".":
            inside(root, path, LOCK, f"package {member}: source")
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
    scripts = _document(root, path).table("project").table("scripts")
    return {name: target.as_str() for name, target in scripts.items()}


# --- Freshness: what `uv lock --check` compares, read without resolving -------------------------
#
# `uv lock --check` fails when locking again would write a different lock. Before resolving, uv
# asks whether the lock still satisfies the project (`Lock::satisfies`, `ValidatedLock::validate`):
# requires-python, the workspace members, the manifest (constraints, overrides, excludes, build
# constraints), the resolver options, and for every local package (the project, workspace members,
# path sources) its version, provides-extras, requires-dist and dependency groups as read from its
# pyproject.toml with [tool.uv.sources] applied. A mismatch makes uv resolve again, and the new lock
# records the new metadata, so it differs. All of these are static; they are compared here as uv
# compares them: requirement sets, names and extras normalised, specifiers as sets, markers by
# meaning within the lock's requires-python (uv simplifies them against it).

_PYTHON_VARS = frozenset({"python_version", "python_full_version"})
_MAX_ENVIRONMENTS = 20_000
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")
_GIT_REFS = ("branch", "tag", "rev")
_ANY: tuple[Any, ...] = ("any",)  # a source uv lowers in a way not predicted here: names only


@dataclass(frozen=True)
class _Cond:
    """A marker condition: every marker of ``all_of`` holds and none of ``none_of``.

    uv gives a requirement whose sources carry markers a fallback for the rest of the space, a
    negation PEP 508 cannot write; hence the two lists.
    """

    all_of: tuple[Marker, ...] = ()
    none_of: tuple[Marker, ...] = ()

    def holds(self, env: Mapping[str, str]) -> bool:
        return all(m.evaluate(env) for m in self.all_of) and not any(
            m.evaluate(env) for m in self.none_of
        )

    def markers(self) -> tuple[Marker, ...]:
        return self.all_of + self.none_of

    def text(self) -> str:
        return " and ".join(
            [f"({m})" if len(self.all_of) > 1 else str(m) for m in self.all_of]
            + [f"not ({m})" for m in self.none_of]
        )


@dataclass(frozen=True)
class _Req:
    """A requirement as uv records it in [package.metadata]: comparable, and how it is shown."""

    name: str
    extras: frozenset[str]
    source: tuple[Any, ...]
    cond: _Cond
    shown: str

    @property
    def key(self) -> tuple[str, frozenset[str], tuple[Any, ...]]:
        return self.name, self.extras, self.source


@dataclass(frozen=True)
class _Lowering:
    """How uv turns a requirement of one pyproject.toml into what it records."""

    root: Path
    base: str  # folder of the pyproject.toml, relative to the workspace root
    sources: Mapping[str, tuple[Node, str]]  # name -> ([tool.uv.sources] entry, its folder)
    indexes: Mapping[str, str]  # [[tool.uv.index]] name -> url
    members: Mapping[str, tuple[str, str]]  # local package -> (source kind, path) as locked


@dataclass(frozen=True)
class _Metadata:
    """What uv compares for one local package: from its pyproject.toml, or from uv.lock."""

    version: str | None
    provides_extras: frozenset[str]
    requires_dist: tuple[_Req, ...]
    groups: Mapping[str, tuple[_Req, ...]]


class _Stale(NamedTuple):
    """What `uv lock --check` would find changed: the lock's field, and how it differs."""

    field: str
    what: str


def _manifest(folder: str) -> str:
    """The pyproject.toml of a folder relative to the workspace root, as messages name it."""
    return "pyproject.toml" if folder in ("", ".") else f"{folder}/pyproject.toml"


def _document(root: Path, folder: str) -> Node:
    """The pyproject.toml of a folder relative to the workspace root, for typed reading."""
    return Node(read_toml(root / folder / "pyproject.toml", root), _manifest(folder))


def _versus(what: str, mine: object, theirs: object, manifest: str = "pyproject.toml") -> str:
    return f"{what}: {mine} in {manifest}, {theirs} in uv.lock"


# Markers by meaning: two conditions are the same when they agree on every environment that
# can tell them apart (each value the markers compare, and values between and around them).


def _atoms(marker: Marker) -> Iterator[tuple[str, str]]:
    """The (variable, value) pairs a marker compares (packaging has no public API for them)."""
    stack: list[Any] = [marker._markers]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, tuple):
            lhs, _, rhs = item
            var, value = (lhs, rhs) if isinstance(lhs, Variable) else (rhs, lhs)
            yield str(var.value), str(value.value)


def _python_points(values: Iterable[str], python: SpecifierSet | None) -> list[str]:
    """Python versions around every version the markers or ranges name.

    A condition on the Python version can change its truth only at a version it names (or, for
    python_version's X.Y, at X.Y.0 and X.Y+1.0): these points and their neighbours tell any two
    such conditions apart. Outside the lock's requires-python nothing is compared, as uv
    simplifies markers against it.
    """
    points = {"2.7.0", "3.0.0", "4.0.0", "99.0.0"}
    for value in values:
        try:
            release = Version(value.removesuffix(".*")).release
        except InvalidVersion:
            continue
        major, minor, patch = (*release, 0, 0)[:3]
        points |= {
            f"{major}.{minor}.{patch}",
            f"{major}.{minor}.{patch + 1}",
            f"{major}.{minor - 1}.99" if minor else f"{major - 1}.99.99",
            f"{major}.{minor + 1}.0",
            f"{major}.{minor + 1}.1",
        }
        if patch:
            points.add(f"{major}.{minor}.{patch - 1}")
    return sorted(p for p in points if python is None or python.contains(p, prereleases=True))


def _candidates(values: Iterable[str]) -> list[str]:
    """Values of a string variable that tell its comparisons apart (==, in, and versions)."""
    out = {""}
    for value in values:
        out |= {value, f"~{value}~", *value.split()}
        try:
            Version(value)
            out |= {f"{value}.1", "0"}
        except InvalidVersion:
            pass
    return sorted(out)


def _environments(
    markers: Iterable[Marker], python: SpecifierSet | None
) -> list[dict[str, str]] | None:
    """Environments telling the markers apart, or None when too many to try."""
    values: dict[str, set[str]] = {}
    for marker in markers:
        for var, value in _atoms(marker):
            values.setdefault(var, set()).add(value)
    named = [v for var in _PYTHON_VARS for v in values.pop(var, set())]
    pythons = _python_points([*named, *(s.version for s in python or ())], python)
    others = sorted((var, _candidates(vals)) for var, vals in values.items())
    if not pythons or len(pythons) * prod(len(c) for _, c in others) > _MAX_ENVIRONMENTS:
        return None
    base = {var: "" for var in default_environment()} | {"extra": ""}
    envs = []
    for full in pythons:
        py = base | {"python_full_version": full, "python_version": full.rsplit(".", 1)[0]}
        for combo in product(*(c for _, c in others)):
            envs.append(py | dict(zip((var for var, _ in others), combo, strict=True)))
    return envs


def _truth(cond: _Cond, envs: list[dict[str, str]]) -> tuple[bool | None, ...]:
    """The condition on each environment (None where a marker cannot be evaluated there)."""
    out: list[bool | None] = []
    for env in envs:
        try:
            out.append(cond.holds(env))
        except (UndefinedComparison, UndefinedEnvironmentName):  # values it cannot compare
            out.append(None)
    return tuple(out)


def _same(a: _Cond, b: _Cond, envs: list[dict[str, str]] | None) -> bool:
    if a == b:
        return True
    if envs is None:  # too many variables to enumerate: equal only if written alike
        return a.text() == b.text()
    return all(
        x == y or None in (x, y) for x, y in zip(_truth(a, envs), _truth(b, envs), strict=True)
    )


def _possible(cond: _Cond, envs: list[dict[str, str]] | None) -> bool:
    """uv drops a lowered requirement whose marker is false; so does the comparison."""
    return envs is None or not cond.markers() or any(_truth(cond, envs))


def _norm(values: Iterable[_Req]) -> list[_Req]:
    seen: dict[tuple[Any, ...], _Req] = {}
    for r in values:  # uv keeps sets: a requirement written twice is recorded once
        seen.setdefault((*r.key, r.cond.text()), r)
    return list(seen.values())


def _diff(
    declared: Iterable[_Req],
    recorded: Iterable[_Req],
    python: SpecifierSet | None,
    manifest: str = "pyproject.toml",
) -> str:
    """How two requirement sets differ, as uv compares them ('' when they do not)."""
    left, right = _norm(declared), _norm(recorded)
    out = []
    for name in sorted({r.name for r in (*left, *right)}):
        ds = [r for r in left if r.name == name]
        rs = [r for r in right if r.name == name]
        if any(d.source == _ANY for d in ds):
            if not rs:
                out.append(f"{ds[0].shown} in {manifest}, not in uv.lock")
            continue
        envs = _environments((m for r in (*ds, *rs) for m in r.cond.markers()), python)
        ds = [d for d in ds if _possible(d.cond, envs)]
        rest = [r for r in rs if _possible(r.cond, envs)]
        missing = []
        for d in ds:
            match = next((r for r in rest if r.key == d.key and _same(d.cond, r.cond, envs)), None)
            if match is None:
                missing.append(d)
            else:
                rest.remove(match)
        if missing and rest:
            out.append(
                f"{', '.join(d.shown for d in missing)} in {manifest}, "
                f"{', '.join(r.shown for r in rest)} in uv.lock"
            )
        elif missing:
            out.append(f"{', '.join(d.shown for d in missing)} in {manifest}, not in uv.lock")
        elif rest:
            out.append(f"{', '.join(r.shown for r in rest)} in uv.lock, not in {manifest}")
    return "; ".join(out)


# Requirements as uv records them.


def _rel(root: Path, base: str, path: str) -> str:
    """A local source's path relative to the workspace root, normalised as uv records it."""
    text = path.removeprefix("file://")
    if posixpath.isabs(text):
        try:
            return Path(text).relative_to(root.absolute()).as_posix()
        except ValueError:
            return posixpath.normpath(text)
    return posixpath.normpath(posixpath.join(base, text))


def _git(url: str, params: Iterable[tuple[str, str]], where: Node) -> tuple[Any, ...]:
    parts = split_url(url.removeprefix("git+"), where.file, where.path)
    host = parts.netloc.rpartition("@")[2]  # uv drops credentials
    query = {(k, v) for k, v in parse_qsl(parts.query) if k != "lfs" or v == "true"}
    return ("git", f"{parts.scheme}://{host}{parts.path}", frozenset(query | set(params)))


def _direct(url: str, low: _Lowering, where: Node) -> tuple[Any, ...]:
    """The source of a PEP 508 ``name @ url`` requirement."""
    if url.startswith("git+"):
        parts = split_url(url.removeprefix("git+"), where.file, where.path)
        path, at, ref = parts.path.rpartition("@")
        frag = dict(parse_qsl(parts.fragment))
        params = {("rev", ref)} if at else set()
        params |= {("subdirectory", frag["subdirectory"])} if "subdirectory" in frag else set()
        return _git(
            urlunsplit((parts.scheme, parts.netloc, path if at else parts.path, "", "")),
            params,
            where,
        )
    if url.startswith("file:"):
        path = _rel(low.root, low.base, url.removeprefix("file:").removeprefix("//"))
        return ("path" if path.endswith(_ARCHIVES) else "directory", path)
    base, _, fragment = url.partition("#")
    return ("url", base, dict(parse_qsl(fragment)).get("subdirectory"))


def _from_source(
    item: Node, name: str, spec: SpecifierSet, folder: str, low: _Lowering
) -> tuple[Any, ...]:
    """The source uv records for a requirement with a [tool.uv.sources] entry."""
    if item.opt_flag("workspace") is True:
        kind, path = low.members.get(name, ("any", ""))
        return (
            _ANY
            if kind == "any"
            else (
                ("directory", path)
                if item.opt_flag("editable") is False and kind == "editable"
                else (kind, path)
            )
        )
    if item.has("path"):
        path = _rel(low.root, folder, item.text("path"))
        if item.opt_flag("editable") is True:
            return ("editable", path)
        if item.opt_flag("package") is False:
            return ("virtual", path)
        return ("path" if path.endswith(_ARCHIVES) else "directory", path)
    if item.has("git"):
        params = {(k, item.text(k)) for k in (*_GIT_REFS, "subdirectory") if item.has(k)}
        params |= {("lfs", "true")} if item.opt_flag("lfs") is True else set()
        return _git(item.text("git"), params, item.node("git"))
    if item.has("url"):
        return ("url", item.text("url").partition("#")[0], item.opt_text("subdirectory"))
    if (
        item.has("index")
        and item.text("index") in low.indexes
        and not (item.has("extra") or item.has("group"))
    ):
        return ("registry", spec, low.indexes[item.text("index")].rstrip("/"))
    if not any(item.has(k) for k in ("workspace", "index")):
        raise item.error("names no source (path, git, url, index or workspace).")
    return _ANY  # an index source for one extra or group also records a conflict: not predicted


def _lower(
    written: Node, low: _Lowering, *, extra: str | None = None, group: str | None = None
) -> list[_Req]:
    """One pyproject.toml requirement as uv records it: sources applied, markers attached."""
    req = written.as_parsed(Requirement, "requirement")
    name = canonicalize_name(req.name)
    extras = frozenset(canonicalize_name(e) for e in req.extras)
    markers = ((req.marker,) if req.marker else ()) + (
        (Marker(f"extra == '{extra}'"),) if extra else ()
    )
    registry = ("registry", req.specifier, None)
    text = written.as_str()
    text = f"{text} (extra {extra})" if extra else text
    if req.url:
        return [_Req(name, extras, _direct(req.url, low, written), _Cond(markers), text)]
    raw, folder = low.sources.get(name, (None, ""))
    entries = [] if raw is None else [raw] if isinstance(raw.value, dict) else raw.as_nodes()
    items = [
        i
        for i in entries
        if canonicalize_name(i.text_or("extra", extra or "")) == canonicalize_name(extra or "")
        and canonicalize_name(i.text_or("group", group or "")) == canonicalize_name(group or "")
    ]
    if not items:
        return [_Req(name, extras, registry, _Cond(markers), text)]
    out = []
    covered: list[Marker] = []
    for item in items:
        source = _from_source(item, name, req.specifier, folder, low)
        shown = f"{text} (from [tool.uv.sources]: {_show_source(source)})"
        own = (item.node("marker").as_parsed(Marker, "marker"),) if item.has("marker") else ()
        out.append(_Req(name, extras, source, _Cond(markers + own), shown))
        covered.extend(own)
    if all(item.has("marker") for item in items):  # the rest of the space keeps the index
        out.append(_Req(name, extras, registry, _Cond(markers, tuple(covered)), text))
    return out


def _show_source(source: tuple[Any, ...]) -> str:
    kind = source[0]
    if source == _ANY:
        return "a source compared by name only"
    if kind == "registry":
        return f"index {source[2]}" if source[2] else "the default index"
    if kind == "git":
        return f"git {source[1]} {' '.join(f'{k}={v}' for k, v in sorted(source[2]))}".strip()
    return f"{kind} {source[1]}"


def _recorded(entry: Node) -> _Req:
    """One requirement of uv.lock's [package.metadata]."""
    name = canonicalize_name(entry.text("name"))
    extras = frozenset(canonicalize_name(e) for e in entry.texts("extras"))
    marker = (entry.node("marker").as_parsed(Marker, "marker"),) if entry.has("marker") else ()
    source: tuple[Any, ...]
    if entry.has("git"):
        source = _git(entry.text("git").partition("#")[0], (), entry.node("git"))
    elif entry.has("url"):
        source = ("url", entry.text("url").partition("#")[0], entry.opt_text("subdirectory"))
    elif kinds := [k for k in ("path", "directory", "editable", "virtual") if entry.has(k)]:
        source = (kinds[0], posixpath.normpath(entry.text(kinds[0])))
    else:
        index = entry.opt_text("index")
        source = (
            "registry",
            entry.node("specifier", "").as_parsed(SpecifierSet, "version specifier"),
            index.rstrip("/") if index else None,
        )
    text = f"{name}{'[' + ','.join(sorted(extras)) + ']' if extras else ''}"
    if source[0] == "registry":
        text += str(source[1]) + (f" (index {source[2]})" if source[2] else "")
    else:
        text += f" ({_show_source(source)})"
    if marker:
        text += f"; {marker[0]}"
    return _Req(name, extras, source, _Cond(marker), text)


# Metadata of the local packages, declared and locked.


def _groups(data: Node, low: _Lowering) -> dict[str, tuple[_Req, ...]]:
    """PEP 735 [dependency-groups] (includes expanded) and legacy [tool.uv] dev-dependencies."""
    table = data.table("dependency-groups")
    for group, _ in table.items():  # typed and parsed first, so that an error names its key
        for item in table.nodes(group):
            if isinstance(item.value, dict):
                item.text("include-group")
            else:
                item.as_parsed(Requirement, "requirement")
    try:
        resolved = {g: resolve_dependency_groups(table.value, g) for g, _ in table.items()}
    except (ValueError, LookupError, ExceptionGroup) as exc:  # cycles, unknown includes
        errors = exc.exceptions if isinstance(exc, ExceptionGroup) else (exc,)
        raise table.error(f"is not valid ({'; '.join(map(str, errors))}).") from None
    groups: dict[str, list[Node]] = {
        canonicalize_name(g): [Node(r, data.file, f"{table.path}.{g}") for r in reqs]
        for g, reqs in resolved.items()
    }
    uv = data.table("tool").table("uv")
    if uv.has("dev-dependencies"):  # uv records them as the group dev
        groups["dev"] = [*groups.get("dev", []), *uv.nodes("dev-dependencies")]
    return {
        g: tuple(r for t in reqs for r in _lower(t, low, group=g)) for g, reqs in groups.items()
    }


def _declared(data: Node, low: _Lowering) -> _Metadata | None:
    """A local package's metadata from its pyproject.toml; None when only a build can tell.

    uv builds a package whose dependencies are dynamic (or that has no [project]) to compare its
    metadata; that cannot be done here, so such a package is not compared (the build's
    `uv sync --locked` still is).
    """
    if not data.has("project"):
        return None
    project = data.table("project")
    dynamic = set(project.texts("dynamic"))
    if {"dependencies", "optional-dependencies"} & dynamic:
        return None
    deps = [r for t in project.nodes("dependencies") for r in _lower(t, low)]
    optional = project.table("optional-dependencies")
    for extra, _ in optional.items():
        name = _extra_name(extra, optional)
        deps += [r for t in optional.nodes(extra) for r in _lower(t, low, extra=name)]
    version = None if "version" in dynamic else project.opt_text("version")
    return _Metadata(
        version=version,
        provides_extras=frozenset(canonicalize_name(e) for e, _ in optional.items()),
        requires_dist=tuple(deps),
        groups=_groups(data, low),
    )


def _extra_name(extra: str, table: Node) -> str:
    """An extra's normalised name; one PEP 685 does not allow cannot be compared (uv refuses
    it too)."""
    try:
        return canonicalize_name(extra, validate=True)
    except InvalidName:
        raise table.error(f"{extra!r} is not a valid extra name.", extra) from None


def _locked(pkg: Node) -> _Metadata:
    """A local package's metadata as uv.lock records it (tables left out when empty)."""
    meta = pkg.table("metadata")
    groups = meta.table("requires-dev" if meta.has("requires-dev") else "dependency-groups")
    return _Metadata(
        version=pkg.opt_text("version"),
        provides_extras=frozenset(canonicalize_name(e) for e in meta.texts("provides-extras")),
        requires_dist=tuple(_recorded(e) for e in meta.nodes("requires-dist")),
        groups={
            canonicalize_name(g): tuple(map(_recorded, reqs.as_nodes()))
            for g, reqs in groups.items()
        },
    )


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _compare(
    name: str,
    declared: _Metadata,
    locked: _Metadata,
    revision: tuple[int, int],
    python: SpecifierSet | None,
    manifest: str,
) -> _Stale | None:
    """The first difference uv finds between a package's metadata and its lock entry."""
    at = f"package {name}: "
    if declared.version is not None and (
        locked.version is None or not _same_version(declared.version, locked.version)
    ):
        return _Stale(
            at + "version", _versus("version", declared.version, locked.version, manifest)
        )
    # provides-extras and empty groups are recorded from lock revision 1 on; uv compares them
    # only in locks that record them.
    if revision >= (1, 1) and declared.provides_extras != locked.provides_extras:
        mine, theirs = (
            ", ".join(sorted(e)) or "none"
            for e in (declared.provides_extras, locked.provides_extras)
        )
        return _Stale(at + "metadata.provides-extras", _versus("extras", mine, theirs, manifest))
    if diff := _diff(declared.requires_dist, locked.requires_dist, python, manifest):
        return _Stale(at + "metadata.requires-dist", f"dependencies: {diff}")
    field = at + "metadata.requires-dev"
    return _compare_groups(field, declared.groups, locked.groups, revision, python, manifest)


def _compare_groups(
    field: str,
    declared: Mapping[str, tuple[_Req, ...]],
    locked: Mapping[str, tuple[_Req, ...]],
    revision: tuple[int, int],
    python: SpecifierSet | None,
    manifest: str = "pyproject.toml",
) -> _Stale | None:
    keep_empty = revision >= (1, 1)
    left = {g: r for g, r in declared.items() if r or keep_empty}
    right = {g: r for g, r in locked.items() if r or keep_empty}
    for group in sorted(left.keys() | right.keys()):
        if group not in right:
            return _Stale(field, f"dependency group {group}: in {manifest}, not in uv.lock")
        if group not in left:
            return _Stale(field, f"dependency group {group}: in uv.lock, not in {manifest}")
        if diff := _diff(left[group], right[group], python, manifest):
            return _Stale(field, f"dependency group {group}: {diff}")
    return None


# The workspace: members, requires-python, manifest, options.


def _glob(root: Path, pattern: str) -> set[Path]:
    """Folders matching a workspace glob (``*``, ``?``, ``[...]`` per segment, ``**`` any depth)."""
    found = {root}
    for part in (p for p in pattern.replace("\\", "/").split("/") if p not in ("", ".")):
        if part == "**":
            stack, found = list(found), set()
            while stack:
                folder = stack.pop()
                found.add(folder)
                stack.extend(c for c in fs.iterdir(folder) if fs.is_dir(c))
        else:
            found = {
                c
                for folder in found
                for c in fs.iterdir(folder)
                if fnmatchcase(c.name, part) and fs.is_dir(c)
            }
    return found


def _workspace_members(root: Path, tool: Node) -> dict[str, str]:
    """Member name -> folder, from [tool.uv.workspace] members and exclude globs."""
    ws = tool.table("workspace")
    excluded = {p for pattern in ws.texts("exclude") for p in _glob(root, pattern)}
    out: dict[str, str] = {}
    for pattern in ws.texts("members"):
        for folder in sorted(_glob(root, pattern)):
            if folder in excluded or not fs.is_file(folder / "pyproject.toml"):
                continue
            rel = folder.relative_to(root).as_posix()
            name = _document(root, rel).table("project").opt_text("name")
            if name:
                out[canonicalize_name(name)] = rel
    return out


def _same_range(a: list[SpecifierSet], b: list[SpecifierSet]) -> bool:
    """Two requires-python (each all of its specifier sets) admit the same Python versions."""
    points = _python_points((sp.version for s in (*a, *b) for sp in s), None)
    return all(
        all(s.contains(p, prereleases=True) for s in a)
        == all(s.contains(p, prereleases=True) for s in b)
        for p in points
    )


def _check_requires_python(lock: Node, declared: list[Node]) -> _Stale | None:
    """uv re-locks when the workspace's requires-python (all members' together) changes range."""
    if not declared or not lock.has("requires-python"):
        return None  # uv then takes the interpreter's version: not known here
    mine = [d.as_parsed(SpecifierSet, "version specifier") for d in declared]
    theirs = lock.node("requires-python").as_parsed(SpecifierSet, "version specifier")
    if not _same_range(mine, [theirs]):
        shown = " and ".join(d.as_str() for d in declared)
        return _Stale(
            "requires-python", _versus("requires-python", shown, lock.text("requires-python"))
        )
    return None


# [tool.uv] setting -> (uv.lock [options] key, default); uv starts over when one changes.
_OPTIONS = (
    ("resolution", "resolution-mode", "highest"),
    ("prerelease", "prerelease-mode", "if-necessary-or-explicit"),
    ("fork-strategy", "fork-strategy", "requires-python"),
)

# [tool.uv] list -> uv.lock [manifest] key: requirements uv records as given, without sources.
_MANIFEST = (
    ("constraint-dependencies", "constraints"),
    ("override-dependencies", "overrides"),
    ("build-constraint-dependencies", "build-constraints"),
)


def _check_options(tool: Node, lock: Node) -> _Stale | None:
    options = lock.table("options")
    for setting, key, default in _OPTIONS:
        mine, theirs = tool.text_or(setting, default), options.text_or(key, default)
        if mine != theirs:
            return _Stale(f"options.{key}", _versus(f"[tool.uv] {setting}", mine, theirs))
    if tool.has("exclude-newer") != options.has("exclude-newer"):
        return _Stale(
            "options.exclude-newer",
            "[tool.uv] exclude-newer: set in only one of pyproject.toml and uv.lock",
        )
    return None


def _markers_list(table: Node, key: str) -> list[_Cond]:
    """A marker or an array of markers (absent: none)."""
    value = table.node(key, None)
    items = [value] if isinstance(value.value, str) else table.nodes(key) if value.value else []
    return [_Cond((m.as_parsed(Marker, "marker"),)) for m in items]


def _check_environments(tool: Node, lock: Node, python: SpecifierSet | None) -> _Stale | None:
    for setting, key in (
        ("environments", "supported-markers"),
        ("required-environments", "required-markers"),
    ):
        mine, theirs = _markers_list(tool, setting), _markers_list(lock, key)
        envs = _environments((m for c in (*mine, *theirs) for m in c.markers()), python)
        if len(mine) != len(theirs) or not all(
            _same(a, b, envs) for a, b in zip(mine, theirs, strict=True)
        ):
            shown = [c.text() for c in mine], [c.text() for c in theirs]
            return _Stale(key, _versus(f"[tool.uv] {setting}", *shown))
    return None


def _conflict_sets(table: Node, project: str) -> set[frozenset[tuple[str, str, str]]]:
    out: set[frozenset[tuple[str, str, str]]] = set()
    for group in table.nodes("conflicts"):
        items: set[tuple[str, str, str]] = set()
        for item in group.as_nodes():
            kind = "extra" if item.has("extra") else "group" if item.has("group") else "package"
            items.add(
                (
                    canonicalize_name(item.text_or("package", project)),
                    kind,
                    canonicalize_name(item.text_or(kind, "")),
                )
            )
        out.add(frozenset(items))
    return out


def _static_metadata(table: Node) -> set[tuple[Any, ...]]:
    """[[tool.uv.dependency-metadata]] entries, comparable with the lock's copy of them."""
    return {
        (
            canonicalize_name(e.text("name")),
            str(e.node("version").as_parsed(Version, "version")) if e.has("version") else None,
            frozenset(
                str(r.as_parsed(Requirement, "requirement")) for r in e.nodes("requires-dist")
            ),
            str(e.node("requires-python").as_parsed(SpecifierSet, "version specifier"))
            if e.has("requires-python")
            else None,
            frozenset(canonicalize_name(x) for x in e.texts("provides-extras")),
        )
        for e in table.tables("dependency-metadata")
    }


def _check_manifest(
    tool: Node,
    lock: Node,
    low: _Lowering,
    members: Mapping[str, str],
    project: str,
    python: SpecifierSet | None,
) -> _Stale | None:
    manifest = lock.table("manifest")
    expected = set(members) | ({project} if project else set()) if members else set()
    locked = {canonicalize_name(m) for m in manifest.texts("members")}
    # A workspace of one package records no members.
    if (expected if len(expected) > 1 else set()) != (locked if len(locked) > 1 else set()):
        shown = ", ".join(sorted(expected)), ", ".join(sorted(locked))
        return _Stale("manifest.members", _versus("workspace members", *shown))
    plain = _Lowering(low.root, "", {}, low.indexes, low.members)
    for setting, key in _MANIFEST:
        mine = [r for t in tool.nodes(setting) for r in _lower(t, plain)]
        if diff := _diff(mine, map(_recorded, manifest.nodes(key)), python):
            return _Stale(f"manifest.{key}", f"[tool.uv] {setting}: {diff}")
    excludes = {canonicalize_name(n) for n in tool.texts("exclude-dependencies")}
    if excludes != {canonicalize_name(n) for n in manifest.texts("excludes")}:
        return _Stale("manifest.excludes", "[tool.uv] exclude-dependencies differ")
    if _static_metadata(tool) != _static_metadata(manifest):
        return _Stale("manifest.dependency-metadata", "[tool.uv] dependency-metadata differs")
    if _conflict_sets(tool, project) != _conflict_sets(lock, project):
        return _Stale("conflicts", "[tool.uv] conflicts differ")
    return None


def _local_packages(packages: list[Node]) -> dict[str, tuple[str, str]]:
    """Packages uv reads from a folder (the project, members, path sources): kind and path."""
    out: dict[str, tuple[str, str]] = {}
    for p in packages:
        src = p.table("source")
        for kind in ("virtual", "editable", "directory"):
            if src.has(kind):
                out[canonicalize_name(p.text("name"))] = (kind, posixpath.normpath(src.text(kind)))
    return out


def _sources(tool: Node, folder: str) -> dict[str, tuple[Node, str]]:
    return {canonicalize_name(k): (v, folder) for k, v in tool.table("sources").items()}


def _indexes(tool: Node) -> dict[str, str]:
    return {
        ix.text("name"): ix.text("url")
        for ix in tool.tables("index")
        if ix.has("name") and ix.has("url")
    }


def _staleness(root: Path, pyproj: PyProject, lock: Node, packages: list[Node]) -> _Stale | None:
    """The first thing `uv lock --check` would find changed, or None when the lock is fresh."""
    revision = (lock.int_or("version", 1), lock.int_or("revision", 0))
    tool = pyproj.doc.table("tool").table("uv")
    python = (
        lock.node("requires-python").as_parsed(SpecifierSet, "version specifier")
        if lock.has("requires-python")
        else None
    )
    local = _local_packages(packages)
    members = _workspace_members(root, tool)
    project = canonicalize_name(pyproj.doc.table("project").text_or("name", ""))
    low = _Lowering(root, "", _sources(tool, ""), _indexes(tool), local)
    member_docs = [_document(root, folder) for folder in members.values()]
    requires_python = [
        d.table("project").node("requires-python")
        for d in (pyproj.doc, *member_docs)
        if d.table("project").has("requires-python")
    ]
    if (
        problem := _check_requires_python(lock, requires_python)
        or _check_options(tool, lock)
        or _check_environments(tool, lock, python)
        or _check_manifest(tool, lock, low, members, project, python)
    ):
        return problem
    if pyproj.has_project and project not in local:
        return _Stale("package", f"no package {project}, the project of pyproject.toml")
    if not pyproj.has_project and (groups := _groups(pyproj.doc, low)):
        # A workspace root without [project]: its groups are the manifest's.
        locked = lock.table("manifest").table("dependency-groups")
        recorded: dict[str, tuple[_Req, ...]] = {
            canonicalize_name(g): tuple(map(_recorded, r.as_nodes())) for g, r in locked.items()
        }
        if diff := _compare_groups("manifest.dependency-groups", groups, recorded, (1, 0), python):
            return diff
    by_name: dict[str, Node] = {canonicalize_name(p.text("name")): p for p in packages}
    for name, (_, path) in sorted(local.items()):
        if path == ".." or path.startswith("../") or posixpath.isabs(path):
            continue  # outside the build context: refused as such after this check
        if name == project and path == ".":
            data = pyproj.doc
            own = low
        elif fs.is_file(root / path / "pyproject.toml"):
            data = _document(root, path)
            mine = data.table("tool").table("uv")
            # Workspace members inherit the root's sources; a path source is its own project.
            inherited = dict(low.sources) if name in members else {}
            own = _Lowering(
                root,
                path,
                inherited | _sources(mine, path),
                {**low.indexes, **_indexes(mine)},
                local,
            )
        else:
            continue  # a folder without pyproject.toml: uv builds it (setup.py) to know
        declared = _declared(data, own)
        if declared is not None and (
            diff := _compare(
                name, declared, _locked(by_name[name]), revision, python, _manifest(path)
            )
        ):
            return diff
    return None


def _check_fresh(root: Path, pyproj: PyProject, lock: Node, packages: list[Node]) -> None:
    """uv.lock must be what `uv lock` would write now: `uv sync --locked` refuses it otherwise."""
    problem = _staleness(root, pyproj, lock, packages)
    if problem:
        raise UserError(
            LOCK,
            f"is out of date: {problem.what}. `uv lock --check` fails on it, and `uv sync "
            "--locked` in the build would refuse it.",
            field=problem.field,
            fix=f"Run `{LOCK_COMMAND}` and commit the new uv.lock.",
        )
