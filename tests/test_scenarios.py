"""The declarative workflow end to end: init, check, a dependency change, regenerate."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pydocker_gen.cli import main

Tree = Callable[[Mapping[str, str]], Path]
PYPROJECT = """\
# Our service. Keep this comment.
[project]
name = "svc"            # the distribution name
version = "1.0"
requires-python = ">=3.12,<3.13"
dependencies = []

[tool.ruff]
line-length = 99        # house style

[tool.other]
z = 1
a = 2
"""


def test_fresh_project_lifecycle(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(
        {
            "requirements.txt": "flask==3.1.3\ngunicorn==23.0.0\n",
            ".python-version": "3.12\n",
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        }
    )
    assert main(["init", "--yes", str(root)]) == 0
    assert (root / "pydocker-gen.toml").is_file()
    first = (root / "Dockerfile").read_bytes()
    assert main(["check", str(root)]) == 0

    (root / "requirements.txt").write_text("flask==3.1.3\ngunicorn==23.0.0\nmysqlclient==2.2.7\n")
    capsys.readouterr()
    assert main(["check", str(root)]) == 1
    assert "default-libmysqlclient-dev" in capsys.readouterr().out

    assert main(["generate", str(root)]) == 0
    second = (root / "Dockerfile").read_bytes()
    assert second != first
    assert b"default-libmysqlclient-dev" in second
    assert main(["check", str(root)]) == 0
    assert main(["generate", str(root)]) == 0
    assert (root / "Dockerfile").read_bytes() == second  # byte-identical


def test_edited_configuration_makes_check_fail(tree: Tree) -> None:
    root = tree({"requirements.txt": "six==1.16.0\n", ".python-version": "3.12\n"})
    assert main(["init", "--yes", str(root)]) == 0
    with (root / "pydocker-gen.toml").open("a") as f:
        f.write("port = 7000\n")
    assert main(["check", str(root)]) == 1


def test_changed_python_pin_makes_check_fail(tree: Tree) -> None:
    root = tree({"requirements.txt": "six==1.16.0\n", ".python-version": "3.12\n"})
    assert main(["generate", str(root)]) == 0
    (root / ".python-version").write_text("3.13\n")
    assert main(["check", str(root)]) == 1


def test_init_asks_on_a_tty_and_keeps_pyproject_layout(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree({"pyproject.toml": PYPROJECT, "uv.lock": "", "requirements.txt": "six==1.16.0\n"})
    (root / "uv.lock").unlink()
    answers = iter(["python -m svc --serve", "8123"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(builtins, "input", lambda _prompt: next(answers))
    assert main(["init", str(root)]) == 0
    text = (root / "pyproject.toml").read_text()
    assert text.startswith(PYPROJECT)  # every comment, key and order kept
    assert "[tool.pydocker-gen]" in text
    assert 'cmd = ["python", "-m", "svc", "--serve"]' in text
    assert "port = 8123" in text
    dockerfile = (root / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "svc", "--serve"]' in dockerfile
    assert "EXPOSE 8123" in dockerfile


def test_init_without_tty_asks_nothing(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tree({"requirements.txt": "six==1.16.0\n"})

    def no_input(_prompt: str) -> str:
        raise AssertionError("asked without a TTY")

    monkeypatch.setattr(builtins, "input", no_input)
    assert main(["init", str(root)]) == 0
