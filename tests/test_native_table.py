"""Table-driven checks of pydocker_gen/data/native.toml (schema, facts, Debian package names).

The table is loaded with tomllib directly. Debian names are checked offline against
tests/knowledge/apt-snapshot.json, written by ``tests/knowledge/verify_native.py --snapshot``.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
TABLE_PATH = ROOT / "pydocker_gen" / "data" / "native.toml"
SNAPSHOT_PATH = ROOT / "tests" / "knowledge" / "apt-snapshot.json"

RELEASES = ("bookworm", "trixie")
ARCHES = ("x86_64", "aarch64")
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
LANGUAGES = ("c", "cxx", "rust")
TOOLCHAINS = ("c", "cxx", "rust", "git")
PER_RELEASE = ("build", "runtime", "source_runtime")
ROW_KEYS = {
    "wheels",
    "languages",
    "sdist",
    "release",
    "build",
    "runtime",
    "source_runtime",
    "runtime_unless",
    "note",
    "verified",
}
#: Already in every python:X.Y-slim-<release> image: a row must not ask for them.
BASE_PACKAGES = {
    "libc6",
    "libstdc++6",
    "libgcc-s1",
    "zlib1g",
    "libssl3",
    "libssl3t64",
    "libffi8",
    "libsqlite3-0",
    "libbz2-1.0",
    "liblzma5",
    "libsystemd0",
    "libpcre2-8-0",
}
DEBIAN_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")


def _load_table() -> dict[str, Any]:
    with TABLE_PATH.open("rb") as f:
        return tomllib.load(f)


TABLE = _load_table()
ROWS: dict[str, dict[str, Any]] = TABLE["packages"]
SNAPSHOT: dict[str, dict[str, str | None]] = json.loads(SNAPSHOT_PATH.read_text())
NAMES = sorted(ROWS)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


# ------------------------------------------------------------------------------------------
# schema
# ------------------------------------------------------------------------------------------


def test_top_level() -> None:
    assert TABLE["schema"] == 1
    assert set(TABLE) == {"schema", "toolchains", "releases", "packages", "runtime_data"}
    assert TABLE["releases"] == {"bookworm": {"glibc": "2.36"}, "trixie": {"glibc": "2.41"}}


def test_toolchains() -> None:
    toolchains = TABLE["toolchains"]
    assert set(toolchains) == set(TOOLCHAINS)
    for name, per_release in toolchains.items():
        assert set(per_release) == set(RELEASES), name
        for release in RELEASES:
            assert _is_str_list(per_release[release]) and per_release[release], (name, release)
    for release in RELEASES:
        assert {"gcc", "libc6-dev"} <= set(toolchains["c"][release])
        assert "g++" in toolchains["cxx"][release]
        assert {"cargo", "rustc"} <= set(toolchains["rust"][release])
        assert toolchains["git"][release] == ["git"]


def test_at_least_60_rows() -> None:
    assert len(ROWS) >= 60


def test_row_names_are_normalized() -> None:
    assert [n for n in ROWS if canonicalize_name(n) != n] == []


def test_no_duplicate_rows_in_the_file() -> None:
    # tomllib already rejects a repeated table; this also catches differently spelled keys.
    headers = re.findall(r"^\[packages\.([^\]]+)\]", TABLE_PATH.read_text(), re.MULTILINE)
    normalized = [canonicalize_name(h.strip('"')) for h in headers]
    assert len(normalized) == len(set(normalized)) == len(ROWS)


@pytest.mark.parametrize("name", NAMES)
def test_row_schema(name: str) -> None:
    row = ROWS[name]
    assert set(row) == ROW_KEYS
    assert set(row["wheels"]) == set(ARCHES)
    for arch in ARCHES:
        wheels = row["wheels"][arch]
        assert _is_str_list(wheels), arch
        if "*" in wheels:
            assert wheels == ["*"], arch
        else:
            assert set(wheels) <= set(PYTHONS), arch
            assert wheels == sorted(set(wheels), key=PYTHONS.index), arch
    assert _is_str_list(row["languages"])
    assert set(row["languages"]) <= set(LANGUAGES)
    assert len(row["languages"]) == len(set(row["languages"]))
    for key in PER_RELEASE:
        assert set(row[key]) == set(RELEASES), key
        for release in RELEASES:
            values = row[key][release]
            assert _is_str_list(values), (key, release)
            assert len(values) == len(set(values)), (key, release)
            assert all(DEBIAN_NAME.match(v) for v in values), (key, release)
    assert _is_str_list(row["runtime_unless"])
    for other in row["runtime_unless"]:
        assert canonicalize_name(other) == other
        assert other in ROWS, f"{other} is not a row"
    assert isinstance(row["note"], str) and row["note"].strip()
    assert "\n" not in row["note"]
    assert isinstance(row["verified"], str)
    assert re.match(r"^\d{4}-\d{2}-\d{2}: \S", row["verified"])
    # The wheel matrix describes this release; verify_native.py compares it with PyPI's latest.
    assert isinstance(row["release"], str)
    assert str(Version(row["release"])) == row["release"]
    assert f"PyPI {row['release']}:" in row["verified"]


@pytest.mark.parametrize("name", NAMES)
def test_row_consistency(name: str) -> None:
    row = ROWS[name]
    toolchain_packages = {
        pkg
        for per_release in TABLE["toolchains"].values()
        for v in per_release.values()
        for pkg in v
    }
    for release in RELEASES:
        # The build list excludes the toolchain, and runtime lists exclude the base image.
        assert not set(row["build"][release]) & toolchain_packages, release
        for key in ("runtime", "source_runtime"):
            assert not set(row[key][release]) & BASE_PACKAGES, (key, release)
            assert not [p for p in row[key][release] if p.endswith("-dev")], (key, release)
        # Something to compile needs a compiler.
        if row["build"][release]:
            assert row["languages"], release
        # A package in `runtime` is needed anyway: repeating it in source_runtime is noise.
        assert not set(row["runtime"][release]) & set(row["source_runtime"][release])
    if not row["wheels"]["x86_64"] and not row["wheels"]["aarch64"] and not row["languages"]:
        # Only a pure-Python sdist may come without a language.
        assert "pure" in row["note"].lower() or "abi mode" in row["note"].lower()
    assert row["sdist"] in ("pure", "optional", "compiles", "none")
    if row["sdist"] in ("pure", "optional"):
        # Built without a compiler: nothing to compile with, nothing to install for it.
        assert row["languages"] == [], "a pure sdist needs no toolchain"
        assert all(not row[k][r] for k in ("build", "source_runtime") for r in RELEASES)


def test_runtime_data_rows() -> None:
    assert set(TABLE["runtime_data"]) >= {"media-types", "libldap-common"}
    for name, row in TABLE["runtime_data"].items():
        assert set(row) == {"files", "releases", "when_locked", "why", "verified"}, name
        assert row["releases"] and set(row["releases"]) <= set(RELEASES)
        assert DEBIAN_NAME.match(name)
        assert _is_str_list(row["files"]) and all(f.startswith("/") for f in row["files"])
        assert _is_str_list(row["when_locked"]) and row["when_locked"]
        assert all(canonicalize_name(n) == n for n in row["when_locked"])
        assert re.match(r"^\d{4}-\d{2}-\d{2}: \S", row["verified"])
    assert TABLE["runtime_data"]["libldap-common"]["when_locked"] == ["python-ldap"]
    assert {"django", "flask", "starlette"} <= set(
        TABLE["runtime_data"]["media-types"]["when_locked"]
    )


#: Projects published (for years) as sdists only that hold no compiled code (issue 11).
PURE_SDISTS = (
    "langdetect", "promise", "rx", "pybars3", "pymeta3", "html2text", "jstyleson", "mf2py",
    "dkimpy", "crontab", "flask-mail",
)  # fmt: skip


@pytest.mark.parametrize("name", PURE_SDISTS)
def test_pure_sdist_rows(name: str) -> None:
    assert ROWS[name]["sdist"] == "pure"
    assert ROWS[name]["languages"] == []


# ------------------------------------------------------------------------------------------
# Debian names: every one exists in its release (apt-cache policy snapshot)
# ------------------------------------------------------------------------------------------


def test_snapshot_covers_both_releases() -> None:
    assert set(SNAPSHOT) == set(RELEASES)


def _debian_names(release: str) -> list[tuple[str, str]]:
    named: list[tuple[str, str]] = []
    for tc, per_release in TABLE["toolchains"].items():
        named += [(f"toolchains.{tc}", pkg) for pkg in per_release[release]]
    for name, row in ROWS.items():
        for key in PER_RELEASE:
            named += [(f"{name}.{key}", pkg) for pkg in row[key][release]]
    named += [
        ("runtime_data", pkg)
        for pkg, row in TABLE["runtime_data"].items()
        if release in row["releases"]
    ]
    return named


@pytest.mark.parametrize("release", RELEASES)
def test_every_debian_name_has_a_candidate(release: str) -> None:
    missing = [
        f"{where}: {pkg}"
        for where, pkg in _debian_names(release)
        if SNAPSHOT[release].get(pkg) is None
    ]
    assert missing == [], f"no apt candidate in {release} (or not in the snapshot)"


@pytest.mark.parametrize(
    ("package", "bookworm", "trixie"),
    [
        # The renames that bite: the old name does not exist in trixie at all.
        ("libldap-2.5-0", True, False),
        ("libldap2", False, True),
        ("libicu72", True, False),
        ("libicu76", False, True),
        ("libgdal32", True, False),
        ("libgdal36", False, True),
        ("libaio1", True, False),
        ("libaio1t64", False, True),
        ("libmagickwand-6.q16-6", True, False),
        ("libmagickwand-7.q16-10", False, True),
        ("wkhtmltopdf", True, False),
        ("libglib2.0-0", True, False),
        ("libglib2.0-0t64", False, True),
        ("libgirepository-2.0-dev", False, True),
        ("libexpat1", True, True),
    ],
)
def test_snapshot_records_the_renames(package: str, bookworm: bool, trixie: bool) -> None:
    assert (SNAPSHOT["bookworm"].get(package) is not None) is bookworm
    assert (SNAPSHOT["trixie"].get(package) is not None) is trixie


def test_glibc_versions_match_the_snapshot() -> None:
    for release in RELEASES:
        libc = SNAPSHOT[release].get("libc6-dev")
        assert libc is not None
        assert libc.startswith(TABLE["releases"][release]["glibc"] + "-")


# ------------------------------------------------------------------------------------------
# known facts, per release
# ------------------------------------------------------------------------------------------

#: (row, key, {release: packages that must be in the list}).
CONTAINS: list[tuple[str, str, dict[str, set[str]]]] = [
    ("python-ldap", "runtime", {"bookworm": {"libldap-2.5-0"}, "trixie": {"libldap2"}}),
    ("python-ldap", "build", {"bookworm": {"libldap-dev"}, "trixie": {"libldap-dev"}}),
    ("pyicu", "runtime", {"bookworm": {"libicu72"}, "trixie": {"libicu76"}}),
    ("pyicu", "build", {"bookworm": {"libicu-dev"}, "trixie": {"libicu-dev"}}),
    ("gdal", "runtime", {"bookworm": {"libgdal32"}, "trixie": {"libgdal36"}}),
    ("psycopg2", "build", {"bookworm": {"libpq-dev"}, "trixie": {"libpq-dev"}}),
    ("psycopg2", "runtime", {"bookworm": {"libpq5"}, "trixie": {"libpq5"}}),
    ("psycopg-c", "runtime", {"bookworm": {"libpq5"}, "trixie": {"libpq5"}}),
    ("mysqlclient", "build", {r: {"pkg-config", "default-libmysqlclient-dev"} for r in RELEASES}),
    ("mysqlclient", "runtime", {r: {"libmariadb3"} for r in RELEASES}),
    ("dbus-python", "runtime", {"bookworm": {"libglib2.0-0"}, "trixie": {"libglib2.0-0t64"}}),
    ("pycups", "runtime", {"bookworm": {"libcups2"}, "trixie": {"libcups2t64"}}),
    ("cx-oracle", "runtime", {"bookworm": {"libaio1"}, "trixie": {"libaio1t64"}}),
    ("python-magic", "runtime", {"bookworm": {"libmagic1"}, "trixie": {"libmagic1t64"}}),
    ("pyzbar", "runtime", {"bookworm": {"libzbar0"}, "trixie": {"libzbar0t64"}}),
    (
        "wand",
        "runtime",
        {"bookworm": {"libmagickwand-6.q16-6"}, "trixie": {"libmagickwand-7.q16-10"}},
    ),
    ("pyvips", "runtime", {"bookworm": {"libvips42"}, "trixie": {"libvips42t64"}}),
    (
        "pylibmc",
        "source_runtime",
        {"bookworm": {"libmemcached11"}, "trixie": {"libmemcached11t64"}},
    ),
    (
        "pygobject",
        "build",
        {"bookworm": {"libgirepository1.0-dev"}, "trixie": {"libgirepository-2.0-dev"}},
    ),
    ("pyodbc", "runtime", {r: {"libodbc2"} for r in RELEASES}),
    ("pyuwsgi", "runtime", {r: {"libexpat1"} for r in RELEASES}),
    ("pygraphviz", "runtime", {r: {"libexpat1", "libx11-6", "libxrender1"} for r in RELEASES}),
    ("opencv-python", "runtime", {r: {"libgl1", "libsm6", "libxext6"} for r in RELEASES}),
    ("weasyprint", "runtime", {r: {"libpango-1.0-0", "libpangoft2-1.0-0"} for r in RELEASES}),
    ("cairocffi", "runtime", {r: {"libcairo2"} for r in RELEASES}),
    ("pdf2image", "runtime", {r: {"poppler-utils"} for r in RELEASES}),
    ("pytesseract", "runtime", {r: {"tesseract-ocr"} for r in RELEASES}),
    ("pydub", "runtime", {r: {"ffmpeg"} for r in RELEASES}),
    ("pysaml2", "runtime", {r: {"xmlsec1"} for r in RELEASES}),
    ("pdfkit", "runtime", {"bookworm": {"wkhtmltopdf"}, "trixie": set()}),
    ("lxml", "source_runtime", {r: {"libxml2", "libxslt1.1"} for r in RELEASES}),
    ("xmlsec", "source_runtime", {"bookworm": {"libxmlsec1"}, "trixie": {"libxmlsec1t64"}}),
    ("m2crypto", "build", {r: {"swig", "libssl-dev"} for r in RELEASES}),
]


@pytest.mark.parametrize(("name", "key", "expected"), CONTAINS, ids=lambda v: str(v)[:30])
def test_known_packages(name: str, key: str, expected: dict[str, set[str]]) -> None:
    for release, packages in expected.items():
        assert packages <= set(ROWS[name][key][release]), release


#: (row, key) pairs that must be empty in both releases: "nothing to install".
EMPTY: list[tuple[str, str]] = [
    ("lxml", "runtime"),
    ("psycopg2-binary", "runtime"),
    ("psycopg-binary", "runtime"),
    ("opencv-python-headless", "runtime"),
    ("cryptography", "runtime"),
    ("pillow", "runtime"),
    ("numpy", "runtime"),
    ("psutil", "runtime"),
    ("m2crypto", "runtime"),
    ("systemd-python", "runtime"),
    ("netifaces", "runtime"),
]


@pytest.mark.parametrize(("name", "key"), EMPTY)
def test_known_empty(name: str, key: str) -> None:
    assert ROWS[name][key] == {"bookworm": [], "trixie": []}


def test_python_ldap_names_differ_per_release() -> None:
    runtime = ROWS["python-ldap"]["runtime"]
    assert "libldap2" not in runtime["bookworm"]
    assert "libldap-2.5-0" not in runtime["trixie"]


@pytest.mark.parametrize(
    "name", ["psycopg2", "psycopg-c", "mysqlclient", "python-ldap", "pyicu", "gdal", "uwsgi"]
)
def test_always_compiled(name: str) -> None:
    row = ROWS[name]
    assert row["wheels"] == {"x86_64": [], "aarch64": []}
    assert "c" in row["languages"]


def test_lxml_wheels() -> None:
    for arch in ARCHES:
        wheels = ROWS["lxml"]["wheels"][arch]
        assert wheels == ["*"] or {"3.11", "3.12", "3.13"} <= set(wheels)
    assert ROWS["lxml"]["build"]["bookworm"] and ROWS["lxml"]["build"]["trixie"]


def test_psycopg_needs_libpq_unless_binary() -> None:
    row = ROWS["psycopg"]
    assert row["wheels"] == {"x86_64": ["*"], "aarch64": ["*"]}
    assert row["runtime"] == {"bookworm": ["libpq5"], "trixie": ["libpq5"]}
    assert row["runtime_unless"] == ["psycopg-binary"]
    assert ROWS["psycopg-binary"]["runtime"] == {"bookworm": [], "trixie": []}


def test_pyvips_needs_libvips_unless_binary() -> None:
    assert ROWS["pyvips"]["runtime_unless"] == ["pyvips-binary"]


@pytest.mark.parametrize("name", ["cryptography", "orjson", "pydantic-core", "bcrypt", "jiter"])
def test_rust_rows(name: str) -> None:
    assert "rust" in ROWS[name]["languages"]
    assert "rustc" in ROWS[name]["note"]


def test_wheel_gaps() -> None:
    assert ROWS["pylibmc"]["wheels"]["x86_64"] == ["3.10", "3.11"]
    assert ROWS["pysqlite3"]["wheels"]["aarch64"] == []
    assert ROWS["pysqlite3"]["wheels"]["x86_64"]
    assert ROWS["libsass"]["wheels"] == {"x86_64": ["*"], "aarch64": []}
    assert "3.10" not in ROWS["gevent"]["wheels"]["aarch64"]


def test_the_c_toolchain_is_enough_for_c_rows() -> None:
    # gcc + libc6-dev per release; C++ rows add g++.
    for release in RELEASES:
        assert TABLE["toolchains"]["c"][release] == ["gcc", "libc6-dev"]
        assert TABLE["toolchains"]["cxx"][release] == ["g++"]
