"""`pydocker-gen new`: the cookiecutter template gives a locked project with a current Dockerfile."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pydocker_gen.cli import main


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_new_project_is_locked_and_its_dockerfile_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    assert shutil.which("uv"), "uv is a test dependency"
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    monkeypatch.chdir(tmp_path)
    args = [
        "new",
        str(tmp_path),
        "--no-input",
        "--set",
        "python=3.11",
        "--set",
        f"framework={framework}",
        "--set",
        "project_name=Shop Api",
    ]
    assert main(args) == 0
    project = tmp_path / "shop-api"
    assert (project / "uv.lock").is_file()
    dockerfile = (project / "Dockerfile").read_text()
    assert "uv sync --locked" in dockerfile
    server = "uvicorn" if framework == "fastapi" else "gunicorn"
    assert f'CMD ["{server}"' in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert main(["check", str(project)]) == 0


def test_bad_set_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", str(tmp_path), "--set", "framework"]) == 2
    assert "error: --set: 'framework' is not KEY=VALUE." in capsys.readouterr().err
