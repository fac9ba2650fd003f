"""--online: file names of a hash-only lock, from a PEP 691 index, recorded for offline use."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from pydocker_gen.facts import LockedPackage
from pydocker_gen.planner import native, plan
from pydocker_gen.reader import inspect, online

Tree = Callable[[Mapping[str, str]], Path]


def _sdist(top: str, files: Mapping[str, str]) -> bytes:
    """A real sdist archive: ``top/`` holding ``files``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


# Served by the local index: one sdist that compiles, one pure-Python one.
SDISTS = {
    "fancy_ext-1.0.tar.gz": _sdist(
        "fancy_ext-1.0",
        {
            "setup.py": "from setuptools import setup, Extension\n"
            "setup(ext_modules=[Extension('fancy', ['fancy.c'])])\n",
            "fancy.c": "int x;\n",
        },
    ),
    "plain_lib-2.0.tar.gz": _sdist(
        "plain_lib-2.0",
        {"setup.py": "from setuptools import setup\nsetup(name='plain-lib')\n", "plain.py": ""},
    ),
}
HASH = hashlib.sha256(SDISTS["fancy_ext-1.0.tar.gz"]).hexdigest()
PLAIN_HASH = hashlib.sha256(SDISTS["plain_lib-2.0.tar.gz"]).hexdigest()
PAGES = {
    "/simple/fancy-ext/": [
        {"filename": "fancy_ext-1.0.tar.gz", "url": "../../files/fancy_ext-1.0.tar.gz"},
        {"filename": "fancy_ext-1.0-cp312-cp312-win_amd64.whl", "url": "/files/none.whl"},
    ],
    "/simple/plain-lib/": [
        {"filename": "plain_lib-2.0.tar.gz", "url": "/files/plain_lib-2.0.tar.gz"},
    ],
}


class Index(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Index.requests.append(self.path)
        if self.path.startswith("/files/") and self.path[7:] in SDISTS:
            self._send(SDISTS[self.path[7:]], "application/octet-stream")
            return
        if self.path not in PAGES or "pypi.simple.v1+json" not in self.headers["Accept"]:
            self.send_error(404)
            return
        files = [
            {
                **f,
                "hashes": {
                    "sha256": hashlib.sha256(SDISTS[f["filename"]]).hexdigest()
                    if f["filename"] in SDISTS
                    else "b" * 64
                },
            }
            for f in PAGES[self.path]
        ]
        self._send(json.dumps({"files": files}).encode(), "application/vnd.pypi.simple.v1+json")

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def index() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/simple"
    server.shutdown()


def test_online_lookup_is_recorded_and_used_offline(
    tree: Tree, index: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tree(
        {"requirements.txt": f"fancy-ext==1.0 --hash=sha256:{HASH}\n", ".python-version": "3.12\n"}
    )
    before = plan(inspect(root))
    assert before.compiled == ()  # unknown, hash-only: assumed to have a wheel

    learned, problems = online.look_up(root, inspect(root).packages, index=index)
    assert (learned, problems) == (2, [])  # its files, then the verdict on its sdist
    record = json.loads((root / online.RECORD).read_text())
    assert record["files"] == {"fancy-ext==1.0": ["fancy_ext-1.0.tar.gz"]}
    assert record["sdists"]["fancy-ext==1.0"]["pure"] is False
    assert "ext_modules" in record["sdists"]["fancy-ext==1.0"]["why"]

    after = plan(inspect(root))  # offline now: the record answers
    assert [c.name for c in after.compiled] == ["fancy-ext"]
    assert any("fancy-ext" in w for w in after.warnings)

    Index.requests.clear()
    (root / online.RECORD).unlink()
    assert online.look_up(root, inspect(root).packages, index=index) == (2, [])
    assert Index.requests == []  # served from the disk cache


def test_unreachable_index_is_a_warning_not_a_failure(
    tree: Tree, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tree({"requirements.txt": f"fancy-ext==1.0 --hash=sha256:{HASH}\n"})
    learned, problems = online.look_up(
        root, inspect(root).packages, index="http://127.0.0.1:9/simple", timeout=2
    )
    assert learned == 0 and problems and problems[0].startswith("fancy-ext:")
    assert not (root / online.RECORD).exists()


def test_pure_sdist_found_online_needs_no_compiler(
    tree: Tree, index: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tree(
        {
            "requirements.txt": f"plain-lib==2.0 --hash=sha256:{PLAIN_HASH}\n",
            ".python-version": "3.12\n",
        }
    )
    assert online.look_up(root, inspect(root).packages, index=index) == (2, [])
    record = json.loads((root / online.RECORD).read_text())
    assert record["sdists"]["plain-lib==2.0"]["pure"] is True
    assert record["sdists"]["plain-lib==2.0"]["sha256"] == PLAIN_HASH

    Index.requests.clear()
    the_plan = plan(inspect(root))  # offline: the record answers
    assert Index.requests == []
    assert the_plan.compiled == () and the_plan.build_packages == ()
    assert not [w for w in the_plan.warnings if "plain-lib" in w]
    (reason,) = [r for r in the_plan.reasons if r.topic == "build plain-lib"]
    assert reason.why.startswith("builds from source, pure Python: no compiler")
    assert "--online opened its sdist" in reason.why


def test_a_lock_that_lists_urls_gets_the_same_verdict(
    index: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # As a uv.lock names it: the sdist's URL and its hash.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url = "https://files.example/packages/ab/plain_lib-2.0.tar.gz"
    pkg = LockedPackage(
        name="plain-lib", version="2.0", files=(url,), hashes=(f"sha256:{PLAIN_HASH}",)
    )
    assert online.look_up(tmp_path, [pkg], index=index) == (1, [])
    (seen,) = online.apply_record(tmp_path, [pkg])
    assert seen.sdist_pure is True
    need = native.assess(seen, native.target("3.12", "trixie", "linux/amd64"), frozenset())
    assert not need.compiles and not need.unknown and need.pure_build is not None


def test_an_sdist_that_is_not_the_locked_file_is_refused(
    tree: Tree, index: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pkg = LockedPackage(
        name="plain-lib",
        version="2.0",
        files=("plain_lib-2.0.tar.gz",),
        hashes=("sha256:" + "c" * 64,),
    )
    Index.requests.clear()
    learned, problems = online.look_up(tmp_path, [pkg], index=index)
    assert learned == 0 and "not the locked file" in problems[0]
    assert not (tmp_path / online.RECORD).exists()
    assert not [r for r in Index.requests if r.startswith("/files/")]  # nothing downloaded


def test_sdist_verdicts(tmp_path: Path) -> None:
    cases = {
        "a-1.tar.gz": ({"setup.py": "from setuptools import setup\nsetup()\n"}, True),
        "b-1.tar.gz": ({"setup.py": "setup()\n", "src/b/_speed.pyx": ""}, False),
        "c-1.tar.gz": ({"pyproject.toml": '[build-system]\nbuild-backend = "maturin"\n'}, False),
        "d-1.tar.gz": ({"setup.py": "setup(cffi_modules=['b.py:ffi'])\n"}, False),
        "e-1.tar.gz": ({"pyproject.toml": "", "rust/Cargo.toml": ""}, False),
        "f-1.tar.gz": ({"pyproject.toml": "", "docs/setup.py": "ext_modules"}, True),
        # C files to parse, not to build (pycparser 2.19)
        "h-1.tar.gz": ({"setup.py": "setup()\n", "examples/c_files/memmgr.c": ""}, True),
        "i-1.tar.gz": ({"setup.py": "setup()\n", "tests/c_files/x.c": "", "x/y.c": ""}, False),
        "j-1.tar.gz": ({"setup.py": "setup(ext_modules=m)\n", "tests/_t.c": ""}, False),
    }
    for name, (files, pure) in cases.items():
        archive = tmp_path / name
        archive.write_bytes(_sdist(name.removesuffix(".tar.gz"), files))
        assert online.sdist_verdict(archive).pure is pure, name
    broken = tmp_path / "g-1.tar.gz"
    broken.write_bytes(b"not an archive")
    assert online.sdist_verdict(broken).pure is False


def test_a_pinned_requirement_without_hashes_is_looked_up_by_its_version(
    tree: Tree, index: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Plain pinned requirements name neither files nor hashes: the pinned version picks them.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tree({"requirements.txt": "fancy-ext==1.0\n", ".python-version": "3.12\n"})
    assert plan(inspect(root)).compiled == ()
    learned, problems = online.look_up(root, inspect(root).packages, index=index)
    assert (learned, problems) == (1, [])  # its files; not sdist-only, so no sdist verdict
    record = json.loads((root / online.RECORD).read_text())
    assert record["files"] == {
        "fancy-ext==1.0": ["fancy_ext-1.0-cp312-cp312-win_amd64.whl", "fancy_ext-1.0.tar.gz"]
    }
    assert [c.name for c in plan(inspect(root)).compiled] == ["fancy-ext"]


def test_a_table_wheel_for_another_release_is_said_to_be_a_guess(tree: Tree) -> None:
    # cffi's row describes a release with cp314 wheels; 1.16.0 (awx's pin) has none.
    row = native.table().packages["cffi"]
    assert "3.14" in row.wheels["x86_64"] and row.release != "1.16.0"
    root = tree({"requirements.txt": "cffi==1.16.0\n", ".python-version": "3.14\n"})
    the_plan = plan(inspect(root))
    assert the_plan.compiled == ()
    (warning,) = [w for w in the_plan.warnings if "plan --online" in w]
    assert "for cffi (planned from wheels)" in warning
