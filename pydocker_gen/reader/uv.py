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
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from packaging._parser import Variable
from packaging.dependency_groups import resolve_dependency_groups
from packaging.markers import InvalidMarker, Marker, default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

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


def _indexes_with_use(tool: Mapping[str, Any], installed: list[dict[str, Any]]) -> list[Index]:
    """The declared indexes, each marked with whether an installed package comes from it (the
    lock records every package's registry)."""
    registries = {str(p.get("source", {}).get("registry", "")).rstrip("/") for p in installed} - {
        ""
    }
    return [
        Index(
            name=str(ix.get("name", "")),
            url=str(ix.get("url", "")),
            source="pyproject.toml",
            used=str(ix.get("url", "")).rstrip("/") in registries,
        )
        for ix in tool.get("index", [])
    ]


def _is_project(pkg: dict[str, Any]) -> bool:
    src = pkg.get("source", {})
    return "editable" in src or "virtual" in src


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
    _check_fresh(root, pyproj, lock, packages_data)
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
    for ix in tool.get("index", []):
        check_url_credentials(str(ix.get("url", "")), "pyproject.toml")
    installed = [p for p in packages_data if canonicalize_name(p["name"]) in selected]
    indexes = _indexes_with_use(tool, installed)
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
    sources: Mapping[str, tuple[Any, str]]  # name -> ([tool.uv.sources] entry, its folder)
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
        except Exception:  # packaging raises several kinds on values it cannot compare
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


def _git(url: str, params: Iterable[tuple[str, str]]) -> tuple[Any, ...]:
    parts = urlsplit(url.removeprefix("git+"))
    host = parts.netloc.rpartition("@")[2]  # uv drops credentials
    query = {(k, v) for k, v in parse_qsl(parts.query) if k != "lfs" or v == "true"}
    return ("git", f"{parts.scheme}://{host}{parts.path}", frozenset(query | set(params)))


def _direct(url: str, low: _Lowering) -> tuple[Any, ...]:
    """The source of a PEP 508 ``name @ url`` requirement."""
    if url.startswith("git+"):
        parts = urlsplit(url.removeprefix("git+"))
        path, at, ref = parts.path.rpartition("@")
        frag = dict(parse_qsl(parts.fragment))
        params = {("rev", ref)} if at else set()
        params |= {("subdirectory", frag["subdirectory"])} if "subdirectory" in frag else set()
        return _git(
            urlunsplit((parts.scheme, parts.netloc, path if at else parts.path, "", "")), params
        )
    if url.startswith("file:"):
        path = _rel(low.root, low.base, url.removeprefix("file:").removeprefix("//"))
        return ("path" if path.endswith(_ARCHIVES) else "directory", path)
    base, _, fragment = url.partition("#")
    return ("url", base, dict(parse_qsl(fragment)).get("subdirectory"))


def _from_source(
    item: Mapping[str, Any], name: str, spec: SpecifierSet, folder: str, low: _Lowering
) -> tuple[Any, ...]:
    """The source uv records for a requirement with a [tool.uv.sources] entry."""
    if item.get("workspace") is True:
        kind, path = low.members.get(name, ("any", ""))
        return (
            _ANY
            if kind == "any"
            else (
                ("directory", path)
                if item.get("editable") is False and kind == "editable"
                else (kind, path)
            )
        )
    if "path" in item:
        path = _rel(low.root, folder, str(item["path"]))
        if item.get("editable") is True:
            return ("editable", path)
        if item.get("package") is False:
            return ("virtual", path)
        return ("path" if path.endswith(_ARCHIVES) else "directory", path)
    if "git" in item:
        params = {(k, str(item[k])) for k in (*_GIT_REFS, "subdirectory") if k in item}
        params |= {("lfs", "true")} if item.get("lfs") is True else set()
        return _git(str(item["git"]), params)
    if "url" in item:
        return ("url", str(item["url"]).partition("#")[0], item.get("subdirectory"))
    if (
        "index" in item
        and str(item["index"]) in low.indexes
        and not {"extra", "group"} & item.keys()
    ):
        return ("registry", spec, low.indexes[str(item["index"])].rstrip("/"))
    return _ANY  # an index source for one extra or group also records a conflict: not predicted


def _lower(
    text: str, where: str, low: _Lowering, *, extra: str | None = None, group: str | None = None
) -> list[_Req]:
    """One pyproject.toml requirement as uv records it: sources applied, markers attached."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise UserError(
            _manifest(low.base), f"{text!r} is not a valid requirement ({exc}).", field=where
        ) from None
    name = canonicalize_name(req.name)
    extras = frozenset(canonicalize_name(e) for e in req.extras)
    markers = ((req.marker,) if req.marker else ()) + (
        (Marker(f"extra == '{extra}'"),) if extra else ()
    )
    registry = ("registry", req.specifier, None)
    text = f"{text} (extra {extra})" if extra else text
    if req.url:
        return [_Req(name, extras, _direct(req.url, low), _Cond(markers), text)]
    raw, folder = low.sources.get(name, (None, ""))
    items = [
        i
        for i in (raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else [])
        if canonicalize_name(str(i.get("extra", extra or ""))) == canonicalize_name(extra or "")
        and canonicalize_name(str(i.get("group", group or ""))) == canonicalize_name(group or "")
    ]
    if not items:
        return [_Req(name, extras, registry, _Cond(markers), text)]
    out = []
    covered: list[Marker] = []
    for item in items:
        source = _from_source(item, name, req.specifier, folder, low)
        shown = f"{text} (from [tool.uv.sources]: {_show_source(source)})"
        own = (Marker(str(item["marker"])),) if "marker" in item else ()
        out.append(_Req(name, extras, source, _Cond(markers + own), shown))
        covered.extend(own)
    if all("marker" in item for item in items):  # the rest of the space keeps the index
        out.append(_Req(name, extras, registry, _Cond(markers, tuple(covered)), text))
    return out


def _show_source(source: tuple[Any, ...]) -> str:
    kind = source[0]
    if kind == "registry":
        return f"index {source[2]}" if source[2] else "the default index"
    if kind == "git":
        return f"git {source[1]} {' '.join(f'{k}={v}' for k, v in sorted(source[2]))}".strip()
    return f"{kind} {source[1]}"


def _recorded(entry: Mapping[str, Any]) -> _Req:
    """One requirement of uv.lock's [package.metadata]."""
    name = canonicalize_name(str(entry["name"]))
    extras = frozenset(canonicalize_name(str(e)) for e in entry.get("extras", ()))
    marker = (Marker(str(entry["marker"])),) if "marker" in entry else ()
    source: tuple[Any, ...]
    if "git" in entry:
        source = _git(str(entry["git"]).partition("#")[0], ())
    elif "url" in entry:
        source = ("url", str(entry["url"]).partition("#")[0], entry.get("subdirectory"))
    elif kinds := [k for k in ("path", "directory", "editable", "virtual") if k in entry]:
        source = (kinds[0], posixpath.normpath(str(entry[kinds[0]])))
    else:
        index = entry.get("index")
        source = (
            "registry",
            SpecifierSet(str(entry.get("specifier", ""))),
            str(index).rstrip("/") if index else None,
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


def _groups(data: Mapping[str, Any], low: _Lowering) -> dict[str, tuple[_Req, ...]]:
    """PEP 735 [dependency-groups] (includes expanded) and legacy [tool.uv] dev-dependencies."""
    table = data.get("dependency-groups", {})
    legacy = (data.get("tool", {}).get("uv") or {}).get("dev-dependencies")
    try:
        resolved: dict[str, list[str]] = {
            canonicalize_name(g): list(resolve_dependency_groups(table, g)) for g in table
        }
    except (ValueError, TypeError, LookupError) as exc:
        raise UserError(
            _manifest(low.base), f"is not valid ({exc}).", field="dependency-groups"
        ) from None
    if isinstance(legacy, list):  # uv records them as the group dev
        resolved["dev"] = [*resolved.get("dev", []), *map(str, legacy)]
    return {
        g: tuple(r for t in reqs for r in _lower(t, f"dependency-groups.{g}", low, group=g))
        for g, reqs in resolved.items()
    }


def _declared(data: Mapping[str, Any], low: _Lowering) -> _Metadata | None:
    """A local package's metadata from its pyproject.toml; None when only a build can tell.

    uv builds a package whose dependencies are dynamic (or that has no [project]) to compare its
    metadata; that cannot be done here, so such a package is not compared (the build's
    `uv sync --locked` still is).
    """
    project = data.get("project")
    if not isinstance(project, dict):
        return None
    dynamic = set(project.get("dynamic", []))
    if {"dependencies", "optional-dependencies"} & dynamic:
        return None
    deps = [
        r for t in project.get("dependencies", []) for r in _lower(t, "project.dependencies", low)
    ]
    optional = project.get("optional-dependencies", {})
    for extra, reqs in optional.items():
        name = canonicalize_name(extra)
        field = f"project.optional-dependencies.{extra}"
        deps += [r for t in reqs for r in _lower(t, field, low, extra=name)]
    version = None if "version" in dynamic else project.get("version")
    return _Metadata(
        version=str(version) if version is not None else None,
        provides_extras=frozenset(canonicalize_name(e) for e in optional),
        requires_dist=tuple(deps),
        groups=_groups(data, low),
    )


def _locked(pkg: Mapping[str, Any]) -> _Metadata:
    """A local package's metadata as uv.lock records it (tables left out when empty)."""
    meta = pkg.get("metadata", {})
    groups = meta.get("requires-dev", meta.get("dependency-groups", {}))
    return _Metadata(
        version=str(pkg["version"]) if "version" in pkg else None,
        provides_extras=frozenset(canonicalize_name(e) for e in meta.get("provides-extras", ())),
        requires_dist=tuple(_recorded(e) for e in meta.get("requires-dist", ())),
        groups={canonicalize_name(g): tuple(map(_recorded, reqs)) for g, reqs in groups.items()},
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


def _workspace_members(root: Path, tool: Mapping[str, Any]) -> dict[str, str]:
    """Member name -> folder, from [tool.uv.workspace] members and exclude globs."""
    ws = tool.get("workspace")
    if not isinstance(ws, dict):
        return {}
    excluded = {p for pattern in ws.get("exclude", []) for p in _glob(root, str(pattern))}
    out: dict[str, str] = {}
    for pattern in ws.get("members", []):
        for folder in sorted(_glob(root, str(pattern))):
            if folder in excluded or not fs.is_file(folder / "pyproject.toml"):
                continue
            name = read_toml(folder / "pyproject.toml", root).get("project", {}).get("name")
            if name:
                out[canonicalize_name(str(name))] = folder.relative_to(root).as_posix()
    return out


def _same_range(a: list[SpecifierSet], b: list[SpecifierSet]) -> bool:
    """Two requires-python (each all of its specifier sets) admit the same Python versions."""
    points = _python_points((sp.version for s in (*a, *b) for sp in s), None)
    return all(
        all(s.contains(p, prereleases=True) for s in a)
        == all(s.contains(p, prereleases=True) for s in b)
        for p in points
    )


def _check_requires_python(lock: Mapping[str, Any], declared: list[str]) -> _Stale | None:
    """uv re-locks when the workspace's requires-python (all members' together) changes range."""
    locked = lock.get("requires-python")
    if not declared or locked is None:
        return None  # uv then takes the interpreter's version: not known here
    if not _same_range([SpecifierSet(d) for d in declared], [SpecifierSet(str(locked))]):
        return _Stale("requires-python", _versus("requires-python", " and ".join(declared), locked))
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


def _check_options(tool: Mapping[str, Any], lock: Mapping[str, Any]) -> _Stale | None:
    options = lock.get("options", {})
    for setting, key, default in _OPTIONS:
        if str(tool.get(setting, default)) != str(options.get(key, default)):
            mine, theirs = tool.get(setting, default), options.get(key, default)
            return _Stale(f"options.{key}", _versus(f"[tool.uv] {setting}", mine, theirs))
    if ("exclude-newer" in tool) != ("exclude-newer" in options):
        return _Stale(
            "options.exclude-newer",
            "[tool.uv] exclude-newer: set in only one of pyproject.toml and uv.lock",
        )
    return None


def _markers_list(values: Any) -> list[_Cond]:
    items = [values] if isinstance(values, str) else list(values or [])
    return [_Cond((Marker(str(m)),)) for m in items]


def _check_environments(
    tool: Mapping[str, Any], lock: Mapping[str, Any], python: SpecifierSet | None
) -> _Stale | None:
    for setting, key in (
        ("environments", "supported-markers"),
        ("required-environments", "required-markers"),
    ):
        mine, theirs = _markers_list(tool.get(setting)), _markers_list(lock.get(key))
        envs = _environments((m for c in (*mine, *theirs) for m in c.markers()), python)
        if len(mine) != len(theirs) or not all(
            _same(a, b, envs) for a, b in zip(mine, theirs, strict=True)
        ):
            shown = [c.text() for c in mine], [c.text() for c in theirs]
            return _Stale(key, _versus(f"[tool.uv] {setting}", *shown))
    return None


def _conflict_sets(values: Any, project: str) -> set[frozenset[tuple[str, str, str]]]:
    out: set[frozenset[tuple[str, str, str]]] = set()
    for group in values or []:
        items: set[tuple[str, str, str]] = set()
        for item in group:
            kind = "extra" if "extra" in item else "group" if "group" in item else "package"
            items.add(
                (
                    canonicalize_name(str(item.get("package", project))),
                    kind,
                    canonicalize_name(str(item.get(kind, ""))),
                )
            )
        out.add(frozenset(items))
    return out


def _static_metadata(values: Any) -> set[tuple[Any, ...]]:
    """[[tool.uv.dependency-metadata]] entries, comparable with the lock's copy of them."""
    return {
        (
            canonicalize_name(str(e["name"])),
            str(Version(str(e["version"]))) if "version" in e else None,
            frozenset(str(Requirement(str(r))) for r in e.get("requires-dist", ())),
            str(SpecifierSet(str(e["requires-python"]))) if "requires-python" in e else None,
            frozenset(canonicalize_name(str(x)) for x in e.get("provides-extras", ())),
        )
        for e in values or ()
    }


def _check_manifest(
    tool: Mapping[str, Any],
    lock: Mapping[str, Any],
    low: _Lowering,
    members: Mapping[str, str],
    project: str,
    python: SpecifierSet | None,
) -> _Stale | None:
    manifest = lock.get("manifest", {})
    expected = set(members) | ({project} if project else set()) if members else set()
    locked = {canonicalize_name(str(m)) for m in manifest.get("members", [])}
    # A workspace of one package records no members.
    if (expected if len(expected) > 1 else set()) != (locked if len(locked) > 1 else set()):
        shown = ", ".join(sorted(expected)), ", ".join(sorted(locked))
        return _Stale("manifest.members", _versus("workspace members", *shown))
    plain = _Lowering(low.root, "", {}, low.indexes, low.members)
    for setting, key in _MANIFEST:
        mine = [
            r for t in tool.get(setting, []) for r in _lower(str(t), f"tool.uv.{setting}", plain)
        ]
        if diff := _diff(mine, map(_recorded, manifest.get(key, [])), python):
            return _Stale(f"manifest.{key}", f"[tool.uv] {setting}: {diff}")
    excludes = {canonicalize_name(str(n)) for n in tool.get("exclude-dependencies", [])}
    if excludes != {canonicalize_name(str(n)) for n in manifest.get("excludes", [])}:
        return _Stale("manifest.excludes", "[tool.uv] exclude-dependencies differ")
    if _static_metadata(tool.get("dependency-metadata")) != _static_metadata(
        manifest.get("dependency-metadata")
    ):
        return _Stale("manifest.dependency-metadata", "[tool.uv] dependency-metadata differs")
    if _conflict_sets(tool.get("conflicts"), project) != _conflict_sets(
        lock.get("conflicts"), project
    ):
        return _Stale("conflicts", "[tool.uv] conflicts differ")
    return None


def _local_packages(packages: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Packages uv reads from a folder (the project, members, path sources): kind and path."""
    out: dict[str, tuple[str, str]] = {}
    for p in packages:
        src = p.get("source", {})
        for kind in ("virtual", "editable", "directory"):
            if kind in src:
                out[canonicalize_name(str(p["name"]))] = (kind, posixpath.normpath(str(src[kind])))
    return out


def _sources(tool: Mapping[str, Any], folder: str) -> dict[str, tuple[Any, str]]:
    table = tool.get("sources", {})
    return (
        {canonicalize_name(str(k)): (v, folder) for k, v in table.items()}
        if isinstance(table, dict)
        else {}
    )


def _indexes(tool: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(ix["name"]): str(ix["url"])
        for ix in tool.get("index", [])
        if "name" in ix and "url" in ix
    }


def _staleness(
    root: Path, pyproj: PyProject, lock: Mapping[str, Any], packages: list[dict[str, Any]]
) -> _Stale | None:
    """The first thing `uv lock --check` would find changed, or None when the lock is fresh."""
    revision = (int(lock.get("version", 1)), int(lock.get("revision", 0)))
    tool = pyproj.tool("uv") or {}
    python = SpecifierSet(str(lock["requires-python"])) if "requires-python" in lock else None
    local = _local_packages(packages)
    members = _workspace_members(root, tool)
    project = canonicalize_name(str(pyproj.data.get("project", {}).get("name", "")))
    low = _Lowering(root, "", _sources(tool, ""), _indexes(tool), local)
    member_data = {
        name: read_toml(root / folder / "pyproject.toml", root) for name, folder in members.items()
    }
    requires_python = [
        str(d["project"]["requires-python"])
        for d in (pyproj.data, *member_data.values())
        if "requires-python" in d.get("project", {})
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
    if not pyproj.has_project and (groups := _groups(pyproj.data, low)):
        # A workspace root without [project]: its groups are the manifest's.
        locked = lock.get("manifest", {}).get("dependency-groups", {})
        recorded: dict[str, tuple[_Req, ...]] = {
            canonicalize_name(g): tuple(map(_recorded, r)) for g, r in locked.items()
        }
        if diff := _compare_groups("manifest.dependency-groups", groups, recorded, (1, 0), python):
            return diff
    by_name: dict[str, dict[str, Any]] = {canonicalize_name(str(p["name"])): p for p in packages}
    for name, (_, path) in sorted(local.items()):
        if path == ".." or path.startswith("../") or posixpath.isabs(path):
            continue  # outside the build context: refused as such after this check
        if name == project and path == ".":
            data: Mapping[str, Any] = pyproj.data
            own = low
        elif fs.is_file(root / path / "pyproject.toml"):
            data = read_toml(root / path / "pyproject.toml", root)
            mine = data.get("tool", {}).get("uv") or {}
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


def _check_fresh(
    root: Path,
    pyproj: PyProject,
    lock: Mapping[str, Any],
    packages: list[dict[str, Any]],
) -> None:
    """uv.lock must be what `uv lock` would write now: `uv sync --locked` refuses it otherwise."""
    try:
        problem = _staleness(root, pyproj, lock, packages)
    except (InvalidMarker, InvalidRequirement, InvalidSpecifier, InvalidVersion) as exc:
        raise UserError(
            LOCK,
            f"cannot be compared with pyproject.toml ({str(exc).splitlines()[0]}).",
            fix="Check the markers and versions of pyproject.toml, then run `uv lock`.",
        ) from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise UserError(
            LOCK,
            f"has a table or field of an unexpected shape ({type(exc).__name__}: {exc}).",
            fix=f"Run `{LOCK_COMMAND}` to rewrite it.",
        ) from None
    if problem:
        raise UserError(
            LOCK,
            f"is out of date: {problem.what}. `uv lock --check` fails on it, and `uv sync "
            "--locked` in the build would refuse it.",
            field=problem.field,
            fix=f"Run `{LOCK_COMMAND}` and commit the new uv.lock.",
        )
