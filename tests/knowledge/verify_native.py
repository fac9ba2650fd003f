#!/usr/bin/env python3
"""Re-verify ``pydocker_gen/data/native.toml`` against PyPI and Debian's package lists.

This is a maintainer tool, not a test module (pytest does not collect it: the name does not
match ``test_*.py``). It needs the network (PyPI and deb.debian.org) and, for ``--libs``,
``readelf`` (binutils).

    python tests/knowledge/verify_native.py --apt-update        # once: private apt state
    python tests/knowledge/verify_native.py                     # every row
    python tests/knowledge/verify_native.py psycopg2 lxml       # some rows
    python tests/knowledge/verify_native.py --libs lxml         # + readelf NEEDED of the wheels
    python tests/knowledge/verify_native.py --debian pyicu      # + Debian's own python3-* deps
    python tests/knowledge/verify_native.py --snapshot          # rewrite apt-snapshot.json
    python tests/knowledge/verify_native.py --markdown          # the table as Markdown

For every row it prints the wheel matrix of the latest release on PyPI (which CPython 3.10-3.14
versions have a manylinux wheel usable on bookworm's glibc 2.36, and which only on trixie's 2.41)
and the apt candidate of every Debian package the row names, per release, and flags each
disagreement with the table with ``!!``. The exit status is 1 when anything was flagged.

The apt state is private (``--apt-dir``, default ``~/.cache/pydocker-gen/apt``): one sources list
per release (``<release>``, ``-updates``, ``-security``, plus ``deb-src`` for ``--debian``), an
empty dpkg status file so that packages installed on this host do not show up as candidates, and
the Contents index for mapping sonames to packages (``--libs``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from pydocker_gen.reader import online

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "pydocker_gen" / "data" / "native.toml"
SNAPSHOT = Path(__file__).with_name("apt-snapshot.json")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pydocker-gen"

PYTHONS: tuple[str, ...] = ("3.10", "3.11", "3.12", "3.13", "3.14")
ARCHES: tuple[str, ...] = ("x86_64", "aarch64")
#: glibc minor version of each Debian release (2.X).
RELEASES: dict[str, int] = {"bookworm": 36, "trixie": 41}
PER_RELEASE_KEYS: tuple[str, ...] = ("build", "runtime", "source_runtime")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
MIRROR = "http://deb.debian.org/debian"
SECURITY = "http://deb.debian.org/debian-security"

#: Names that do not exist in one release, kept in the snapshot so tests can assert the renames.
RENAMED: tuple[str, ...] = (
    "libldap-2.5-0",
    "libldap2",
    "libicu72",
    "libicu76",
    "libgdal32",
    "libgdal36",
    "libaio1",
    "libaio1t64",
    "libmagickwand-6.q16-6",
    "libmagickwand-7.q16-10",
    "libmagic1",
    "libmagic1t64",
    "libglib2.0-0",
    "libglib2.0-0t64",
    "libcups2",
    "libcups2t64",
    "libzbar0",
    "libzbar0t64",
    "libmemcached11",
    "libmemcached11t64",
    "libvips42",
    "libvips42t64",
    "libgirepository-1.0-1",
    "libgirepository-2.0-0",
    "libgirepository1.0-dev",
    "libgirepository-2.0-dev",
    "wkhtmltopdf",
    "libpcsclite1",
    "libportaudio2",
    "libexpat1",
    "libodbc2",
    "libodbc1",
    "libhdf5-103-1",
    "libhdf5-310",
    "libgeos-c1v5",
    "libgeos-c1t64",
    "libproj25",
)

#: Sonames present in every official python:X.Y-slim-<release> image (debian:<release>-slim,
#: plus what CPython's extension modules link: OpenSSL, libffi, SQLite, zlib, bz2, lzma,
#: ncurses/readline, uuid, gdbm, libdb). libexpat is NOT there: CPython uses its bundled copy.
BASE_SONAMES: frozenset[str] = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libpthread.so.0",
        "libdl.so.2",
        "librt.so.1",
        "libutil.so.1",
        "libresolv.so.2",
        "libanl.so.1",
        "libcrypt.so.1",
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
        "libstdc++.so.6",
        "libgcc_s.so.1",
        "libz.so.1",
        "libssl.so.3",
        "libcrypto.so.3",
        "libffi.so.8",
        "libsqlite3.so.0",
        "libbz2.so.1.0",
        "liblzma.so.5",
        "libuuid.so.1",
        "libncursesw.so.6",
        "libtinfo.so.6",
        "libreadline.so.8",
        "libgdbm.so.6",
        "libgdbm_compat.so.4",
        "libdb-5.3.so",
        "libsystemd.so.0",
        "libudev.so.1",
        "libzstd.so.1",
        "liblz4.so.1",
        "libpcre2-8.so.0",
        "libgcrypt.so.20",
        "libgpg-error.so.0",
        "libcap.so.2",
        "libselinux.so.1",
        "libblkid.so.1",
        "libmount.so.1",
        "libacl.so.1",
        "libattr.so.1",
        "libpam.so.0",
        "libgmp.so.10",
        "libmvec.so.1",
    }
)


# --------------------------------------------------------------------------------------------
# PyPI: the wheel matrix
# --------------------------------------------------------------------------------------------


@dataclass
class WheelFile:
    filename: str
    url: str
    size: int
    tags: frozenset[Tag]


@dataclass
class Release:
    name: str
    version: str
    has_sdist: bool
    wheels: list[WheelFile] = field(default_factory=list)
    sdist_url: str = ""
    sdist_sha256: str = ""


@cache
def pypi_release(name: str) -> Release:
    """The latest release of ``name`` on PyPI (JSON API), yanked files left out."""
    url = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(url, timeout=60) as resp:
        data: dict[str, Any] = json.load(resp)
    rel = Release(name=data["info"]["name"], version=data["info"]["version"], has_sdist=False)
    for f in data["urls"]:
        if f.get("yanked"):
            continue
        if f["packagetype"] == "sdist":
            rel.has_sdist = True
            rel.sdist_url = urllib.parse.urljoin(url, f["url"])
            rel.sdist_sha256 = f["digests"]["sha256"]
        elif f["filename"].endswith(".whl"):
            try:
                _, _, _, tags = parse_wheel_filename(f["filename"])
            except InvalidWheelFilename:
                continue
            # Some mirrors answer with relative file URLs.
            file_url = urllib.parse.urljoin(url, f["url"])
            rel.wheels.append(WheelFile(f["filename"], file_url, int(f["size"]), tags))
    return rel


def platform_glibc(platform: str, arch: str) -> int | None:
    """glibc minor version a platform tag needs on ``arch``; 0 for "any"; None if unusable."""
    if platform == "any":
        return 0
    legacy = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}
    for prefix, minor in legacy.items():
        if platform == f"{prefix}_{arch}":
            return minor
    m = re.fullmatch(rf"manylinux_2_(\d+)_{arch}", platform)
    return int(m.group(1)) if m else None


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def tag_pythons(tag: Tag) -> tuple[set[str], bool]:
    """CPython versions among PYTHONS that ``tag`` serves, and whether it is version-independent.

    Version-independent: pure ``py3`` wheels and ``abi3`` wheels built for 3.10 or older.
    Free-threaded (``cp313t``) and debug ABIs are not counted.
    """
    interp, abi = tag.interpreter, tag.abi
    m = re.fullmatch(r"(py|cp)3(\d*)", interp)
    if not m:
        return set(), False
    kind, minor_s = m.groups()
    if kind == "py":
        if abi != "none":
            return set(), False
        lowest = int(minor_s) if minor_s else 0
        found = {v for v in PYTHONS if _minor(v) >= lowest}
        return found, lowest <= 10
    if not minor_s:
        return set(), False
    minor = int(minor_s)
    if abi == "abi3":
        return {v for v in PYTHONS if _minor(v) >= minor}, minor <= 10
    if abi in (f"cp3{minor}", "none"):
        v = f"3.{minor}"
        return ({v} if v in PYTHONS else set()), False
    return set(), False


@dataclass
class Matrix:
    """Per arch: CPython version -> lowest glibc minor of a usable wheel; universal glibc."""

    per_arch: dict[str, dict[str, int]]
    universal: dict[str, int | None]

    def versions(self, arch: str, glibc: int) -> set[str]:
        return {v for v, g in self.per_arch[arch].items() if g <= glibc}

    def table_value(self, arch: str, glibc: int = RELEASES["bookworm"]) -> list[str]:
        """The ``wheels.<arch>`` value: ["*"] for a version-independent wheel, else versions."""
        uni = self.universal[arch]
        if uni is not None and uni <= glibc:
            return ["*"]
        return sorted(self.versions(arch, glibc), key=_minor)

    def newer_glibc_only(self, arch: str) -> dict[str, int]:
        """Versions whose only wheels need a glibc newer than bookworm's."""
        return {v: g for v, g in self.per_arch[arch].items() if g > RELEASES["bookworm"]}


def wheel_matrix(rel: Release) -> Matrix:
    per_arch: dict[str, dict[str, int]] = {a: {} for a in ARCHES}
    universal: dict[str, int | None] = dict.fromkeys(ARCHES)
    for wheel in rel.wheels:
        for tag in wheel.tags:
            versions, uni = tag_pythons(tag)
            for arch in ARCHES:
                glibc = platform_glibc(tag.platform, arch)
                if glibc is None or not versions:
                    continue
                best = per_arch[arch]
                for v in versions:
                    best[v] = min(best.get(v, glibc), glibc)
                if uni and set(PYTHONS) <= versions:
                    current = universal[arch]
                    universal[arch] = glibc if current is None else min(current, glibc)
    return Matrix(per_arch, universal)


def fmt_glibc_tags(rel: Release) -> str:
    """A short summary of the linux platform tags seen, e.g. "manylinux_2_17+2_28"."""
    seen: set[str] = set()
    for wheel in rel.wheels:
        for tag in wheel.tags:
            p = tag.platform
            if p == "any":
                seen.add("any")
            elif "linux" in p and not p.startswith("musllinux"):
                seen.add(re.sub(r"_(x86_64|aarch64|i686|ppc64le|s390x|armv7l|riscv64)$", "", p))
    return ",".join(sorted(seen)) or "none"


# --------------------------------------------------------------------------------------------
# Debian: private apt state per release
# --------------------------------------------------------------------------------------------


def apt_dir(base: Path, release: str) -> Path:
    return base / release


def apt_options(base: Path, release: str) -> list[str]:
    d = apt_dir(base, release)
    return [
        "-o",
        f"Dir::Etc::SourceList={d / 'sources.list'}",
        "-o",
        "Dir::Etc::SourceParts=/nonexistent",
        "-o",
        f"Dir::State::Lists={d / 'lists'}",
        "-o",
        f"Dir::Cache={d / 'cache'}",
        # An empty dpkg status: packages installed on this host must not count as candidates.
        "-o",
        f"Dir::State::status={d / 'status'}",
        "-o",
        "APT::Architecture=amd64",
    ]


def apt_setup(base: Path) -> None:
    for release in RELEASES:
        d = apt_dir(base, release)
        for sub in ("lists/partial", "cache/archives/partial"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "status").touch()
        signed = f"[signed-by={KEYRING}]"
        (d / "sources.list").write_text(
            f"deb {signed} {MIRROR} {release} main\n"
            f"deb {signed} {MIRROR} {release}-updates main\n"
            f"deb {signed} {SECURITY} {release}-security main\n"
            f"deb-src {signed} {MIRROR} {release} main\n"
        )
        # First without the Contents index: a failed Contents download (it happens while a
        # mirror syncs) makes apt keep none of that suite's new lists. Then with it, for --libs.
        no_contents = ["-o", "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"]
        for extra in (no_contents, []):
            print(f"apt-get update ({release}) {' '.join(extra)}", file=sys.stderr)
            proc = subprocess.run(
                ["apt-get", *apt_options(base, release), *extra, "update", "-qq"],
                capture_output=True,
                text=True,
                check=False,
            )
            for ln in proc.stderr.splitlines():
                if ln.startswith("E:"):
                    print(f"  {release}: {ln}", file=sys.stderr)


def apt_ready(base: Path) -> bool:
    return all(any((apt_dir(base, r) / "lists").glob("*_Packages*")) for r in RELEASES)


def apt_cache(base: Path, release: str, *args: str) -> str:
    proc = subprocess.run(
        ["apt-cache", *apt_options(base, release), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout


def apt_candidates(base: Path, release: str, names: Iterable[str]) -> dict[str, str | None]:
    """``apt-cache policy``: name -> candidate version, None for "(none)" or unknown."""
    wanted = sorted(set(names))
    result: dict[str, str | None] = dict.fromkeys(wanted)
    if not wanted:
        return result
    current: str | None = None
    for line in apt_cache(base, release, "policy", *wanted).splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
        elif current and line.strip().startswith("Candidate:"):
            value = line.split(":", 1)[1].strip()
            result[current] = None if value == "(none)" else value
    return result


def reverse_provides(base: Path, release: str, name: str) -> list[str]:
    """Real packages that provide ``name`` in ``release`` (the t64 renames)."""
    out = apt_cache(base, release, "showpkg", name)
    providers: list[str] = []
    in_section = False
    for line in out.splitlines():
        if line.startswith("Reverse Provides:"):
            in_section = True
            continue
        if in_section and line.strip():
            providers.append(line.split()[0])
    return sorted(set(providers))


@cache
def contents_index(base: str, release: str, sonames: frozenset[str]) -> dict[str, set[str]]:
    """soname -> Debian packages shipping it, from the release's Contents-amd64 index."""
    found: dict[str, set[str]] = {s: set() for s in sonames}
    lists = apt_dir(Path(base), release) / "lists"
    files = sorted(lists.glob("*_Contents-amd64*"))
    for path in files:
        proc = subprocess.Popen(
            ["/usr/lib/apt/apt-helper", "cat-file", str(path)],
            stdout=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if "lib/" not in line:
                continue
            parts = line.rsplit(None, 1)
            if len(parts) != 2:
                continue
            filename = parts[0].rsplit("/", 1)[-1]
            if filename in found:
                for entry in parts[1].split(","):
                    found[filename].add(entry.rsplit("/", 1)[-1])
        proc.wait()
    return found


# --------------------------------------------------------------------------------------------
# Wheels: readelf NEEDED
# --------------------------------------------------------------------------------------------


def pick_wheel(rel: Release, arch: str, python: str = "3.12") -> WheelFile | None:
    """A binary wheel usable on bookworm for ``arch`` and ``python`` (pure wheels skipped)."""
    best: tuple[int, WheelFile] | None = None
    for wheel in rel.wheels:
        for tag in wheel.tags:
            glibc = platform_glibc(tag.platform, arch)
            if not glibc or glibc > RELEASES["bookworm"]:
                continue
            versions, _ = tag_pythons(tag)
            if python in versions and (best is None or glibc > best[0]):
                best = (glibc, wheel)
    return best[1] if best else None


def wheel_needed(wheel: WheelFile) -> dict[str, set[str]]:
    """readelf -d over the wheel's shared objects: soname -> objects needing it (unbundled)."""
    target = CACHE / "wheels" / wheel.filename
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        urllib.request.urlretrieve(wheel.url, tmp)
        tmp.rename(target)
    needed: dict[str, set[str]] = {}
    with zipfile.ZipFile(target) as zf, tempfile.TemporaryDirectory() as tmpdir:
        members = zf.namelist()
        bundled = {m.rsplit("/", 1)[-1] for m in members}
        for member in members:
            base = member.rsplit("/", 1)[-1]
            if not (base.endswith(".so") or ".so." in base):
                continue
            path = Path(zf.extract(member, tmpdir))
            out = subprocess.run(
                ["readelf", "-d", str(path)], capture_output=True, text=True, check=False
            ).stdout
            for so in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out):
                if so in bundled or so in BASE_SONAMES or so.startswith("libpython"):
                    continue
                needed.setdefault(so, set()).add(base)
    return needed


# --------------------------------------------------------------------------------------------
# Debian's own python3-* packaging (--debian)
# --------------------------------------------------------------------------------------------

FALLBACK = Path("/usr/share/dh-python/dist/cpython3_fallback")
_DEP_KEEP = re.compile(r"^(lib\S+|pkg-config|pkgconf|swig|cython3|\S+-dev|\S+-utils)$")
_DEP_DROP = re.compile(r"^(python3\S*|libpython3\S*|dh-\S+|debhelper\S*|libc6(-dev)?)$")


@cache
def debian_binary_for(project: str) -> str:
    norm = canonicalize_name(project)
    if FALLBACK.exists():
        for line in FALLBACK.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and canonicalize_name(parts[0]) == norm:
                return parts[1]
    return "python3-" + norm.removeprefix("python-")


def _dep_names(field_value: str) -> list[str]:
    names: list[str] = []
    for clause in field_value.split(","):
        alt = clause.split("|")[0].strip()
        name = re.split(r"[\s(\[<:]", alt, maxsplit=1)[0]
        if name and _DEP_KEEP.match(name) and not _DEP_DROP.match(name):
            names.append(name)
    return names


def _field(stanza: str, name: str) -> str:
    m = re.search(rf"^{name}: (.*(?:\n .*)*)", stanza, re.MULTILINE)
    return m.group(1).replace("\n", " ") if m else ""


def debian_deps(base: Path, release: str, project: str) -> tuple[str, list[str], list[str]]:
    """(binary package, Build-Depends of its source, library Depends of the binary)."""
    binary = debian_binary_for(project)
    show = apt_cache(base, release, "show", "--no-all-versions", binary)
    if not show.strip():
        return f"{binary} (not packaged)", [], []
    source = (_field(show, "Source") or binary).split()[0]
    depends = _dep_names(_field(show, "Depends"))
    src = apt_cache(base, release, "showsrc", "--only-source", source)
    build = _dep_names(_field(src.split("\n\n")[0], "Build-Depends")) if src else []
    return binary, build, depends


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def load_table(path: Path = TABLE) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


def debian_names(table: dict[str, Any], release: str) -> set[str]:
    names: set[str] = set()
    for per_release in table["toolchains"].values():
        names.update(per_release.get(release, []))
    for row in table["packages"].values():
        for key in PER_RELEASE_KEYS:
            names.update(row[key][release])
    names.update(n for n, r in table.get("runtime_data", {}).items() if release in r["releases"])
    return names


def write_snapshot(table: dict[str, Any], base: Path, path: Path = SNAPSHOT) -> None:
    everything: set[str] = set(RENAMED)
    for release in RELEASES:
        everything |= debian_names(table, release)
    snapshot = {release: apt_candidates(base, release, everything) for release in RELEASES}
    path.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path} ({len(everything)} names x {len(RELEASES)} releases)", file=sys.stderr)


def _check_wheels(name: str, row: dict[str, Any], rel: Release) -> list[str]:
    flags: list[str] = []
    if canonicalize_name(rel.name) != name:
        flags.append(f"PyPI name {rel.name!r} normalizes differently")
    # The planner tells a locked version from the one the wheel matrix describes by ``release``.
    if row["release"] != rel.version:
        print(f"   release  {rel.version} !! table says {row['release']}")
        flags.append(f"release: PyPI's latest is {rel.version}, table {row['release']}")
    matrix = wheel_matrix(rel)
    print(
        f"== {name} {rel.version}  sdist={'yes' if rel.has_sdist else 'NO'}  "
        f"linux tags: {fmt_glibc_tags(rel)}"
    )
    for arch in ARCHES:
        computed = matrix.table_value(arch)
        table_value = row["wheels"][arch]
        mark = "ok" if computed == table_value else f"!! table says {table_value}"
        newer = matrix.newer_glibc_only(arch)
        extra = ", ".join(f"{v}: glibc 2.{g}" for v, g in newer.items())
        extra = f"  (trixie only: {extra})" if extra else ""
        print(f"   wheels {arch:8} {computed} {mark}{extra}")
        if computed != table_value:
            flags.append(f"wheels.{arch}: PyPI {computed}, table {table_value}")
    if not rel.has_sdist and not all(row["wheels"][a] for a in ARCHES):
        print("   note: no sdist, and no wheel for some arch: cannot be installed there")
    return flags


def _check_sdist(row: dict[str, Any], rel: Release, open_compiling: bool) -> list[str]:
    """``sdist``: "none" when PyPI has none; "pure" rows (and, with --sdists, "compiles" rows)
    are downloaded and opened by the same function `--online` uses, nothing is run."""
    claim = row["sdist"]
    if not rel.has_sdist:
        print(f"   sdist    none {'ok' if claim == 'none' else f'!! table says {claim}'}")
        return [] if claim == "none" else [f"sdist: PyPI has none, table {claim!r}"]
    if claim == "none":
        return ["sdist: PyPI has one, table 'none'"]
    if claim == "compiles" and not open_compiling:
        return []
    archive = online._download(rel.sdist_url, rel.sdist_sha256, timeout=120)
    verdict = online.sdist_verdict(archive)
    found = "pure" if verdict.pure else "compiles"
    # "optional": a native build that falls back to pure Python, read by hand (the row's note).
    ok = not verdict.pure if claim == "optional" else found == claim
    mark = "ok" if ok else f"!! table says {claim}"
    print(f"   sdist    {archive.name}: {found} ({verdict.why}) {mark}")
    return [] if ok else [f"sdist: {archive.name} is {found} ({verdict.why}), table {claim!r}"]


def _check_apt(name: str, row: dict[str, Any], base: Path, debian: bool) -> list[str]:
    flags: list[str] = []
    for release in RELEASES:
        names = {n for key in PER_RELEASE_KEYS for n in row[key][release]}
        cands = apt_candidates(base, release, names)
        shown = "  ".join(f"{n}={v or '(none)'}" for n, v in sorted(cands.items()))
        print(f"   apt {release:9} {shown or '-'}")
        flags += [f"{release}: {n} has no candidate" for n, v in cands.items() if v is None]
        if debian:
            binary, build, deps = debian_deps(base, release, name)
            print(f"   debian {release:9} {binary}: build {build} runtime {deps}")
    return flags


def _check_libs(row: dict[str, Any], rel: Release, base: Path | None) -> list[str]:
    """readelf the wheels; every unbundled soname must map to a package in ``runtime``."""
    flags: list[str] = []
    sonames: set[str] = set()
    for arch in ARCHES:
        wheel = pick_wheel(rel, arch)
        if wheel is None:
            continue
        needed = wheel_needed(wheel)
        sonames.update(needed)
        print(f"   readelf {arch:8} {wheel.filename}: {sorted(needed) or 'nothing unbundled'}")
    if not sonames or base is None:
        return flags
    index = contents_index(str(base), "bookworm", frozenset(sonames))
    for so in sorted(sonames):
        pkgs = sorted(index.get(so, set()))
        if not pkgs:
            flags.append(f"{so}: no bookworm package ships it")
            continue
        for release in RELEASES:
            # Trixie's Contents index may be missing: map through bookworm's package and
            # its trixie successor (same name, or the t64 package that Provides it).
            cands = apt_candidates(base, release, pkgs)
            real = [p for p, v in cands.items() if v]
            if not real:
                real = [q for p in pkgs for q in reverse_provides(base, release, p)]
            ok = bool(set(real) & set(row["runtime"][release]))
            print(f"   {so:28} {release:9} -> {real} {'ok' if ok else '!! not in runtime'}")
            if not ok:
                flags.append(f"{release}: wheel needs {so} ({real}), not in runtime")
    return flags


def check_row(
    name: str,
    row: dict[str, Any],
    base: Path | None,
    libs: bool,
    debian: bool,
    sdists: bool = False,
) -> list[str]:
    """Print what PyPI and apt say about one row; return the disagreements."""
    rel = pypi_release(name)
    flags = _check_wheels(name, row, rel)
    flags += _check_sdist(row, rel, sdists)
    if base is not None:
        flags += _check_apt(name, row, base, debian)
    if libs:
        flags += _check_libs(row, rel, base)
    for flag in flags:
        print(f"   !! {flag}")
    return flags


def check_runtime_data(name: str, row: dict[str, Any], base: Path) -> list[str]:
    """A ``[runtime_data]`` row: the package exists in every release and ships its files
    (downloaded with apt-get and listed with dpkg-deb, nothing installed)."""
    flags: list[str] = []
    print(f"== runtime data {name}: {row['files']} when {row['when_locked']}")
    for release in row["releases"]:
        version = apt_candidates(base, release, [name])[name]
        if version is None:
            flags.append(f"{release}: {name} has no candidate")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                ["apt-get", *apt_options(base, release), "download", "-qq", name],
                cwd=tmp,
                capture_output=True,
                check=False,
            )
            debs = list(Path(tmp).glob("*.deb"))
            listing = (
                subprocess.run(
                    ["dpkg-deb", "-c", str(debs[0])], capture_output=True, text=True, check=False
                ).stdout
                if debs
                else ""
            )
        shipped = {line.split()[-1].removeprefix(".") for line in listing.splitlines()}
        missing = [f for f in row["files"] if f not in shipped]
        mark = "ok" if debs and not missing else f"!! missing {missing or 'the .deb'}"
        print(f"   {release:9} {name} {version}: {mark}")
        if not debs or missing:
            flags.append(f"{release}: {name} {version} does not ship {missing or row['files']}")
    return flags


def check_all_runtime_data(table: dict[str, Any], base: Path) -> dict[str, list[str]]:
    """The toolchains' apt candidates (printed) and every ``[runtime_data]`` row."""
    for release in RELEASES:
        tool_names = {n for tc in table["toolchains"].values() for n in tc.get(release, [])}
        cands = apt_candidates(base, release, tool_names)
        print(f"== toolchains {release}: " + "  ".join(f"{k}={v}" for k, v in cands.items()))
    flagged: dict[str, list[str]] = {}
    for name, row in table.get("runtime_data", {}).items():
        flags = check_runtime_data(name, row, base)
        if flags:
            flagged[f"runtime_data.{name}"] = flags
    return flagged


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def _cell(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "-"


def _per_release_cell(row: dict[str, Any], key: str) -> str:
    bw, tx = row[key]["bookworm"], row[key]["trixie"]
    if bw == tx:
        return _cell(bw)
    return f"bookworm: {_cell(bw)}<br>trixie: {_cell(tx)}"


def _wheels_cell(values: Sequence[str]) -> str:
    """["*"] -> "any"; [] -> "none"; consecutive versions as a range: "3.10-3.14"."""
    if values == ["*"]:
        return "any"
    if not values:
        return "none"
    runs: list[list[str]] = []
    for v in values:
        if runs and _minor(v) == _minor(runs[-1][-1]) + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def markdown(table: dict[str, Any]) -> str:
    lines = [
        "| PyPI project | wheels x86_64 | wheels aarch64 | sdist | compiles with | build (apt) "
        "| runtime (apt) | runtime if compiled | not needed with | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in sorted(table["packages"].items()):
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{name}`",
                    _wheels_cell(row["wheels"]["x86_64"]),
                    _wheels_cell(row["wheels"]["aarch64"]),
                    row["sdist"],
                    _cell(row["languages"]),
                    _per_release_cell(row, "build"),
                    _per_release_cell(row, "runtime"),
                    _per_release_cell(row, "source_runtime"),
                    _cell(row["runtime_unless"]),
                    row["note"].replace("|", "\\|"),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


DOCS = ROOT / "docs" / "native-deps.md"
MARK_START = "<!-- native-table:start (generated by verify_native.py --write-docs) -->"
MARK_END = "<!-- native-table:end -->"


def write_docs(table: dict[str, Any], path: Path = DOCS) -> None:
    """Replace the table between the markers of docs/native-deps.md."""
    text = path.read_text()
    head, rest = text.split(MARK_START, 1)
    _, tail = rest.split(MARK_END, 1)
    path.write_text(f"{head}{MARK_START}\n{markdown(table)}{MARK_END}{tail}")
    print(f"wrote {path}", file=sys.stderr)


# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("names", nargs="*", help="rows to check (default: all)")
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--apt-dir", type=Path, default=CACHE / "apt")
    parser.add_argument("--apt-update", action="store_true", help="(re)create the apt state")
    parser.add_argument("--no-apt", action="store_true", help="skip the apt-cache checks")
    parser.add_argument("--libs", action="store_true", help="readelf NEEDED of the wheels")
    parser.add_argument("--debian", action="store_true", help="Debian's python3-* deps")
    parser.add_argument(
        "--sdists", action="store_true", help='also open the sdists of "compiles" rows'
    )
    parser.add_argument("--snapshot", action="store_true", help=f"rewrite {SNAPSHOT.name}")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    args = parser.parse_args(argv)

    table = load_table(args.table)
    if args.markdown:
        sys.stdout.write(markdown(table))
        return 0
    if args.write_docs:
        write_docs(table)
        return 0
    if args.apt_update:
        apt_setup(args.apt_dir)
    base: Path | None = None
    if not args.no_apt:
        if not apt_ready(args.apt_dir):
            print("no apt state: run with --apt-update first (or --no-apt)", file=sys.stderr)
            return 2
        base = args.apt_dir
    if args.snapshot:
        assert base is not None
        write_snapshot(table, base)

    rows: dict[str, Any] = table["packages"]
    names: list[str] = [canonicalize_name(n) for n in args.names] or sorted(rows)
    unknown = [n for n in names if n not in rows]
    if unknown:
        print(f"not in the table: {unknown}", file=sys.stderr)
        return 2
    flagged: dict[str, list[str]] = {}
    if base is not None and not args.names:
        flagged.update(check_all_runtime_data(table, base))
    for name in names:
        try:
            flags = check_row(name, rows[name], base, args.libs, args.debian, args.sdists)
        except OSError as exc:
            flags = [f"error: {exc}"]
            print(f"   !! {exc}")
        if flags:
            flagged[name] = flags
    print(f"\n{len(names)} rows checked, {len(flagged)} with disagreements")
    for name, flags in flagged.items():
        print(f"  {name}: {'; '.join(flags)}")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
