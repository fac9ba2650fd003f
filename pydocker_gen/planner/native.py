"""Which locked packages compile, and which Debian packages they need, per release.

Knowledge lives in ``data/native.toml`` (see docs/native-deps.md); wheel availability comes
from the lock's file names when it lists them (``packaging.tags``), else from the table.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from packaging.markers import InvalidMarker, Marker

from pydocker_gen.facts import LockedPackage, Source

if TYPE_CHECKING:
    from packaging.tags import Tag

TABLE = Path(__file__).resolve().parent.parent / "data" / "native.toml"
TABLE_JSON = TABLE.with_suffix(".json")
ARCHES = {"amd64": "x86_64", "arm64": "aarch64"}


class Target(NamedTuple):
    """One platform the image is built for."""

    python: str  # "3.12"
    release: str  # "trixie"
    glibc: tuple[int, int]
    arch: str  # "x86_64" or "aarch64"

    @property
    def marker_env(self) -> dict[str, str]:
        return {
            "python_version": self.python,
            "python_full_version": f"{self.python}.0",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "implementation_version": f"{self.python}.0",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "platform_machine": self.arch,
            "platform_release": "",
            "platform_version": "",
            "extra": "",
        }


class Knowledge(NamedTuple):
    """A row of the table for one project."""

    name: str
    wheels: Mapping[str, tuple[str, ...]]
    languages: tuple[str, ...]
    build: Mapping[str, tuple[str, ...]]
    runtime: Mapping[str, tuple[str, ...]]
    source_runtime: Mapping[str, tuple[str, ...]]
    runtime_unless: tuple[str, ...]
    note: str

    def has_wheel(self, target: Target) -> bool:
        pythons = self.wheels.get(target.arch, ())
        return "*" in pythons or target.python in pythons


class Table(NamedTuple):
    toolchains: Mapping[str, Mapping[str, tuple[str, ...]]]
    glibc: Mapping[str, tuple[int, int]]
    packages: Mapping[str, Knowledge]


def _load_table() -> dict[str, Any]:
    """The table as shipped: ``native.json``, generated from ``native.toml`` (the file people
    edit) and kept equal to it by a test. tomllib is pure Python and parsing the TOML took
    about 50 ms of every `plan`; the JSON parse takes under 1 ms."""
    return json.loads(TABLE_JSON.read_bytes())  # type: ignore[no-any-return]


def _per_release(value: Any) -> dict[str, tuple[str, ...]]:
    return {str(k): tuple(v) for k, v in (value or {}).items()}


@functools.cache
def table() -> Table:
    data = _load_table()
    packages = {
        name: Knowledge(
            name=name,
            wheels={k: tuple(v) for k, v in row.get("wheels", {}).items()},
            languages=tuple(row.get("languages", ("c",))),
            build=_per_release(row.get("build")),
            runtime=_per_release(row.get("runtime")),
            source_runtime=_per_release(row.get("source_runtime")),
            runtime_unless=tuple(row.get("runtime_unless", ())),
            note=str(row.get("note", "")),
        )
        for name, row in data["packages"].items()
    }
    glibc = {
        release: tuple(int(x) for x in str(info["glibc"]).split("."))
        for release, info in data["releases"].items()
    }
    toolchains = {lang: _per_release(v) for lang, v in data["toolchains"].items()}
    return Table(toolchains=toolchains, glibc=glibc, packages=packages)  # type: ignore[arg-type]


def arch_of(platform: str) -> str:
    """``linux/arm64`` -> ``aarch64``: the machine name wheels and markers use."""
    name = platform.removeprefix("linux/")
    return ARCHES.get(name, name)


def target(python: str, release: str, platform: str) -> Target:
    arch = arch_of(platform)
    return Target(python=python, release=release, glibc=table().glibc[release], arch=arch)


@functools.cache
def supported_tags(t: Target) -> frozenset[Tag]:
    # packaging.tags (with logging, platform, subprocess) loads only for locks that list files.
    from packaging.tags import compatible_tags, cpython_tags

    major, minor = (int(x) for x in t.python.split("."))
    platforms = [f"manylinux_{t.glibc[0]}_{n}_{t.arch}" for n in range(t.glibc[1], 16, -1)]
    platforms += [f"manylinux2014_{t.arch}", f"manylinux2010_{t.arch}", f"manylinux1_{t.arch}"]
    tags = list(cpython_tags((major, minor), platforms=platforms))
    tags += list(
        compatible_tags((major, minor), interpreter=f"cp{major}{minor}", platforms=platforms)
    )
    return frozenset(tags)


def applies(pkg: LockedPackage, t: Target) -> bool:
    """Whether the package's environment marker selects it on ``t``."""
    if not pkg.marker:
        return True
    try:
        return Marker(pkg.marker).evaluate(t.marker_env)
    except InvalidMarker:
        return True


def wheel_fits(files: Iterable[str], t: Target) -> bool | None:
    """True/False when the lock lists wheel files, None when it lists none at all."""
    wheels = [f for f in files if f.endswith(".whl")]
    if not wheels and not any(f.endswith((".tar.gz", ".zip", ".tar.bz2")) for f in files):
        return None
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    tags = supported_tags(t)
    for f in wheels:
        try:
            _, _, _, wheel_tags = parse_wheel_filename(f.rsplit("/", 1)[-1])
        except InvalidWheelFilename:
            continue
        if wheel_tags & tags:
            return True
    return False


class Need(NamedTuple):
    """What one package needs on one target."""

    name: str
    version: str | None
    compiles: bool
    why: str
    languages: tuple[str, ...]
    build: tuple[str, ...]
    runtime: tuple[str, ...]
    unknown: bool  # compiles, and the table does not know its system packages


# Build backends that only package Python files: a local folder built by one needs no
# compiler (setuptools, scikit-build, meson-python, maturin... may compile).
PURE_BACKENDS: frozenset[str] = frozenset(
    {
        "hatchling.build",
        "flit_core.buildapi",
        "pdm.backend",
        "poetry.core.masonry.api",
        "uv_build",
    }
)


def assess(pkg: LockedPackage, t: Target, present: frozenset[str]) -> Need:
    """Decide whether ``pkg`` compiles on ``t`` and what it needs at build and run time."""
    row = table().packages.get(pkg.name)
    fits = wheel_fits(pkg.files, t)
    where = f"CPython {t.python} on glibc {t.glibc[0]}.{t.glibc[1]}"
    if pkg.source is Source.VCS:
        compiles, why = True, "installed from a VCS checkout"
    elif pkg.source is Source.PATH and pkg.backend in PURE_BACKENDS:
        compiles, why = False, f"a local folder built by {pkg.backend} (pure Python)"
    elif pkg.source in (Source.URL, Source.PATH) and not any(f.endswith(".whl") for f in pkg.files):
        compiles, why = True, "installed from a source URL"
    elif fits is not None:
        compiles = not fits
        why = f"the lock lists no wheel for {where}" if compiles else "a wheel fits"
    elif row is not None:
        compiles = not row.has_wheel(t)
        why = f"no wheel for {where} on the index (knowledge table)" if compiles else "a wheel fits"
    else:
        compiles, why = False, "assumed to have a wheel (hash-only lock, not in the table)"
    runtime: tuple[str, ...] = ()
    build: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    if row is not None:
        if not (set(row.runtime_unless) & present):
            runtime = row.runtime.get(t.release, ())
        if compiles:
            runtime += row.source_runtime.get(t.release, ())
            build = row.build.get(t.release, ())
            languages = row.languages
    elif compiles and pkg.source is not Source.VCS:
        languages = ("c",)
    if pkg.source is Source.VCS:
        languages = (*languages, "git")
    unknown = compiles and row is None and pkg.source is not Source.VCS
    return Need(pkg.name, pkg.version, compiles, why, languages, build, runtime, unknown)


def toolchain(language: str, release: str) -> tuple[str, ...]:
    return table().toolchains.get(language, {}).get(release, ())
