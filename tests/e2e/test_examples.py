"""Build examples for real and check what is inside the image.

One example per package manager is built in the default buildkit profile (cache mounts), every
other example in the portable profile (no `RUN --mount`), each from a Dockerfile generated now
into a copy of the example; each example is built once, and both get the same checks.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pydocker_gen import managers
from pydocker_gen.cli import main
from pydocker_gen.planner import plan
from pydocker_gen.reader import inspect
from tests.support import probes
from tests.support.builder import PYTHON_VERSIONS, Builder

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = sorted(p for p in EXAMPLES_DIR.iterdir() if (p / "verify").is_file())
# One example per package manager, built in the default (buildkit) profile.
PER_MANAGER = {
    "pip": "requirements-psycopg2",
    "pipenv": "pipenv-uwsgi",
    "poetry": "poetry-fastapi",
    "uv": "uv-flask",
    "pdm": "pdm-starlette",
    "pylock": "pylock-flask",
}
PYTHON_FROM = re.compile(r"^(FROM\s+python:)(\d+\.\d+)(-)", re.MULTILINE)
NEWEST = PYTHON_VERSIONS[-1]


def _context(example: Path, tmp_path: Path, *options: str) -> Path:
    """A copy of the example, its Dockerfile generated with options, and things that must
    never reach the image."""
    ctx = tmp_path / example.name
    shutil.copytree(example, ctx)
    assert main(["generate", "--force", *options, str(ctx)]) == 0
    (ctx / ".env").write_text("SECRET_KEY=must-not-be-copied\n")
    (ctx / ".git").mkdir()
    (ctx / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (ctx / ".venv" / "bin").mkdir(parents=True)
    return ctx


def on_stand_in(dockerfile: Path) -> list[str]:
    """Build a planned Python the builder's bases lack (3.14, 3.15) on the newest there is;
    returns a note for each FROM changed."""
    text = dockerfile.read_text()
    planned = sorted({m.group(2) for m in PYTHON_FROM.finditer(text)} - set(PYTHON_VERSIONS))
    if not planned:
        return []

    def swap(m: re.Match[str]) -> str:
        return m.group(0) if m.group(2) in PYTHON_VERSIONS else f"{m.group(1)}{NEWEST}{m.group(3)}"

    dockerfile.write_text(PYTHON_FROM.sub(swap, text))
    return [
        f"planned Python {v} could not be built here: built on python:{NEWEST}" for v in planned
    ]


def build_and_check(builder: Builder, tag: str, example: Path, ctx: Path) -> None:
    """Build ctx and check the image: app user, the example's verify lines, no tools or
    secrets, read-only code, every shared library resolved, and its CMD serves if it should."""
    for note in on_stand_in(ctx / "Dockerfile"):
        print(f"{example.name}: NOTE {note}")
    result = builder.build(ctx, tag)
    print(f"{example.name}: built in {result.seconds:.0f}s, {result.steps_total} steps")

    config = builder.image_config(tag)
    assert config["User"] == "10001:10001"

    verified = probes.verify(builder, tag, example / "verify")
    print(verified.output)
    assert verified.failed == (), "verify lines failed:\n" + "\n".join(verified.failed)

    found = probes.hygiene(builder, tag)
    assert "error" not in found, found
    assert found["uid"] == 10001
    assert found["tools"] == [], "compiler or packaging tool in the final image"
    assert found["packaging_modules"] == []
    assert found["copied_secrets"] == [], ".env / VCS / venv folder copied into the image"
    assert found["unresolved"] == [], "\n".join(found["unresolved"])
    assert found["writable_code"] == [], "the app user can rewrite its code"

    if config["Cmd"] and config["ExposedPorts"]:
        ok, detail = probes.serves(builder, tag, config)
        assert ok, f"the server did not answer: {detail}"


PORTABLE = [p for p in EXAMPLES if p.name not in PER_MANAGER.values()]


@pytest.mark.parametrize("example", PORTABLE, ids=[p.name for p in PORTABLE])
def test_example_builds_and_runs(
    builder: Builder, unique_tag: str, example: Path, tmp_path: Path
) -> None:
    ctx = _context(example, tmp_path, "--profile", "portable")
    assert "--mount" not in (ctx / "Dockerfile").read_text()
    build_and_check(builder, unique_tag, example, ctx)


@pytest.mark.parametrize("manager", sorted(PER_MANAGER))
def test_example_builds_and_runs_in_the_buildkit_profile(
    builder: Builder, unique_tag: str, manager: str, tmp_path: Path
) -> None:
    example = EXAMPLES_DIR / PER_MANAGER[manager]
    assert plan(inspect(example)).manager == manager
    ctx = _context(example, tmp_path)
    assert "--mount=type=cache," in (ctx / "Dockerfile").read_text()
    build_and_check(builder, unique_tag, example, ctx)


def test_every_manager_has_a_buildkit_example() -> None:
    assert sorted(PER_MANAGER) == sorted(managers.names())


def test_stand_in_replaces_only_pythons_the_builder_lacks(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.15-slim-trixie AS builder\nFROM python:3.12-slim-trixie\n")
    notes = on_stand_in(dockerfile)
    assert dockerfile.read_text() == (
        f"FROM python:{NEWEST}-slim-trixie AS builder\nFROM python:3.12-slim-trixie\n"
    )
    assert notes == [f"planned Python 3.15 could not be built here: built on python:{NEWEST}"]
