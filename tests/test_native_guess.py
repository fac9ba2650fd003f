"""Hash-only locks: wheel facts from the knowledge table are a guess for other releases.

The corpus's Pipfile.locks (paperless-ngx-pipenv, saleor-2019) list hashes but no file names.
Offline, without the record ``plan --online`` writes, the planner judges their wheels from the
table, whose wheel matrix describes the latest release: the plan must say so and suggest
``--online``. With ``--online`` (a local index here, never the network) the files behind the
hashes are recorded and the plan builds from source exactly what pip found without a wheel
(corpus.toml's ``must_compile``).
"""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from packaging.utils import canonicalize_name

from pydocker_gen.planner import native, plan
from pydocker_gen.planner.model import Plan
from pydocker_gen.reader import inspect, online

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
PROJECTS: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "corpus.toml").read_text())
HASH_ONLY = ("paperless-ngx-pipenv", "saleor-2019")
# What pip found with a manylinux wheel for the locked version (the strict xfails' text).
WHEELS_EXIST = {
    "paperless-ngx-pipenv": {
        "numpy", "pikepdf", "pillow", "rapidfuzz", "regex", "rpds-py", "scikit-learn", "scipy",
    },
    "saleor-2019": {"cffi", "lxml", "markupsafe", "pillow", "psycopg2-binary"},
}  # fmt: skip


def _copy(name: str, dest: Path) -> Path:
    """The corpus project as a user without the record would have it."""
    root = dest / name
    shutil.copytree(CORPUS / name, root)
    (root / online.RECORD).unlink()
    return root


def _plan(root: Path, name: str) -> Plan:
    facts = inspect(root)
    if facts.python.pin is None:
        facts = replace(facts, python=replace(facts.python, pin=PROJECTS[name]["python"]))
    return plan(facts)


@pytest.mark.parametrize("name", HASH_ONLY)
def test_offline_compiles_on_a_guess_say_so_and_suggest_online(name: str, tmp_path: Path) -> None:
    the_plan = _plan(_copy(name, tmp_path), name)
    compiled = {c.name: c for c in the_plan.compiled}
    assert WHEELS_EXIST[name] <= set(compiled)  # still the table's guess, but now said
    for pkg in WHEELS_EXIST[name]:
        assert "the lock lists no file names" in compiled[pkg].why, compiled[pkg].why
        assert "is a guess from another release" in compiled[pkg].why
        (reason,) = [r for r in the_plan.reasons if r.topic == f"compile {pkg}"]
        assert reason.why == compiled[pkg].why
    (warning,) = [w for w in the_plan.warnings if "plan --online" in w]
    named = warning.split(" (planned to compile)")[0].split("so for ", 1)[1].split(", ")
    assert WHEELS_EXIST[name] <= set(named)
    # Only packages compiled on a guess are named, not the pure-Python sdists built from source.
    guessed = {c.name for c in the_plan.compiled if "is a guess" in c.why}
    assert set(named) == guessed
    assert online.RECORD in warning


def test_the_locked_release_the_table_describes_is_no_guess(tree: Any) -> None:
    numpy = native.table().packages["numpy"]
    assert numpy.release is not None and "3.10" not in numpy.wheels["x86_64"]
    digest = "a" * 64
    root = tree(
        {
            "requirements.txt": f"numpy=={numpy.release} --hash=sha256:{digest}\n",
            ".python-version": "3.10\n",
        }
    )
    the_plan = plan(inspect(root))
    (c,) = the_plan.compiled
    assert "guess" not in c.why and "knowledge table" in c.why
    assert not [w for w in the_plan.warnings if "--online" in w]

    older = tree(
        {
            "requirements.txt": f"numpy==2.2.2 --hash=sha256:{digest}\n",
            ".python-version": "3.10\n",
        }
    )
    (c,) = plan(inspect(older)).compiled
    assert "a guess from another release" in c.why and numpy.release in c.why


def _pages(name: str) -> dict[str, list[dict[str, Any]]]:
    """PEP 691 pages of a local index holding the files the real index has behind the lock's
    hashes (as ``plan --online`` recorded them in the corpus)."""
    record = json.loads((CORPUS / name / online.RECORD).read_text())
    lock = json.loads((CORPUS / name / "Pipfile.lock").read_text())
    pages: dict[str, list[dict[str, Any]]] = {}
    for raw, entry in lock["default"].items():
        key = f"{canonicalize_name(raw)}=={entry['version'].lstrip('=')}"
        hashes = sorted(h.split(":", 1)[1] for h in entry["hashes"])
        files = record["files"][key]
        assert len(files) == len(hashes), key  # every file behind a hash, and no other
        pages.setdefault(f"/simple/{canonicalize_name(raw)}/", []).extend(
            {"filename": f, "url": f"/files/{f}", "hashes": {"sha256": h}}
            for f, h in zip(files, hashes, strict=True)
        )
    return pages


class Index(http.server.BaseHTTPRequestHandler):
    pages: ClassVar[Mapping[str, list[dict[str, Any]]]] = {}

    def do_GET(self) -> None:
        if self.path not in self.pages or "pypi.simple.v1+json" not in self.headers["Accept"]:
            self.send_error(404)
            return
        body = json.dumps({"files": self.pages[self.path]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[http.server.HTTPServer] = []

    def start(pages: Mapping[str, list[dict[str, Any]]]) -> str:
        handler = type("CorpusIndex", (Index,), {"pages": pages})
        server = http.server.HTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/simple"

    yield start
    for server in servers:
        server.shutdown()


@pytest.mark.parametrize("name", HASH_ONLY)
def test_online_records_the_files_and_the_plan_compiles_what_pip_found(
    name: str, tmp_path: Path, serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = _copy(name, tmp_path)
    committed = json.loads((CORPUS / name / online.RECORD).read_text())
    # The sdists' verdicts need the real archives (their sha256 is the lock's): they come
    # from the committed record, as from an earlier run; the files are looked up here.
    (root / online.RECORD).write_text(
        json.dumps({"index": committed["index"], "files": {}, "sdists": committed["sdists"]})
    )
    index = serve(_pages(name))
    learned, problems = online.look_up(root, inspect(root).packages, index=index)
    assert problems == [] and learned == len(committed["files"])
    assert json.loads((root / online.RECORD).read_text())["files"] == committed["files"]

    the_plan = _plan(root, name)  # offline: the record answers
    from_source = {c.name for c in the_plan.compiled} | set(the_plan.pure_builds)
    assert sorted(from_source) == PROJECTS[name]["must_compile"]
    assert not WHEELS_EXIST[name] & from_source
    assert not [w for w in the_plan.warnings if "--online" in w]


@pytest.mark.parametrize("name", HASH_ONLY)
def test_the_committed_record_is_what_plan_online_wrote(name: str) -> None:
    """Each recorded sdist verdict is for a file behind one of the lock's hashes."""
    record = json.loads((CORPUS / name / online.RECORD).read_text())
    lock = json.loads((CORPUS / name / "Pipfile.lock").read_text())
    hashes = {
        f"{canonicalize_name(k)}=={v['version'].lstrip('=')}": {
            h.split(":", 1)[1] for h in v["hashes"]
        }
        for k, v in lock["default"].items()
    }
    assert set(record["files"]) == set(hashes)
    for key, verdict in record["sdists"].items():
        assert verdict["sha256"] in hashes[key], key
        assert verdict["file"] in record["files"][key], key


def test_a_project_that_never_publishes_wheels_is_no_guess(tmp_path: Path) -> None:
    # uwsgi has no wheel in any release: compiling an older one is a fact, not a guess.
    from pydocker_gen.planner import plan
    from pydocker_gen.reader import inspect

    digest = "0" * 64  # only read, never installed
    (tmp_path / "requirements.txt").write_text(f"uwsgi==2.0.20 --hash=sha256:{digest}\n")
    the_plan = plan(inspect(tmp_path))
    assert [c.name for c in the_plan.compiled] == ["uwsgi"]
    assert not any("--online" in w for w in the_plan.warnings)
    assert "guess" not in the_plan.compiled[0].why
