"""Pipenv: Pipfile (read with plette) and Pipfile.lock, including ``_meta.hash`` freshness."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

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
    meta = lock.get("_meta", {})
    expected = meta.get("hash", {}).get("sha256")
    actual = pipfile.get_hash().value
    if expected != actual:
        raise UserError(
            "Pipfile.lock",
            "is out of date: its _meta.hash does not match the Pipfile.",
            field="_meta.hash.sha256",
            fix=f"Run `{LOCK_COMMAND}` and commit the new Pipfile.lock.",
        )
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
    )


def _load_pipfile(root: Path) -> Any:
    import plette  # only Pipenv projects pay for it (and tomlkit behind it)

    try:
        return plette.Pipfile.load(io.StringIO(fs.read_text(root / "Pipfile")))
    except Exception as exc:  # plette raises tomlkit and validation errors of several types
        raise UserError("Pipfile", f"cannot be read: {exc}".rstrip(".") + ".") from None


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
