"""Which packages compile, per target, and what they need: over real locks and inline ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pydocker_gen.facts import LockedPackage, Source
from pydocker_gen.planner import Options, native, plan
from pydocker_gen.reader import inspect
from pydocker_gen.render import render
from tests.conftest import EXAMPLES, FIXTURES

Tree = Callable[[Mapping[str, str]], Path]


@pytest.mark.parametrize(
    ("project", "debian", "compile", "build", "runtime"),
    [
        (
            EXAMPLES / "pipenv-uwsgi",
            "trixie",
            ["uwsgi"],
            ["gcc", "libc6-dev", "libpcre2-dev", "libssl-dev"],
            [],
        ),
        (
            EXAMPLES / "requirements-psycopg2",
            "trixie",
            ["psycopg2"],
            ["gcc", "libc6-dev", "libpq-dev"],
            ["libpq5"],
        ),
        (
            EXAMPLES / "native-mysqlclient",
            "trixie",
            ["mysqlclient"],
            ["default-libmysqlclient-dev", "gcc", "libc6-dev", "pkg-config"],
            ["libmariadb3"],
        ),
        (
            EXAMPLES / "native-python-ldap",
            "bookworm",
            ["python-ldap"],
            ["gcc", "libc6-dev", "libldap-dev", "libsasl2-dev"],
            ["libldap-2.5-0", "libsasl2-2"],
        ),
        (
            EXAMPLES / "native-python-ldap",
            "trixie",
            ["python-ldap"],
            ["gcc", "libc6-dev", "libldap-dev", "libsasl2-dev"],
            ["libldap2", "libsasl2-2"],
        ),
        (
            EXAMPLES / "native-pycairo",
            "trixie",
            ["pycairo"],
            ["gcc", "libc6-dev", "libcairo2-dev", "pkg-config"],
            ["libcairo2"],
        ),
        (EXAMPLES / "native-python-magic", "bookworm", [], [], ["libmagic1"]),
        (EXAMPLES / "native-python-magic", "trixie", [], [], ["libmagic1t64"]),
        (EXAMPLES / "native-lxml", "trixie", [], [], []),
        (EXAMPLES / "uv-flask", "trixie", [], [], []),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else None,
)
def test_real_locks(
    project: Path, debian: str, compile: list[str], build: list[str], runtime: list[str]
) -> None:
    the_plan = plan(inspect(project), Options(debian=debian))
    assert [c.name for c in the_plan.compiled] == compile
    assert list(the_plan.build_packages) == build
    assert list(the_plan.runtime_packages) == runtime
    assert the_plan.toolchain is bool(compile)


def test_extras_and_platforms_from_a_real_uv_lock() -> None:
    project = FIXTURES / "native-mix"  # psycopg[c], opencv-python, pysqlite3
    amd = plan(inspect(project))
    assert [c.name for c in amd.compiled] == ["psycopg-c"]
    assert "libpq5" in amd.runtime_packages and "libgl1" in amd.runtime_packages
    both = plan(inspect(project), Options(platforms=("linux/amd64", "linux/arm64")))
    assert [c.name for c in both.compiled] == ["psycopg-c", "pysqlite3"]
    assert "libsqlite3-dev" in both.build_packages
    assert any(
        r.topic == "platforms: pysqlite3" and "aarch64 only" in r.decision for r in both.reasons
    )


def test_no_compiler_when_every_package_has_a_wheel() -> None:
    dockerfile = render(plan(inspect(EXAMPLES / "poetry-fastapi"))).dockerfile
    for tool in ("gcc", "g++", "build-essential", "apt-get install"):
        assert tool not in dockerfile


@pytest.mark.parametrize(
    ("requirements", "runtime"),
    [
        ("psycopg==3.2.10\n", ["libpq5"]),
        ("psycopg==3.2.10\npsycopg-binary==3.2.10\n", []),
    ],
)
def test_psycopg_needs_libpq_unless_binary(
    tree: Tree, requirements: str, runtime: list[str]
) -> None:
    root = tree({"requirements.txt": requirements, ".python-version": "3.12\n"})
    assert list(plan(inspect(root)).runtime_packages) == runtime


def test_unknown_sdist_only_package_gets_a_compiler_and_a_warning() -> None:
    pkg = LockedPackage(name="obscure-ext", version="1.0", files=("obscure_ext-1.0.tar.gz",))
    t = native.target("3.12", "trixie", "linux/amd64")
    need = native.assess(pkg, t, frozenset())
    assert need.compiles and need.unknown


def test_unknown_compile_warning_in_plan(tree: Tree) -> None:
    root = tree({"requirements.txt": "obscure-ext @ https://example.org/obscure_ext-1.0.tar.gz\n"})
    the_plan = plan(inspect(root))
    assert "gcc" in the_plan.build_packages
    assert any("obscure-ext" in w and "packages.build" in w for w in the_plan.warnings)


@pytest.mark.parametrize(
    ("wheel", "release", "fits"),
    [
        ("x-1-cp312-cp312-manylinux_2_39_x86_64.whl", "bookworm", False),
        ("x-1-cp312-cp312-manylinux_2_39_x86_64.whl", "trixie", True),
        ("x-1-cp312-cp312-manylinux2014_x86_64.whl", "bookworm", True),
        ("x-1-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "bookworm", True),
        ("x-1-cp312-cp312-musllinux_1_2_x86_64.whl", "trixie", False),
        ("x-1-cp312-cp312-manylinux_2_17_aarch64.whl", "trixie", False),
        ("x-1-cp311-cp311-manylinux_2_17_x86_64.whl", "trixie", False),
        ("x-1-py3-none-any.whl", "bookworm", True),
    ],
)
def test_wheel_tags_per_release(wheel: str, release: str, fits: bool) -> None:
    t = native.target("3.12", release, "linux/amd64")
    assert native.wheel_fits([wheel, "x-1.tar.gz"], t) is fits


def test_markers_select_packages_per_target() -> None:
    pkg = LockedPackage(name="x", version="1", marker="platform_machine == 'aarch64'")
    assert native.applies(pkg, native.target("3.12", "trixie", "linux/arm64"))
    assert not native.applies(pkg, native.target("3.12", "trixie", "linux/amd64"))


def test_vcs_requirement_needs_git() -> None:
    pkg = LockedPackage(name="markupsafe", version=None, source=Source.VCS)
    need = native.assess(pkg, native.target("3.12", "trixie", "linux/amd64"), frozenset())
    assert "git" in need.languages
