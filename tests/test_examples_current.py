"""Each example's committed Dockerfile and .dockerignore are what `generate` writes now."""

from __future__ import annotations

from pathlib import Path

import pytest

from pydocker_gen.cli import main
from tests.conftest import EXAMPLES

PROJECTS = sorted(p for p in EXAMPLES.iterdir() if (p / "verify").is_file())


def test_examples_exist() -> None:
    names = {p.name for p in PROJECTS}
    assert {
        "pipenv-uwsgi",
        "requirements-psycopg2",
        "poetry-fastapi",
        "uv-flask",
        "pdm-starlette",
        "pylock-flask",
    } <= names


@pytest.mark.parametrize("example", PROJECTS, ids=[p.name for p in PROJECTS])
def test_committed_dockerfile_is_current(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(example)])
    assert code == 0, f"run: pydocker-gen generate {example}\n{capsys.readouterr().out}"
