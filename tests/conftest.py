from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "projects"
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"


def generated_dockerfiles() -> list[Path]:
    """Every Dockerfile snapshot: golden fixtures and the examples' committed files."""
    return sorted([*GOLDEN.glob("fixtures/*/Dockerfile"), *EXAMPLES.glob("*/Dockerfile")])


def pytest_configure(config: pytest.Config) -> None:
    # The --online look-ups' cache is the test session's own, never the developer's
    # (subprocesses inherit it too).
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="pydocker-gen-test-cache-")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden from current output"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[Mapping[str, str]], Path]:
    """Write a project inline: {relative path: content} -> its root (copier's build_file_tree)."""

    def build(files: Mapping[str, str]) -> Path:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return tmp_path

    return build


@pytest.fixture
def project_copy(tmp_path: Path) -> Callable[[Path], Path]:
    """A writable copy of a fixture project or example."""

    def copy(src: Path) -> Path:
        dest = tmp_path / src.name
        shutil.copytree(src, dest)
        return dest

    return copy
