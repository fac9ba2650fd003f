from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _hooks() -> dict[str, dict[str, object]]:
    data = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return {h["id"]: h for h in data}


def test_hooks_run_the_cli_without_filenames() -> None:
    hooks = _hooks()
    assert hooks["pydocker-gen-check"]["entry"] == "pydocker-gen check"
    assert hooks["pydocker-gen-generate"]["entry"] == "pydocker-gen generate"
    assert all(h["pass_filenames"] is False and h["language"] == "python" for h in hooks.values())


@pytest.mark.parametrize(
    ("path", "triggers"),
    [
        ("uv.lock", True),
        ("sub/poetry.lock", True),
        ("Pipfile.lock", True),
        ("pdm.lock", True),
        ("pylock.toml", True),
        ("pylock.prod.toml", True),
        ("requirements-dev.txt", True),
        ("requirements.in", True),
        (".python-version", True),
        ("pyproject.toml", True),
        ("Dockerfile", True),
        ("pydocker-gen.toml", True),
        ("app.py", False),
        ("README.md", False),
        ("docs/requirements.md", False),
    ],
)
def test_hooks_trigger_on_dependency_files(path: str, triggers: bool) -> None:
    pattern = str(_hooks()["pydocker-gen-check"]["files"])
    assert bool(re.search(pattern, path)) is triggers
