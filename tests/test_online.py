"""--online: file names of a hash-only lock, from a PEP 691 index, recorded for offline use."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from pydocker_gen.planner import plan
from pydocker_gen.reader import inspect, online

Tree = Callable[[Mapping[str, str]], Path]
HASH = "a" * 64


class Index(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Index.requests.append(self.path)
        if self.path != "/simple/fancy-ext/" or "pypi.simple.v1+json" not in self.headers["Accept"]:
            self.send_error(404)
            return
        body = json.dumps(
            {
                "files": [
                    {"filename": "fancy_ext-1.0.tar.gz", "hashes": {"sha256": HASH}},
                    {
                        "filename": "fancy_ext-1.0-cp312-cp312-win_amd64.whl",
                        "hashes": {"sha256": "b" * 64},
                    },
                ]
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
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
    assert (learned, problems) == (1, [])
    record = json.loads((root / online.RECORD).read_text())
    assert record["files"] == {"fancy-ext==1.0": ["fancy_ext-1.0.tar.gz"]}

    after = plan(inspect(root))  # offline now: the record answers
    assert [c.name for c in after.compiled] == ["fancy-ext"]
    assert any("fancy-ext" in w for w in after.warnings)

    Index.requests.clear()
    (root / online.RECORD).unlink()
    assert online.look_up(root, inspect(root).packages, index=index) == (1, [])
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
