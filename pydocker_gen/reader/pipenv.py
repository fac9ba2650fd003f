"""Pipenv: Pipfile (read with plette) and Pipfile.lock, including ``_meta.hash`` freshness."""

from __future__ import annotations

import hashlib
import io
import json
import tomllib
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name

from pydocker_gen import fs
from pydocker_gen.errors import UserError
from pydocker_gen.facts import Index, LockedPackage, Source
from pydocker_gen.reader.common import ManagerRead, all_hashed, target_pythons
from pydocker_gen.reader.python_version import Pin, minor_of
from pydocker_gen.reader.requirements import check_url_credentials
from pydocker_gen.reader.shape import Node

LOCK = "Pipfile.lock"
LOCK_COMMAND = "pipenv lock"


def read(root: Path, *, allow_unlocked: bool) -> ManagerRead:
    written = _pipfile_as_written(root)
    _check_pipfile(Node(written, "Pipfile"))
    # plette validates the rest and adds the [[source]] pipenv uses when none is written.
    pipfile = Node(_load_pipfile(root, written)._data, "Pipfile")
    lock_path = root / LOCK
    pins = _pins(pipfile)
    # Named as written: a name plette needed is not the project's.
    indexes = _indexes(Node(written, "Pipfile") if "source" in written else pipfile, "Pipfile")
    if not fs.is_file(lock_path):
        if not allow_unlocked:
            raise UserError(
                "Pipfile",
                "has no Pipfile.lock beside it, so the image's versions would not be fixed.",
                fix=f"Run `{LOCK_COMMAND}` and commit Pipfile.lock (or set allow_unlocked = true).",
            )
        return ManagerRead(
            manifest="Pipfile",
            lockfile=None,
            lock_inputs=["Pipfile"],
            packages=_unlocked_packages(pipfile),
            hashed=False,
            pinned=False,
            pins=pins,
            indexes=indexes,
            warnings=["Pipfile has no Pipfile.lock: versions are resolved at build time."],
        )
    lock = _load_lock(lock_path)
    warnings = [*_unnamed_source_warnings(written), *_check_fresh(written, lock)]
    packages = [_locked(name, entry) for name, entry in sorted(lock.table("default").items())]
    return ManagerRead(
        manifest="Pipfile",
        lockfile="Pipfile.lock",
        lock_inputs=["Pipfile", "Pipfile.lock"],
        packages=packages,
        # Pipenv leaves hashes off a package its marker excludes for the locking Python.
        hashed=all_hashed(packages, target_pythons(pins)),
        pinned=True,
        pins=pins,
        indexes=indexes,
        warnings=warnings,
    )


class Generation(NamedTuple):
    """How one line of pipenv releases turns a Pipfile into ``_meta.hash.sha256``."""

    writers: str
    categories: bool  # custom package categories ([docs], ...) are hashed
    canonical: bool  # package names are PEP 503-normalised before hashing


# Every release writes `_meta.pipfile-spec` 6, so the lock does not tell which of these
# wrote it: a lock is fresh when any generation's hash of the Pipfile matches.
GENERATIONS = (
    # pipenv's patched `pipfile` library (2022.1.8 and before): default and develop only.
    Generation("pipenv <= 2022.1.8", categories=False, canonical=False),
    # plette's Pipfile.get_hash() (later releases to 2026.7.x): every category, names as written.
    Generation("pipenv after 2022.1.8, to 2026.7", categories=True, canonical=False),
    # pipenv's own calculate_hash (2026.8.0+, utils/pipfile.py): names normalised.
    Generation("pipenv >= 2026.8.0", categories=True, canonical=True),
)
# What pipenv hashes in place of a missing [[source]] when the pip configuration names no
# index (plette's DEFAULT_SOURCE_TOML; the old `pipfile` library's DEFAULT_SOURCE).
PYPI_SOURCE: dict[str, Any] = {"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}
# Pipfile tables that are not package categories (plette's PIPFILE_SECTIONS).
_NOT_CATEGORIES = frozenset(
    ("source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv")
)


def pipfile_hash(data: dict[str, Any], sources: list[Any], generation: Generation) -> str:
    """``_meta.hash.sha256`` as `generation` computes it for the Pipfile `data`."""

    def section(values: Any) -> Any:
        if generation.canonical:
            return {canonicalize_name(str(k)): v for k, v in values.items()}
        return values

    content: dict[str, Any] = {
        "_meta": {"sources": sources, "requires": data.get("requires", {})},
        "default": section(data.get("packages", {})),
        "develop": section(data.get("dev-packages", {})),
    }
    if generation.categories:
        for category, values in data.items():
            if category not in _NOT_CATEGORIES and category not in ("default", "develop"):
                content[category] = section(values)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _source_candidates(data: dict[str, Any], lock: Node) -> list[list[Any]]:
    if "source" in data:
        return [data["source"]]
    # Without [[source]], pipenv hashes its default sources: PyPI, or the index-url of the
    # pip configuration of the machine that locked, which it records in _meta.sources.
    recorded = [s.as_table() for s in lock.table("_meta").tables("sources")]
    return [[PYPI_SOURCE], *([recorded] if recorded and recorded != [PYPI_SOURCE] else [])]


def _check_fresh(data: dict[str, Any], lock: Node) -> list[str]:
    """Warnings, or a UserError when no pipenv generation's hash matches the lock's."""
    expected = lock.table("_meta", required=True).table("hash", required=True).text("sha256")
    for sources in _source_candidates(data, lock):
        if any(expected == pipfile_hash(data, sources, g) for g in GENERATIONS):
            return []
    if "source" not in data:
        # pipenv 2026 (2026.10.3; not 2025.0.4) also hashes the extra-index-url entries of
        # the locking machine's pip configuration, which no project file records, so the
        # hash cannot be redone here. A package the Pipfile names but the lock lacks still
        # proves it stale.
        missing = _unlocked_names(data, lock)
        if not missing:
            return [
                "Pipfile.lock: freshness not fully checked: its _meta.hash cannot be redone, "
                "since without a [[source]] in the Pipfile pipenv hashes the indexes of the "
                "locking machine's pip configuration. Every package the Pipfile names is locked, "
                "but a changed version constraint would go unnoticed; add a [[source]] to the "
                "Pipfile to make the check exact."
            ]
    raise UserError(
        LOCK,
        "is out of date: its _meta.hash does not match the Pipfile.",
        field="_meta.hash.sha256",
        fix=f"Run `{LOCK_COMMAND}` and commit the new Pipfile.lock.",
    )


def _unlocked_names(data: dict[str, Any], lock: Node) -> list[str]:
    doc = Node(data, "Pipfile")
    pairs = [("packages", "default"), ("dev-packages", "develop")]
    pairs += [(c, c) for c in data if c not in _NOT_CATEGORIES]
    missing = []
    for section, locked in pairs:
        have = {canonicalize_name(n) for n, _ in lock.table(locked).items()}
        missing += [n for n, _ in doc.table(section).items() if canonicalize_name(n) not in have]
    return missing


def _check_pipfile(doc: Node) -> None:
    """The Pipfile as written, validated part by part with plette's models so that a wrong
    value is named by its key path (plette's messages do not say where); what is read here is
    typed first. The hash reads the package tables as written."""
    from plette.models import Package, Pipenv, Requires, Script, Source

    for source in doc.tables("source"):
        source.opt_text("name")
        source.text("url")
        # plette requires a name; pipenv up to 2022.1.8 did not (it finds an index by url).
        _validate(source, Source, _named(source.as_table()))
    for key in ("python_version", "python_full_version"):
        doc.table("requires").opt_text(key)
    _validate(doc.table("requires"), Requires)
    _validate(doc.table("pipenv"), Pipenv)
    for _, script in doc.table("scripts").items():
        _validate(script, Script)
    for section, _ in doc.items():
        if section not in _NOT_CATEGORIES or section in ("packages", "dev-packages"):
            for _, spec in doc.table(section).items():
                _validate(spec, Package)


def _validate(node: Node, model: Any, value: Any = None) -> None:
    from plette.models import DataValidationError

    try:
        model.validate(node.value if value is None else value)
    except DataValidationError as exc:
        raise node.error(f"{exc}".rstrip(".") + ".") from None


def _named(source: dict[str, Any]) -> dict[str, Any]:
    """A [[source]] as plette accepts it: one without a name gets the one pipenv 2022.1.8
    gives an index it adds (`Project.src_name_from_url`: the host without its last label)."""
    if "name" in source:
        return source
    host = urlsplit(str(source.get("url", ""))).hostname or ""
    return {"name": host.rpartition(".")[0].replace(".", "") or "index", **source}


def _unnamed(written: dict[str, Any]) -> list[int]:
    sources = written.get("source", [])
    return [i for i, s in enumerate(sources) if isinstance(s, dict) and "name" not in s]


def _unnamed_source_warnings(written: dict[str, Any]) -> list[str]:
    return [
        f"Pipfile: source[{i}] has no `name`: read as pipenv 2022.1.8 and before did (its "
        "hash matches), but later pipenv releases refuse this Pipfile; add a name to it."
        for i in _unnamed(written)
    ]


def _load_pipfile(root: Path, written: dict[str, Any]) -> Any:
    import plette  # only Pipenv projects pay for it (and tomlkit behind it)
    from plette.models import DataValidationError
    from tomlkit.exceptions import TOMLKitError

    try:
        if _unnamed(written):  # plette's load would refuse what the old pipenv accepted
            sources = [_named(s) for s in written["source"]]
            return plette.Pipfile({**written, "source": sources})
        return plette.Pipfile.load(io.StringIO(fs.read_text(root / "Pipfile")))
    except (DataValidationError, TOMLKitError) as exc:
        raise UserError("Pipfile", f"cannot be read: {exc}".rstrip(".") + ".") from None


def _pipfile_as_written(root: Path) -> dict[str, Any]:
    # plette's model adds a default [[source]] on load; the hash must know whether one is written.
    try:
        return tomllib.loads(fs.read_text(root / "Pipfile"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError("Pipfile", f"cannot be read: {exc}.") from None


def _load_lock(path: Path) -> Node:
    fix = f"Run `{LOCK_COMMAND}` to rewrite it."
    try:
        data = json.loads(fs.read_text(path))
    except json.JSONDecodeError as exc:
        raise UserError(
            LOCK, f"is not valid JSON (line {exc.lineno}: {exc.msg}).", fix=fix
        ) from None
    return Node(data, LOCK, fix=fix)


def _pins(pipfile: Node) -> list[Pin]:
    requires = pipfile.table("requires")
    for key in ("python_full_version", "python_version"):
        if requires.has(key):
            source = f"Pipfile: requires.{key}"
            return [Pin(minor_of(str(requires.text(key)), source), source)]
    return []


def _indexes(pipfile: Node, where: str) -> list[Index]:
    out = []
    for source in pipfile.tables("source"):
        url = str(source.text_or("url", ""))  # str(): plette's strings are tomlkit's
        check_url_credentials(url, where)
        out.append(Index(name=str(source.text_or("name", "")), url=url, source=where))
    return out


def _locked(name: str, entry: Node) -> LockedPackage:
    version = entry.opt_text("version")
    source = Source.REGISTRY
    if entry.has("git") or entry.has("hg") or entry.has("svn"):
        source = Source.VCS
    elif entry.has("file") or entry.has("path"):
        source = Source.PATH if entry.has("path") else Source.URL
    return LockedPackage(
        name=canonicalize_name(name),
        version=version.removeprefix("==") if version is not None else None,
        marker=entry.opt_text("markers"),
        hashes=tuple(entry.texts("hashes")),
        source=source,
        extras=tuple(sorted(entry.texts("extras"))),
        path=entry.text("path") if source is Source.PATH else None,
    )


def _unlocked_packages(pipfile: Node) -> list[LockedPackage]:
    return [
        LockedPackage(name=canonicalize_name(str(name)), version=None)
        for name, _ in pipfile.table("packages").items()
    ]
