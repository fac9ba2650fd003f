"""Opt-in look-ups on the package index, recorded for offline use.

``--online`` asks the index's PEP 691 JSON API which files carry a hash-only lock's hashes
(Pipfile.lock, hashed requirements), and opens the sdist of every package published as an
sdist only, to tell pure-Python ones (built without a compiler) from those that compile. The
answers are cached on disk and recorded in ``pydocker-gen.files.json`` beside the lock.
Readers use that record offline, so ``check`` sees the same result whether or not the network
answers, and the Dockerfile never depends on the network.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from pydocker_gen import fs
from pydocker_gen.errors import UserError
from pydocker_gen.facts import LockedPackage, Source

RECORD = "pydocker-gen.files.json"
INDEX = "https://pypi.org/simple"
ACCEPT = "application/vnd.pypi.simple.v1+json"
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")

if TYPE_CHECKING:
    import tarfile
    from collections.abc import Callable


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pydocker-gen" / "simple"


def file_name(file: str) -> str:
    """The distribution file name a lock entry stands for: the last path segment of a URL or
    path, percent-decoded (indexes quote local versions: ``torch-2.13.0%2Bcpu-...whl``)."""
    return unquote(urlsplit(file).path.rsplit("/", 1)[-1])


def is_sdist(file: str) -> bool:
    return file_name(file).endswith(SDIST_SUFFIXES)


def is_wheel(file: str) -> bool:
    return file_name(file).endswith(".whl")


# ---------------------------------------------------------------------------------------------
# Is an sdist pure Python? Decided from its member names and build configuration, never by
# running anything. The same function verifies the knowledge table (tests/knowledge).
# ---------------------------------------------------------------------------------------------

# Sources that a build compiles: C, C++, Cython, Rust, Fortran, CUDA, Objective-C.
COMPILED_SUFFIXES = (
    ".c", ".cc", ".cpp", ".cxx", ".c++", ".pyx", ".rs", ".f", ".f77", ".f90", ".f95", ".for",
    ".cu", ".m", ".mm",
)  # fmt: skip
# Files that drive a native build system.
BUILD_FILES = frozenset({"Cargo.toml", "meson.build", "CMakeLists.txt", "binding.gyp"})
# What a setup.py, setup.cfg or pyproject.toml says when its build compiles something.
BUILD_WORDS = re.compile(
    r"ext_modules|Extension\s*\(|cffi_modules|setuptools[-_]rust|RustExtension|maturin"
    r"|scikit[-_]build|skbuild|meson[-_]python|mesonpy|cythonize|Cython\.|pybind11|mypyc"
    r"|build_ext|build[-_]script"
)
CONFIG_FILES = frozenset({"setup.py", "setup.cfg", "pyproject.toml"})
# Folders whose sources are data, not part of the build: pycparser 2.19 ships C files to
# parse in examples/ and tests/. A build that compiles them still names an extension in its
# configuration, which is checked anyway.
DATA_FOLDERS = frozenset({"examples", "example", "tests", "test", "testing", "docs", "doc"})
CONFIG_LIMIT = 1 << 20  # a larger build configuration is read up to this many bytes


class SdistVerdict(NamedTuple):
    pure: bool
    why: str


def _members(name: str, data: bytes) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, reader of its bytes) for every regular file of an archive held in memory;
    nothing is extracted (and the disk is read only through ``fs``)."""
    import io  # only when inspecting: plain runs never open archives
    import tarfile
    import zipfile

    if name.endswith(".zip"):
        z = zipfile.ZipFile(io.BytesIO(data))
        for info in z.infolist():
            if not info.filename.endswith("/"):
                yield info.filename, functools.partial(z.read, info)
        return
    if name.endswith((".tar.gz", ".tgz")):
        import gzip

        data = gzip.decompress(data)
    elif name.endswith(".tar.bz2"):
        import bz2

        data = bz2.decompress(data)
    t = tarfile.TarFile(fileobj=io.BytesIO(data))
    for member in t:
        if member.isreg():
            yield member.name, functools.partial(_tar_read, t, member)


def _tar_read(t: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    f = t.extractfile(member)
    return f.read(CONFIG_LIMIT) if f is not None else b""


def sdist_verdict(archive: Path) -> SdistVerdict:
    """Whether building this sdist needs a compiler: its sources and its build configuration."""
    import tarfile
    import zipfile
    import zlib

    try:
        for name, read in _members(archive.name, fs.read_bytes(archive)):
            parts = name.split("/")
            base = parts[-1]
            if base.lower().endswith(COMPILED_SUFFIXES) and not DATA_FOLDERS & set(parts[1:-1]):
                return SdistVerdict(False, f"it contains {name}")
            if base in BUILD_FILES:
                return SdistVerdict(False, f"it contains {name}")
            # The project's own configuration sits at the top of the archive's one folder.
            if base in CONFIG_FILES and len(parts) <= 2:
                found = BUILD_WORDS.search(read().decode("utf-8", "replace"))
                if found:
                    return SdistVerdict(False, f"{base} mentions {found.group(0)}")
    except (OSError, EOFError, zlib.error, tarfile.TarError, zipfile.BadZipFile) as exc:
        return SdistVerdict(False, f"it cannot be opened ({exc})")
    return SdistVerdict(
        True, "no C/C++/Cython/Rust/Fortran sources and no extension build in its configuration"
    )


# ---------------------------------------------------------------------------------------------
# The record
# ---------------------------------------------------------------------------------------------


def _key(pkg: LockedPackage) -> str:
    return f"{pkg.name}=={pkg.version}"


class Record(NamedTuple):
    files: dict[str, list[str]]  # name==version -> file names (hash-only locks)
    sdists: dict[str, dict[str, Any]]  # name==version -> {file, sha256, pure, why}


def _record(root: Path) -> tuple[Record, str | None]:
    path = root / RECORD
    if not fs.is_file(path):
        return Record({}, {}), None
    try:
        data = json.loads(fs.read_text(path))
        files = {str(k): [str(f) for f in v] for k, v in data.get("files", {}).items()}
        sdists = {
            str(k): {
                "file": str(v["file"]),
                "sha256": str(v["sha256"]),
                "pure": bool(v["pure"]),
                "why": str(v["why"]),
            }
            for k, v in data.get("sdists", {}).items()
        }
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError) as exc:
        what = exc.msg if isinstance(exc, json.JSONDecodeError) else f"unexpected content: {exc}"
        raise UserError(
            RECORD,
            f"is not a valid record ({what}).",
            fix="Delete it and run `pydocker-gen generate --online`.",
        ) from None
    return Record(files, sdists), data.get("index")


def load_record(root: Path) -> dict[str, list[str]]:
    return _record(root)[0].files


def apply_record(root: Path, packages: Iterable[LockedPackage]) -> list[LockedPackage]:
    """Give hash-only packages the file names an earlier look-up recorded, and sdist-only
    packages the verdict of the inspection of their sdist."""
    record = _record(root)[0]
    out = []
    for p in packages:
        key = _key(p)
        if not p.files and key in record.files:
            p = replace(p, files=tuple(record.files[key]))
        verdict = record.sdists.get(key)
        if verdict is not None and verdict["file"] in {file_name(f) for f in p.files}:
            p = replace(p, sdist_pure=verdict["pure"], sdist_why=verdict["why"])
        out.append(p)
    return out


def _write(root: Path, index: str, record: Record) -> None:
    data: dict[str, Any] = {"index": index, "files": dict(sorted(record.files.items()))}
    if record.sdists:
        data["sdists"] = dict(sorted(record.sdists.items()))
    tmp = root / f".{RECORD}.tmp"
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(root / RECORD)


# ---------------------------------------------------------------------------------------------
# The network (only with --online)
# ---------------------------------------------------------------------------------------------


def _fetch(name: str, index: str, timeout: float) -> dict[str, Any]:
    import urllib.request  # only with --online: keeps plain runs from loading http and ssl

    cached = cache_dir() / f"{name}.json"
    if fs.is_file(cached):
        return json.loads(fs.read_text(cached))  # type: ignore[no-any-return]
    request = urllib.request.Request(f"{index}/{name}/", headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = json.loads(response.read().decode())
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(data), encoding="utf-8")
    return data  # type: ignore[no-any-return]


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _download(url: str, sha256: str, timeout: float) -> Path:
    """The sdist with this sha256, from the disk cache or the index; checked either way."""
    import urllib.request

    cached = cache_dir() / "sdists" / sha256 / file_name(url)
    if fs.is_file(cached) and _sha256(fs.read_bytes(cached)) == sha256:
        return cached
    with urllib.request.urlopen(url, timeout=timeout) as response:
        data = response.read()
    got = _sha256(data)
    if got != sha256:
        raise ValueError(f"{file_name(url)} has sha256 {got}, expected {sha256}")
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return cached


def _sdist_only(pkg: LockedPackage) -> bool:
    return (
        pkg.source is Source.REGISTRY
        and pkg.version is not None
        and any(is_sdist(f) for f in pkg.files)
        and not any(is_wheel(f) for f in pkg.files)
    )


def _inspect(pkg: LockedPackage, data: dict[str, Any], timeout: float) -> dict[str, Any]:
    sdist = next(file_name(f) for f in pkg.files if is_sdist(f))
    entry = next(
        (f for f in data.get("files", []) if isinstance(f, dict) and f.get("filename") == sdist),
        None,
    )
    if entry is None:
        raise ValueError(f"the index does not list {sdist}")
    sha256 = str(entry.get("hashes", {}).get("sha256", ""))
    locked = {h.split(":", 1)[1] for h in pkg.hashes if h.startswith("sha256:")}
    if locked and sha256 not in locked:
        raise ValueError(f"the index's {sdist} is not the locked file (sha256 {sha256})")
    if not sha256:
        raise ValueError(f"the index gives no sha256 for {sdist}")
    url = urljoin(str(data.get("_url", "")), str(entry["url"]))
    verdict = sdist_verdict(_download(url, sha256, timeout))
    return {"file": sdist, "sha256": sha256, "pure": verdict.pure, "why": verdict.why}


def _files_of(pkg: LockedPackage, listed: Any) -> list[str]:
    """The index's files for the locked package: those carrying its hashes, or for a lock
    without hashes those of its pinned version."""
    entries = [f for f in listed if isinstance(f, dict) and isinstance(f.get("filename"), str)]
    if pkg.hashes:
        wanted = {h.split(":", 1)[-1] for h in pkg.hashes}
        return sorted(f["filename"] for f in entries if f.get("hashes", {}).get("sha256") in wanted)
    try:
        pinned = Version(str(pkg.version))
    except InvalidVersion:
        return []
    return sorted(f["filename"] for f in entries if _version_of(f["filename"]) == pinned)


def _version_of(filename: str) -> Version | None:
    try:
        if is_wheel(filename):
            return parse_wheel_filename(file_name(filename))[1]
        if is_sdist(filename):
            return parse_sdist_filename(file_name(filename))[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def look_up(
    root: Path, packages: Iterable[LockedPackage], index: str = INDEX, timeout: float = 15.0
) -> tuple[int, list[str]]:
    """Record the file names of every hash-only package and the verdict on every sdist-only
    package; return (learned, problems)."""
    record, _ = _record(root)
    problems: list[str] = []
    learned = 0
    for pkg in packages:
        key = _key(pkg)
        if not pkg.files and key in record.files:
            pkg = replace(pkg, files=tuple(record.files[key]))
        # A lock that names no files: its hashes say which, else the pinned version does.
        wants_files = not pkg.files and pkg.version is not None and pkg.source is Source.REGISTRY
        if not wants_files and not (_sdist_only(pkg) and key not in record.sdists):
            continue
        try:
            data = {**_fetch(pkg.name, index, timeout), "_url": f"{index}/{pkg.name}/"}
        except (TimeoutError, OSError, ValueError) as exc:  # URLError is an OSError
            problems.append(f"{pkg.name}: {exc}")
            continue
        if wants_files:
            files = _files_of(pkg, data.get("files", []))
            if not files:
                continue
            record.files[key] = files
            pkg = replace(pkg, files=tuple(files))
            learned += 1
        if _sdist_only(pkg) and key not in record.sdists:
            try:
                record.sdists[key] = _inspect(pkg, data, timeout)
            except (TimeoutError, OSError, ValueError) as exc:
                problems.append(f"{pkg.name}: {exc}")
                continue
            learned += 1
    if learned:
        _write(root, index, record)
    return learned, problems
