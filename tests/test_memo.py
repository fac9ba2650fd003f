"""The memo of `plan` (pydocker_gen/memo.py, fs.py): a hit prints exactly what a fresh plan
prints, and every change the reader could see makes it a miss.

Runs go through ``launch.main`` as the console script does; a run that reaches ``cli.main``
is a miss (counted), one answered before it is a hit.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pydocker_gen import cli, launch, memo
from tests.conftest import EXAMPLES, FIXTURES, ROOT

Tree = Callable[[Mapping[str, str]], Path]
Outcome = tuple[int, str, str]
PROJECTS = sorted(p for p in [*FIXTURES.iterdir(), *EXAMPLES.iterdir()] if p.is_dir())
FLASK = {
    "requirements.txt": "flask==3.1.3\ngunicorn==23.0.0\n",
    ".python-version": "3.12\n",
    "app.py": "from flask import Flask\napp = Flask(__name__)\n",
}


class Runs:
    """``launch.main`` as the console script calls it; ``misses`` counts runs that planned."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self.misses = 0
        self.capsys = capsys
        real = cli.main

        def counting(argv: list[str] | None = None, *, memoize: bool = False) -> int:
            self.misses += 1
            return real(argv, memoize=memoize)

        monkeypatch.setattr(cli, "main", counting)
        self._real = real

    def __call__(self, *argv: str) -> Outcome:
        code = launch.main(list(argv))
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def fresh(self, *argv: str) -> Outcome:
        """What a plan without any memo prints."""
        code = self._real([*argv, "--no-cache"])
        out = self.capsys.readouterr()
        return code, out.out, out.err


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Outside the project: the reader lists the project's root, so a cache inside it would
    # change what it sees.
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    monkeypatch.delenv(memo.OFF_ENV, raising=False)
    return folder / "pydocker-gen" / "plans"


@pytest.fixture
def runs(cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runs:
    return Runs(monkeypatch, capsys)


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("Dockerfile", ".dockerignore"))
    return dest


def _edit_in_place(path: Path, old: str, new: str) -> None:
    """Change the content but keep the size and the modification time."""
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert path.stat().st_mtime_ns == before.st_mtime_ns


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_a_hit_prints_what_a_fresh_plan_prints(project: Path, runs: Runs) -> None:
    for flags in ([], ["--json"]):
        argv = ("plan", *flags, str(project))
        expected = runs.fresh(*argv)
        before = runs.misses
        assert runs(*argv) == expected
        assert runs.misses == before + 1
        assert runs(*argv) == expected
        # Only a successful plan is kept; an error is looked at afresh every time.
        assert runs.misses == before + (1 if expected[0] == 0 else 2)


def test_an_edit_that_keeps_size_and_time_is_seen(tmp_path: Path, runs: Runs) -> None:
    root = _copy(EXAMPLES / "requirements-psycopg2", tmp_path / "p")
    first = runs("plan", str(root))
    assert "compiles psycopg2 2.9.13" in first[1]
    _edit_in_place(root / "requirements.txt", "psycopg2==2.9.13", "psycopg2==2.9.14")
    second = runs("plan", str(root))
    assert runs.misses == 2
    assert "compiles psycopg2 2.9.14" in second[1]
    assert second == runs.fresh("plan", str(root))


def test_new_and_removed_files_are_seen(tree: Tree, runs: Runs) -> None:
    root = tree(FLASK)
    assert "python:3.12-slim" in runs("plan", str(root))[1]
    (root / "Procfile").write_text("web: gunicorn app:app --bind 0.0.0.0:9000\n")
    assert "9000" in runs("plan", str(root))[1]
    (root / ".python-version").unlink()
    out = runs("plan", str(root))
    assert "python:3.12-slim" not in out[1]
    assert runs.misses == 3
    assert out == runs.fresh("plan", str(root))


def test_a_new_package_folder_is_seen(tree: Tree, runs: Runs) -> None:
    root = tree({"requirements.txt": "gunicorn==23.0.0\n"})
    assert "gunicorn" not in runs("plan", "--json", str(root))[1].split('"cmd"')[1][:40]
    (root / "svc").mkdir()
    (root / "svc" / "__init__.py").write_text("")
    (root / "svc" / "wsgi.py").write_text("def application(environ, start_response):\n    pass\n")
    out = runs("plan", "--json", str(root))
    assert "svc.wsgi:application" in out[1]
    assert runs.misses == 2


def test_an_included_requirements_file_is_seen(tmp_path: Path, runs: Runs) -> None:
    root = _copy(FIXTURES / "req-includes", tmp_path / "p")
    runs("plan", "--json", str(root))
    (root / "base.txt").write_text((root / "base.txt").read_text() + "psycopg2==2.9.12\n")
    out = runs("plan", "--json", str(root))
    assert '"psycopg2"' in out[1]
    assert runs.misses == 2


def test_the_configuration_is_seen(tmp_path: Path, runs: Runs) -> None:
    root = _copy(EXAMPLES / "uv-flask", tmp_path / "p")
    runs("plan", "--json", str(root))
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.pydocker-gen]\nport = 9999\n")
    out = runs("plan", "--json", str(root))
    assert '"port": 9999' in out[1]
    assert runs.misses == 2


def test_working_folder_and_arguments_are_part_of_the_key(
    tree: Tree, tmp_path: Path, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = tree(FLASK)
    b = _copy(a, tmp_path / "b")
    (b / ".python-version").write_text("3.13\n")
    monkeypatch.chdir(a)
    assert "3.12" in runs("plan")[1]
    monkeypatch.chdir(b)
    assert "3.13" in runs("plan")[1]
    assert "bookworm" in runs("plan", "--debian", "bookworm")[1]
    assert runs.misses == 3
    assert "3.13" in runs("plan")[1]
    assert runs.misses == 3


def test_another_build_of_pydocker_gen_is_a_miss(
    tree: Tree, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(FLASK)
    runs("plan", str(root))
    real = memo._code
    monkeypatch.setattr(memo, "_code", lambda: (*real(), "another build"))
    runs("plan", str(root))
    assert runs.misses == 2


def test_a_damaged_entry_is_a_miss(tree: Tree, runs: Runs, cache: Path) -> None:
    root = tree(FLASK)
    expected = runs("plan", str(root))
    (entry,) = cache.iterdir()
    for damage in (b"", b"garbage", entry.read_bytes()[:-7]):
        entry.write_bytes(damage)
        assert runs("plan", str(root)) == expected
    assert runs.misses == 4
    assert runs("plan", str(root)) == expected
    assert runs.misses == 4


def test_an_unwritable_cache_costs_only_speed(
    tree: Tree, runs: Runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    root = tree(FLASK)
    first = runs("plan", str(root))
    assert first[0] == 0
    assert runs("plan", str(root)) == first
    assert runs.misses == 2


def test_only_plan_is_memoized_and_it_can_be_turned_off(
    tree: Tree, runs: Runs, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(FLASK)
    for argv in (("check", str(root)), ("generate", "--stdout", str(root))):
        runs(*argv)
        runs(*argv)
    assert not cache.exists()
    runs("plan", "--no-cache", str(root))
    runs("plan", "--no-cache", str(root))
    monkeypatch.setenv(memo.OFF_ENV, "1")
    runs("plan", str(root))
    runs("plan", str(root))
    assert not cache.exists()
    assert runs.misses == 8


@pytest.mark.parametrize("project", ["flask", "poetry-local-lib"])
def test_a_hit_imports_nothing_heavy(tree: Tree, cache: Path, tmp_path: Path, project: str) -> None:
    """The point of the memo: no reader, planner, tomllib, packaging or argparse on a hit.

    Each run is a new interpreter, as the console script is. poetry-local-lib's plan imports
    poetry-core, which adds to sys.path: the entry must still be found."""
    root = tree(FLASK) if project == "flask" else _copy(EXAMPLES / project, tmp_path / project)
    show = "import sys; print(repr(sorted(sys.modules)), file=sys.stderr)"
    run = f"from pydocker_gen.launch import main; code = main(['plan', {str(root)!r}]); {show}"

    def modules(code: str) -> tuple[set[str], str]:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        return set(ast.literal_eval(proc.stderr.strip().splitlines()[-1])), proc.stdout

    bare, _ = modules(show)
    miss, miss_out = modules(run)
    hit, hit_out = modules(run)
    assert hit_out == miss_out and "python:3.12-slim" in hit_out
    assert {"packaging", "tomllib", "argparse"} <= miss - bare
    heavy = {"packaging", "tomllib", "argparse", "pathlib", "dataclasses", "typing", "json"}
    assert {m.split(".")[0] for m in hit - bare} & heavy == set()
    assert {m for m in hit - bare if m.startswith("pydocker_gen")} == {
        "pydocker_gen",
        "pydocker_gen.fs",
        "pydocker_gen.launch",
        "pydocker_gen.memo",
    }


# The memo's soundness rests on the reader and the configuration asking the disk only through
# fs.py. Calls that read or probe the file system any other way are not allowed there.
_PROBES = {
    "is_file",
    "is_dir",
    "exists",
    "is_symlink",
    "read_text",
    "read_bytes",
    "iterdir",
    "glob",
    "rglob",
    "stat",
    "lstat",
    "resolve",
    "samefile",
    "open",
    "listdir",
    "scandir",
    "realpath",
    "isfile",
    "isdir",
    "getmtime",
    "getsize",
}
_READER_MODULES = [
    *sorted((ROOT / "pydocker_gen" / "reader").glob("*.py")),
    ROOT / "pydocker_gen" / "config.py",
]


def _direct_disk_calls(source: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            out.append(f"line {node.lineno}: open()")
        elif isinstance(func, ast.Attribute):
            name = ast.unparse(func)
            owner = func.value
            if name in ("os.walk", "parser.read") or (
                func.attr in _PROBES and not (isinstance(owner, ast.Name) and owner.id == "fs")
            ):
                out.append(f"line {node.lineno}: {name}()")
    return sorted(out)


@pytest.mark.parametrize("module", _READER_MODULES, ids=lambda p: p.name)
def test_the_reader_reads_the_disk_only_through_fs(module: Path) -> None:
    assert _direct_disk_calls(module.read_text()) == []


def test_the_check_catches_direct_reads() -> None:
    """The check above is not vacuous: it flags the calls it is meant to flag."""
    sample = (
        "def f(p, q, parser):\n"
        "    parser.read(q)\n"
        "    return p.is_file() and open(p).read() and q.stat() and fs.is_file(p)\n"
    )
    assert _direct_disk_calls(sample) == [
        "line 2: parser.read()",
        "line 3: open()",
        "line 3: p.is_file()",
        "line 3: q.stat()",
    ]


_CREATE = st.sampled_from(
    [
        ("Procfile", "web: gunicorn app:app --bind 0.0.0.0:8123\n"),
        (".python-version", "3.13\n"),
        ("runtime.txt", "python-3.11.9\n"),
        ("requirements.txt", "flask==3.1.3\nlxml==6.0.2\n"),
        ("main.py", "if __name__ == '__main__':\n    print('hi')\n"),
        ("svc/__init__.py", ""),
        ("svc/wsgi.py", "def application(environ, start_response):\n    pass\n"),
        ("src/tool/__main__.py", "print('hi')\n"),
        ("pydocker-gen.toml", "port = 7000\n"),
        ("pydocker-gen.toml", "port = 'x'\n"),
        ("app.py", "from fastapi import FastAPI\napp = FastAPI()\n"),
        ("app.py", b"\xff\xfe not text".decode("latin-1")),
    ]
)
_MUTATION = st.one_of(
    st.tuples(st.just("create"), _CREATE),
    st.tuples(st.just("delete"), st.integers(0, 100)),
    st.tuples(st.just("edit"), st.tuples(st.integers(0, 100), st.integers(0, 10_000))),
)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _apply(root: Path, mutation: tuple[str, Any]) -> None:
    kind, arg = mutation
    files = _files(root)
    if kind == "create":
        rel, text = arg
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(text.encode("latin-1"))
    elif kind == "delete" and files:
        files[arg % len(files)].unlink()
    elif kind == "edit" and files:
        which, where = arg
        path = files[which % len(files)]
        data = bytearray(path.read_bytes())
        if data:
            before = path.stat()
            i = where % len(data)
            data[i] = ord("7") if data[i] != ord("7") else ord("8")  # same size, new content
            path.write_bytes(bytes(data))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start=st.sampled_from(["requirements-psycopg2", "uv-flask", "pipenv-uwsgi"]),
    mutations=st.lists(_MUTATION, min_size=1, max_size=3),
)
def test_after_any_change_the_memo_agrees_with_a_fresh_plan(
    tmp_path_factory: pytest.TempPathFactory,
    runs: Runs,
    start: str,
    mutations: list[tuple[str, Any]],
) -> None:
    root = _copy(EXAMPLES / start, tmp_path_factory.mktemp("memo") / start)
    runs("plan", str(root))
    for mutation in mutations:
        _apply(root, mutation)
        assert runs("plan", str(root)) == runs.fresh("plan", str(root)), mutation


def test_the_memo_folder_stays_bounded(
    tree: Tree, runs: Runs, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "KEEP", 3)
    root = tree(FLASK)
    variants = [
        [],
        ["--json"],
        ["--debian", "bookworm"],
        ["--profile", "portable"],
        ["--json", "--debian", "bookworm"],
    ]
    for flags in variants:
        runs("plan", *flags, str(root))
    assert len(list(cache.iterdir())) == 3
    # The newest entries survive: the last command line is still answered from the memo.
    runs("plan", *variants[-1], str(root))
    assert runs.misses == len(variants)


def test_pruning_keeps_the_entries_in_use(
    tree: Tree, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "KEEP", 2)
    root = tree(FLASK)
    busy = ("plan", "--json", str(root))
    runs(*busy)
    for flags in (["--debian", "bookworm"], ["--profile", "portable"], ["--debian", "trixie"]):
        time.sleep(0.05)  # file times tick coarsely: keep the order of uses visible
        runs("plan", *flags, str(root))  # a new entry: prunes the least recently used
        time.sleep(0.05)
        runs(*busy)  # answered from the memo, which marks its entry used
    assert runs.misses == 4


def test_a_vanished_working_folder_costs_only_speed(
    tmp_path: Path, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy(EXAMPLES / "uv-flask", tmp_path / "p")
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # os.getcwd() now fails: no key, no entry, same answer
    first = runs("plan", str(root))
    assert first[0] == 0 and "uv.lock" in first[1]
    assert runs("plan", str(root)) == first
    assert runs.misses == 2


def test_an_entry_of_another_user_is_ignored(
    tree: Tree, runs: Runs, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(FLASK)
    expected = runs("plan", str(root))
    runs("plan", str(root))
    assert runs.misses == 1
    monkeypatch.setattr(os, "getuid", lambda: 4242)  # as if another user owned the entry
    assert runs("plan", str(root)) == expected
    assert runs.misses == 2
