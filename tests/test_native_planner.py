"""Which packages compile, per target, and what they need: over real locks and inline ones."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
import zipfile
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
            ["libpq5", "media-types"],
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
            ["libldap-2.5-0", "libldap-common", "libsasl2-2"],
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
        (EXAMPLES / "uv-flask", "trixie", [], [], ["media-types"]),
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
    the_plan = plan(inspect(EXAMPLES / "poetry-fastapi"))
    dockerfile = render(the_plan).dockerfile
    for tool in ("gcc", "g++", "build-essential"):
        assert tool not in dockerfile
    # The only Debian package is run-time data for the web framework, in the final stage.
    assert the_plan.build_packages == () and the_plan.runtime_packages == ("media-types",)
    assert dockerfile.count("apt-get install") == 1


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


# Issue 11: pure-Python projects published as sdists only are built without a compiler.
PURE_UV = ["crontab", "dkimpy", "flask-mail", "html2text", "jstyleson", "langdetect", "promise"]


@pytest.mark.parametrize(
    ("project", "built"),
    [
        (FIXTURES / "pure-sdists-uv", PURE_UV),
        # Hash-only: the table's wheel columns decide; flask-mail and html2text have one.
        (FIXTURES / "pure-sdists-req", ["crontab", "dkimpy", "jstyleson", "langdetect", "promise"]),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else None,
)
def test_pure_sdists_need_no_compiler(project: Path, built: list[str]) -> None:
    the_plan = plan(inspect(project))
    assert the_plan.compiled == () and the_plan.build_packages == () and not the_plan.toolchain
    assert not [w for w in the_plan.warnings if "compile from source" in w]
    reasons = {r.topic: r for r in the_plan.reasons}
    assert sorted(t.removeprefix("build ") for t in reasons if t.startswith("build ")) == built
    for name in built:
        assert reasons[f"build {name}"].why.startswith(
            "builds from source, pure Python: no compiler"
        )
        assert "knowledge table" in reasons[f"build {name}"].why
    assert "compile" not in reasons["python"].why  # they do not count when choosing Python
    dockerfile = render(the_plan).dockerfile
    assert "gcc" not in dockerfile and "libc6-dev" not in dockerfile


PURE_ROWS = sorted(n for n, row in native.table().packages.items() if row.sdist == "pure")


@pytest.mark.parametrize("name", PURE_ROWS)
def test_a_pure_row_never_compiles_whatever_the_lock(name: str) -> None:
    t = native.target("3.12", "trixie", "linux/amd64")
    shapes = [
        LockedPackage(name=name, version="1.0", files=(f"{name.replace('-', '_')}-1.0.tar.gz",)),
        LockedPackage(
            name=name,
            version="1.0",
            files=(f"https://files.example/{name.replace('-', '_')}-1.0.tar.gz",),
        ),
        LockedPackage(name=name, version="1.0", hashes=("sha256:" + "0" * 64,)),
    ]
    for pkg in shapes:
        need = native.assess(pkg, t, frozenset())
        assert not need.compiles and not need.unknown and need.languages == (), pkg
        row = native.table().packages[name]
        if pkg.files or not row.has_wheel(t):
            assert need.pure_build is not None and "knowledge table" in need.pure_build


# Issue 11: indexes quote file names (a local version's "+" is "%2B"). PyPI has no local
# versions, so this is the exact shape the PyTorch CPU index gives uv.lock, fed as it comes.
TORCH = "torch-2.13.0%2Bcpu-cp314-cp314-manylinux_2_28_x86_64.whl"


def test_quoted_wheel_names_are_decoded() -> None:
    plain = "torch-2.13.0+cpu-cp314-cp314-manylinux_2_28_x86_64.whl"
    assert native.file_name(TORCH) == plain
    assert native.file_name(f"https://index.example/whl/cpu/{TORCH}") == plain
    assert native.file_name(f"https://index.example/whl/cpu/{TORCH}#sha256=00") == plain


@pytest.mark.parametrize("file", [TORCH, f"https://index.example/whl/cpu/{TORCH}"])
def test_a_quoted_wheel_fits(file: str) -> None:
    t = native.target("3.14", "trixie", "linux/amd64")
    assert native.wheel_fits([file, "torch-2.13.0.tar.gz"], t) is True
    pkg = LockedPackage(name="torch-like", version="2.13.0+cpu", files=(file,))
    need = native.assess(pkg, t, frozenset())
    assert not need.compiles and need.why == "a wheel fits"
    arm = native.target("3.14", "trixie", "linux/arm64")
    assert native.wheel_fits([file], arm) is False


@pytest.mark.parametrize(
    ("requirements", "debian", "data"),
    [
        ("flask==3.1.3\n", "trixie", ["media-types"]),
        ("django==5.2.8\n", "bookworm", ["media-types"]),
        ("python-ldap==3.4.5\n", "bookworm", ["libldap-common"]),
        ("python-ldap==3.4.5\n", "trixie", []),  # OpenSSL finds the CA bundle itself
        ("requests==2.32.5\n", "trixie", []),
    ],
)
def test_runtime_data_packages_with_their_reason(
    tree: Tree, requirements: str, debian: str, data: list[str]
) -> None:
    root = tree({"requirements.txt": requirements, ".python-version": "3.12\n"})
    the_plan = plan(inspect(root), Options(debian=debian))
    for debian in data:
        assert debian in the_plan.runtime_packages
        (reason,) = [r for r in the_plan.reasons if r.topic == f"runtime data {debian}"]
        assert requirements.split("==")[0] in reason.why
    assert not {"media-types", "libldap-common"} - set(data) & set(the_plan.runtime_packages)


def _wheel(folder: Path, name: str, version: str, tag: str) -> str:
    """A minimal valid wheel (METADATA, WHEEL, RECORD); returns its file name."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{name.replace('-', '_')}/__init__.py": b"",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}.dist-info/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n".encode(),
    }
    record = "".join(
        f"{k},sha256={base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b'=').decode()},{len(v)}\n"
        for k, v in files.items()
    )
    files[f"{dist}.dist-info/RECORD"] = (record + f"{dist}.dist-info/RECORD,,\n").encode()
    filename = f"{dist}-{tag}.whl"
    with zipfile.ZipFile(folder / filename, "w") as z:
        for k, v in files.items():
            z.writestr(k, v)
    return filename


def test_a_real_uv_lock_from_an_explicit_index_with_quoted_names(tmp_path: Path) -> None:
    # The shape of a PyTorch CPU index lock, made by uv against a local index whose links
    # quote the local version's "+" (that index is not reachable here; PyPI forbids local
    # versions).
    uv = shutil.which("uv")
    assert uv, "uv is a test dependency"
    py = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    pages = tmp_path / "index" / "simple" / "demo-local"
    pages.mkdir(parents=True)
    wheel = _wheel(pages, "demo-local", "1.0+cpu", f"{py}-{py}-manylinux_2_17_x86_64")
    sha = hashlib.sha256((pages / wheel).read_bytes()).hexdigest()
    quoted = urllib.parse.quote(wheel)
    assert "%2B" in quoted
    (pages / "index.html").write_text(f'<a href="{quoted}#sha256={sha}">{wheel}</a>\n')
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "index")
    )
    handler.log_message = lambda *_: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0.1.0"\n'
        f'requires-python = "=={minor}.*"\ndependencies = ["demo-local"]\n\n'
        '[[tool.uv.index]]\nname = "local"\n'
        f'url = "http://127.0.0.1:{server.server_port}/simple"\nexplicit = true\n\n'
        '[tool.uv.sources]\ndemo-local = { index = "local" }\n'
    )
    try:
        proc = subprocess.run(
            [uv, "lock", "--python", sys.executable],
            cwd=project,
            capture_output=True,
            text=True,
            env={**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_CONFIG": "1"},
            check=False,
            timeout=120,
        )
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    assert (
        f"demo_local-1.0%2Bcpu-{py}-{py}-manylinux_2_17_x86_64.whl"
        in (project / "uv.lock").read_text()
    )

    facts = inspect(project)
    (pkg,) = [p for p in facts.packages if p.name == "demo-local"]
    assert "%2Bcpu" in pkg.files[0]  # as the lock writes it: decoded where tags are read
    amd = plan(facts, Options(debian="trixie"))
    assert amd.python == minor and amd.compiled == () and amd.build_packages == ()
    arm = plan(facts, Options(debian="trixie", platforms=("linux/arm64",)))
    assert [c.name for c in arm.compiled] == ["demo-local"]  # the tags were read: x86_64 only
