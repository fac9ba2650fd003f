from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pydocker_gen import cli
from pydocker_gen.cli import main

Tree = Callable[[Mapping[str, str]], Path]
FLASK = {
    "requirements.txt": "flask==3.1.3\ngunicorn==23.0.0\n",
    ".python-version": "3.12\n",
    "app.py": "from flask import Flask\napp = Flask(__name__)\n",
}


def test_generate_writes_both_files_and_is_deterministic(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(FLASK)
    assert main(["generate", str(root)]) == 0
    first = (root / "Dockerfile").read_bytes()
    assert (root / ".dockerignore").is_file()
    assert main(["generate", str(root)]) == 0
    assert (root / "Dockerfile").read_bytes() == first
    assert "is up to date" in capsys.readouterr().out
    text = first.decode()
    assert text.startswith("# syntax=docker/dockerfile:1\n")
    assert "FROM python:3.12-slim-trixie AS builder" in text
    assert 'CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]' in text


def test_stdout_writes_nothing(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(FLASK)
    assert main(["generate", "--stdout", str(root)]) == 0
    assert capsys.readouterr().out.startswith("# syntax=docker/dockerfile:1")
    assert not (root / "Dockerfile").exists()


def test_check_fails_on_new_native_dependency_and_passes_after_generate(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(FLASK)
    assert main(["generate", str(root)]) == 0
    assert main(["check", str(root)]) == 0
    with (root / "requirements.txt").open("a") as f:
        f.write("psycopg2==2.9.11\n")
    capsys.readouterr()
    assert main(["check", str(root)]) == 1
    diff = capsys.readouterr().out
    assert "+    && apt-get install --yes --no-install-recommends gcc libc6-dev libpq-dev" in diff
    assert main(["generate", str(root)]) == 0
    assert main(["check", str(root)]) == 0


def test_dependency_change_that_does_not_change_the_dockerfile_is_not_stale(tree: Tree) -> None:
    root = tree(FLASK)
    assert main(["generate", str(root)]) == 0
    (root / "requirements.txt").write_text("flask==3.1.2\ngunicorn==23.0.0\nidna==3.10\n")
    assert main(["check", str(root)]) == 0


def test_hand_edit_survives_generate_and_force_replaces_it(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(FLASK)
    assert main(["generate", str(root)]) == 0
    dockerfile = root / "Dockerfile"
    edited = dockerfile.read_text().replace("EXPOSE 8000", "EXPOSE 9000")
    dockerfile.write_text(edited)
    capsys.readouterr()
    assert main(["generate", str(root)]) == 2
    err = capsys.readouterr().err
    assert "\nerror: Dockerfile: was edited by hand" in "\n" + err  # after any warnings
    assert "--force" in err and "Traceback" not in err
    assert dockerfile.read_text() == edited
    assert main(["generate", "--force", str(root)]) == 0
    assert "EXPOSE 8000" in dockerfile.read_text()


def test_plan_json_has_the_documented_keys(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(FLASK)
    assert main(["plan", "--json", str(root)]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in (
        "python",
        "base_image",
        "manager",
        "lockfile",
        "toolchain",
        "compiled",
        "build_packages",
        "runtime_packages",
        "cmd",
        "port",
        "warnings",
    ):
        assert key in data
    assert data["python"] == "3.12"
    assert data["manager"] == "pip"
    assert data["toolchain"] is False
    assert data["cmd"] == ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
    assert data["port"] == 8000


def test_plan_explains_itself(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree({**FLASK, "requirements.txt": "psycopg2==2.9.11\n"})
    assert main(["plan", str(root)]) == 0
    out = capsys.readouterr().out
    assert "never Alpine" in out
    assert "compiles psycopg2 2.9.11" in out
    assert "runtime: libpq5" in out


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pyproject.toml": "[project\nname = 'x'\n"}, "error: pyproject.toml: is not valid TOML"),
        (
            {"requirements.txt": "flask==3\n", "pydocker-gen.toml": "prot = 80\n"},
            "error: pydocker-gen.toml: unknown key 'prot' (did you mean 'port'?)",
        ),
        (
            {"requirements.txt": "flask==3\n", "pydocker-gen.toml": "port = '80'\n"},
            "error: pydocker-gen.toml: 'port' must be an integer, not '80'",
        ),
        ({"Pipfile": "[packages]\nsix = '*'\n"}, "error: Pipfile: has no Pipfile.lock beside it"),
        ({"README": "nothing here"}, "has no Python project files"),
        (
            {
                "requirements.txt": "flask==3\n",
                ".python-version": "3.12\n",
                "runtime.txt": "python-3.11.4\n",
            },
            "error: .python-version: pins Python 3.12 (.python-version) but runtime.txt pins Python 3.11",
        ),
    ],
)
def test_bad_input_is_one_clear_error(
    tree: Tree, capsys: pytest.CaptureFixture[str], files: Mapping[str, str], expected: str
) -> None:
    root = tree(files)
    assert main(["generate", str(root)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert not (root / "Dockerfile").exists()


def test_missing_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["plan", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_internal_errors_are_reported_without_traceback(
    tree: Tree, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(cli, "plan", boom)
    assert main(["plan", str(tree(FLASK))]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: internal error (RuntimeError: kaput)")
    assert "Traceback" not in err


def test_init_keeps_a_hand_written_dockerfile_unless_forced(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree({**FLASK, "Dockerfile": "FROM python:3.12\n"})
    assert main(["init", "--yes", str(root)]) == 2
    assert (root / "Dockerfile").read_text() == "FROM python:3.12\n"
    assert main(["init", "--yes", "--force", str(root)]) == 0
    assert (root / "Dockerfile.orig").read_text() == "FROM python:3.12\n"
    assert "pydocker-gen-digest" in (root / "Dockerfile").read_text()
    assert "moved the existing Dockerfile" in capsys.readouterr().out


def test_existing_dockerignore_lines_are_kept(tree: Tree) -> None:
    root = tree({**FLASK, ".dockerignore": "data/\n*.sqlite3\n.git\n"})
    assert main(["generate", str(root)]) == 0
    text = (root / ".dockerignore").read_text()
    assert "data/\n*.sqlite3\n" in text
    assert text.count(".git\n") == 1
    assert main(["generate", str(root)]) == 0
    assert (root / ".dockerignore").read_text() == text


@pytest.mark.parametrize(
    ("pyproject", "lock", "command"),
    [
        ("[tool.uv]\npackage = false\n", "uv.lock", "uv lock"),
        ("[tool.poetry]\npackage-mode = false\n", "poetry.lock", "poetry lock"),
        ("[tool.pdm]\ndistribution = false\n", "pdm.lock", "pdm lock"),
    ],
)
def test_manifest_without_lock_names_the_command_and_can_proceed_unlocked(
    tree: Tree, capsys: pytest.CaptureFixture[str], pyproject: str, lock: str, command: str
) -> None:
    head = '[project]\nname = "x"\nversion = "1"\ndependencies = ["six"]\n'
    root = tree({"pyproject.toml": head + pyproject})
    assert main(["plan", str(root)]) == 2
    err = capsys.readouterr().err
    assert f"without {lock}" in err and f"Run `{command}`" in err
    (root / "pydocker-gen.toml").write_text("allow_unlocked = true\n")
    assert main(["plan", "--json", str(root)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lockfile"] is None and data["manager"] == "pip"
    assert any(f"No {lock}" in w for w in data["warnings"])
    [why] = [r["why"] for r in data["reasons"] if r["topic"] == "manager"]
    assert why.endswith(f"without {lock}, and allow_unlocked lets pip resolve"), why


def test_cache_mounts_are_separate_per_base_image(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    # A wheel compiled against one release's glibc must not be reused by another release.
    root = tree({**FLASK, "requirements.txt": "psycopg2==2.9.11\n"})
    mounts = []
    for debian in ("bookworm", "trixie"):
        assert main(["generate", "--stdout", "--debian", debian, str(root)]) == 0
        out = capsys.readouterr().out
        mounts.append([line for line in out.splitlines() if "--mount=type=cache" in line])
    assert mounts[0] and mounts[1] and mounts[0] != mounts[1]
    assert "id=pip-3.12-slim-bookworm" in mounts[0][0]


def test_uwsgi_without_die_on_term_gets_a_stopsignal(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(
        {
            "requirements.txt": "uwsgi==2.0.31\n",
            ".python-version": "3.12\n",
            "pydocker-gen.toml": 'cmd = ["uwsgi", "--http-socket", ":8000", "--module", "app:app"]\n',
        }
    )
    assert main(["generate", "--stdout", str(root)]) == 0
    assert "\nSTOPSIGNAL SIGINT\n" in capsys.readouterr().out
    (root / "pydocker-gen.toml").write_text(
        'cmd = ["uwsgi", "--die-on-term", "--module", "app:app"]\n'
    )
    assert main(["generate", "--stdout", str(root)]) == 0
    assert "STOPSIGNAL" not in capsys.readouterr().out


@pytest.mark.parametrize("name", [".python-version", "requirements.txt", "Procfile"])
def test_a_file_that_is_not_utf8_is_named(
    tree: Tree, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    root = tree(FLASK)
    (root / name).write_bytes(b"\xff\xfe3.12\n")
    assert main(["plan", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {name}: is not UTF-8 text (invalid start byte at byte 0).")
    assert "Traceback" not in err


def test_an_app_file_that_is_not_utf8_is_only_not_the_app(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree({**FLASK, "app.py": ""})
    (root / "app.py").write_bytes(b"\xff\xfe")
    assert main(["plan", "--json", str(root)]) == 0
    assert json.loads(capsys.readouterr().out)["cmd"] is None
