"""Pipenv: Pipfile (read with plette) and Pipfile.lock, including ``_meta.hash`` freshness."""

from __future__ import annotations

import hashlib
import io
import json
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from packaging.utils import canonicalize_name

from pydocker_gen import fs
from pydocker_gen.errors import UserError
from pydocker_gen.facts import Index, LockedPackage, Source
from pydocker_gen.reader.common import ManagerRead, all_hashed, target_pythons
from pydocker_gen.reader.python_version import Pin, minor_of
from pydocker_gen.reader.requirements import check_url_credentials

LOCK_COMMAND = "pipenv lock"


def read(root: Path, *, allow_unlocked: bool) -> ManagerRead:
    pipfile = _load_pipfile(root)
    lock_path = root / "Pipfile.lock"
    pins = _pins(pipfile)
    indexes = _indexes(pipfile, "Pipfile")
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
    warnings = _check_fresh(_pipfile_as_written(root), lock)
    packages = [_locked(name, entry) for name, entry in sorted(lock.get("default", {}).items())]
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


def _source_candidates(data: dict[str, Any], lock: dict[str, Any]) -> list[list[Any]]:
    if "source" in data:
        return [data["source"]]
    # Without [[source]], pipenv hashes its default sources: PyPI, or the index-url of the
    # pip configuration of the machine that locked, which it records in _meta.sources.
    recorded = lock.get("_meta", {}).get("sources")
    return [[PYPI_SOURCE], *([recorded] if recorded and recorded != [PYPI_SOURCE] else [])]


def _check_fresh(data: dict[str, Any], lock: dict[str, Any]) -> list[str]:
    """Warnings, or a UserError when no pipenv generation's hash matches the lock's."""
    expected = lock.get("_meta", {}).get("hash", {}).get("sha256")
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
        "Pipfile.lock",
        "is out of date: its _meta.hash does not match the Pipfile.",
        field="_meta.hash.sha256",
        fix=f"Run `{LOCK_COMMAND}` and commit the new Pipfile.lock.",
    )


def _unlocked_names(data: dict[str, Any], lock: dict[str, Any]) -> list[str]:
    pairs = [("packages", "default"), ("dev-packages", "develop")]
    pairs += [(c, c) for c in data if c not in _NOT_CATEGORIES]
    missing = []
    for section, locked in pairs:
        have = {canonicalize_name(str(n)) for n in lock.get(locked, {})}
        missing += [str(n) for n in data.get(section, {}) if canonicalize_name(str(n)) not in have]
    return missing


def _load_pipfile(root: Path) -> Any:
    import plette  # only Pipenv projects pay for it (and tomlkit behind it)

    try:
        return plette.Pipfile.load(io.StringIO(fs.read_text(root / "Pipfile")))
    except Exception as exc:  # plette raises tomlkit and validation errors of several types
        raise UserError("Pipfile", f"cannot be read: {exc}".rstrip(".") + ".") from None


def _pipfile_as_written(root: Path) -> dict[str, Any]:
    # plette's model adds a default [[source]] on load; the hash must know whether one is written.
    try:
        return tomllib.loads(fs.read_text(root / "Pipfile"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError("Pipfile", f"cannot be read: {exc}.") from None


def _load_lock(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(fs.read_text(path))
    except json.JSONDecodeError as exc:
        raise UserError(
            "Pipfile.lock",
            f"is not valid JSON (line {exc.lineno}: {exc.msg}).",
            fix=f"Run `{LOCK_COMMAND}` to rewrite it.",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("default", {}), dict):
        raise UserError("Pipfile.lock", "has no 'default' table.", field="default")
    return data


def _pins(pipfile: Any) -> list[Pin]:
    requires = pipfile._data.get("requires", {})
    for key in ("python_full_version", "python_version"):
        if key in requires:
            source = f"Pipfile: requires.{key}"
            return [Pin(minor_of(str(requires[key]), source), source)]
    return []


def _indexes(pipfile: Any, where: str) -> list[Index]:
    out = []
    for source in pipfile._data.get("source", []):
        url = str(source.get("url", ""))
        check_url_credentials(url, where)
        out.append(Index(name=str(source.get("name", "")), url=url, source=where))
    return out


def _locked(name: str, entry: dict[str, Any]) -> LockedPackage:
    version = entry.get("version")
    source = Source.REGISTRY
    if "git" in entry or "hg" in entry or "svn" in entry:
        source = Source.VCS
    elif "file" in entry or "path" in entry:
        source = Source.PATH if "path" in entry else Source.URL
    return LockedPackage(
        name=canonicalize_name(name),
        version=version.removeprefix("==") if isinstance(version, str) else None,
        marker=entry.get("markers"),
        hashes=tuple(entry.get("hashes", ())),
        source=source,
        extras=tuple(sorted(entry.get("extras", ()))),
        path=str(entry["path"]) if source is Source.PATH else None,
    )


def _unlocked_packages(pipfile: Any) -> list[LockedPackage]:
    return [
        LockedPackage(name=canonicalize_name(str(name)), version=None)
        for name in pipfile._data.get("packages", {})
    ]
