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

from pydocker_gen import markers
from pydocker_gen.facts import LockedPackage, Source
from pydocker_gen.planner.model import Reason
from pydocker_gen.reader.online import RECORD, file_name, is_sdist, is_wheel

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


class Knowledge(NamedTuple):
    """A row of the table for one project."""

    name: str
    wheels: Mapping[str, tuple[str, ...]]
    languages: tuple[str, ...]
    sdist: str  # "pure", "optional" (native build that falls back to pure), "compiles", "none"
    release: str | None  # the PyPI release ``wheels`` describes (the latest when verified)
    build: Mapping[str, tuple[str, ...]]
    runtime: Mapping[str, tuple[str, ...]]
    source_runtime: Mapping[str, tuple[str, ...]]
    runtime_unless: tuple[str, ...]
    note: str

    def has_wheel(self, target: Target) -> bool:
        pythons = self.wheels.get(target.arch, ())
        return "*" in pythons or target.python in pythons


class RuntimeData(NamedTuple):
    """A Debian package of data files (no library) that locked code reads at run time."""

    debian: str
    files: tuple[str, ...]
    releases: frozenset[str]  # where it is needed
    when_locked: frozenset[str]  # any of these in the lock brings it in
    why: str


class Table(NamedTuple):
    toolchains: Mapping[str, Mapping[str, tuple[str, ...]]]
    glibc: Mapping[str, tuple[int, int]]
    packages: Mapping[str, Knowledge]
    runtime_data: tuple[RuntimeData, ...]


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
            sdist=str(row.get("sdist", "compiles")),
            release=str(row["release"]) if "release" in row else None,
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
    runtime_data = tuple(
        RuntimeData(
            debian=name,
            files=tuple(row["files"]),
            releases=frozenset(row["releases"]),
            when_locked=frozenset(row["when_locked"]),
            why=str(row["why"]),
        )
        for name, row in data.get("runtime_data", {}).items()
    )
    return Table(toolchains=toolchains, glibc=glibc, packages=packages, runtime_data=runtime_data)  # type: ignore[arg-type]


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
    return markers.applies(pkg.marker, t.python, t.arch, pkg.marker_groups)


def wheel_fits(files: Iterable[str], t: Target) -> bool | None:
    """True/False when the lock lists distribution files, None when it lists none at all.

    Every lock format's file names and URLs come through here, decoded by ``file_name``.
    """
    names = [file_name(f) for f in files]
    wheels = [f for f in names if is_wheel(f)]
    if not wheels and not any(is_sdist(f) for f in names):
        return None
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    tags = supported_tags(t)
    for f in wheels:
        try:
            _, _, _, wheel_tags = parse_wheel_filename(f)
        except InvalidWheelFilename:
            continue
        if wheel_tags & tags:
            return True
    return False


class Need(NamedTuple):
    """What one package needs on one target."""

    name: str
    version: str | None
    compiles: bool  # a toolchain builds it
    why: str
    pure_build: str | None  # built from its sdist without a compiler: why that is known
    languages: tuple[str, ...]
    build: tuple[str, ...]
    runtime: tuple[str, ...]
    unknown: bool  # compiles, and the table does not know its system packages
    guessed: bool = False  # decided on the table's wheel facts for another release

    @property
    def from_source(self) -> bool:
        return self.compiles or self.pure_build is not None


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
    guessed = False
    where = f"CPython {t.python} on glibc {t.glibc[0]}.{t.glibc[1]}"
    if pkg.source is Source.VCS:
        from_source, why = True, "installed from a VCS checkout"
    elif pkg.source is Source.PATH and pkg.backend in PURE_BACKENDS:
        from_source, why = False, f"a local folder built by {pkg.backend} (pure Python)"
    elif pkg.source in (Source.URL, Source.PATH) and not any(is_wheel(f) for f in pkg.files):
        from_source, why = True, "installed from a source URL"
    elif fits is not None:
        from_source = not fits
        why = f"the lock lists no wheel for {where}" if from_source else "a wheel fits"
    elif row is not None:
        from_source = not row.has_wheel(t)
        # The lock names no files: the table's facts are about its release, a guess for
        # another one (a project that never publishes wheels, like uwsgi, is no guess).
        publishes = any(row.wheels.get(arch) for arch in ARCHES.values())
        guessed = (
            publishes and pkg.version is not None and not same_release(pkg.version, row.release)
        )
        if from_source:
            why = f"no wheel for {where} on the index (knowledge table)"
        else:
            why = "a wheel fits"
        if guessed:
            why = _guess_why(pkg, row, where, from_source)
    else:
        from_source, why = False, "assumed to have a wheel (hash-only lock, not in the table)"
    pure = pure_sdist(pkg, row) if from_source and pkg.source is Source.REGISTRY else None
    compiles = from_source and pure is None
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
    pure_build = f"{why}; {pure}" if pure is not None else None
    return Need(
        pkg.name,
        pkg.version,
        compiles,
        why,
        pure_build,
        languages,
        build,
        runtime,
        unknown,
        guessed=guessed,
    )


def same_release(version: str | None, release: str | None) -> bool:
    """Whether the locked version is the release the table's wheel facts describe."""
    if version is None or release is None:
        return False
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) == Version(release)
    except InvalidVersion:
        return False


def _guess_why(pkg: LockedPackage, row: Knowledge, where: str, compiles: bool) -> str:
    """The lock names no files: the table's wheel facts are a guess for this version."""
    of = f"{row.release}, " if row.release else ""
    fact = f"no wheel for {where}" if compiles else f"a wheel for {where}"
    return (
        f"{fact} in {of}its latest release when the table was verified (knowledge table); "
        f"the lock lists no file names, so whether {pkg.version} has one is a guess from "
        "another release (`plan --online` looks it up)"
    )


def guessed_compiles(needs: Iterable[tuple[str, Need]]) -> str | None:
    """One warning naming the packages whose wheel or compile is a guess, or None."""
    compiles = sorted({n.name for _, n in needs if n.guessed and n.compiles})
    wheels = sorted({n.name for _, n in needs if n.guessed and not n.from_source} - set(compiles))
    if not compiles and not wheels:
        return None
    parts = []
    if compiles:
        parts.append(f"{', '.join(compiles)} (planned to compile)")
    if wheels:
        parts.append(f"{', '.join(wheels)} (planned from wheels)")
    return (
        f"The lock lists no file names, so for {' and '.join(parts)} the knowledge table's "
        "wheel facts, which describe their latest releases, are a guess for the locked "
        "versions. Run `pydocker-gen plan --online` once: it looks up the locked versions' files "
        f"and records them in {RECORD} (commit it), which later plans and `check` use offline."
    )


def pure_sdist(pkg: LockedPackage, row: Knowledge | None) -> str | None:
    """Why building ``pkg`` from its sdist needs no compiler, or None when it may compile.

    The knowledge table decides for the projects it lists, whatever lock names them; else
    the verdict ``--online`` recorded after opening the locked sdist.
    """
    if row is not None:
        if row.sdist == "pure":
            return "knowledge table: its sdist holds no code to compile"
        if row.sdist == "optional":
            return "knowledge table: its native build is optional and falls back to pure Python"
        return None
    if pkg.sdist_pure:
        return f"--online opened its sdist: {pkg.sdist_why}"
    return None


# Appended to "every (locked) package installs from a wheel" when some build from pure sdists.
OR_PURE = " or builds from a pure-Python sdist"


def pure_builds(needs: Iterable[tuple[str, Need]]) -> list[Reason]:
    """One reason per package built from its sdist without a compiler (on some target)."""
    seen: dict[str, Need] = {}
    for _, need in needs:
        if need.pure_build is not None:
            seen.setdefault(need.name, need)
    return [
        Reason(
            topic=f"build {name}",
            decision=need.version or "unpinned",
            why=f"builds from source, pure Python: no compiler ({need.pure_build})",
        )
        for name, need in sorted(seen.items())
    ]


def runtime_data(present: frozenset[str], release: str) -> tuple[tuple[str, ...], list[Reason]]:
    """Debian data packages the final image needs because of what is locked, with reasons."""
    chosen = [d for d in table().runtime_data if d.when_locked & present and release in d.releases]
    reasons = [
        Reason(
            topic=f"runtime data {d.debian}",
            decision=", ".join(d.files),
            why=f"{', '.join(sorted(d.when_locked & present))} locked: {d.why}",
        )
        for d in chosen
    ]
    return tuple(d.debian for d in chosen), reasons


def toolchain(language: str, release: str) -> tuple[str, ...]:
    return table().toolchains.get(language, {}).get(release, ())
