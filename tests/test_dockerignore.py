"""The .dockerignore never leaves out a file the Dockerfile copies."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pydocker_gen.cli import main
from pydocker_gen.dockerignore import excluded
from tests.conftest import generated_dockerfiles

Tree = Callable[[Mapping[str, str]], Path]
CASES = [p.parent for p in generated_dockerfiles()]


def _copy_sources(dockerfile: str) -> list[str]:
    sources = []
    for line in dockerfile.splitlines():
        if not line.startswith("COPY ") or "--from=" in line:
            continue
        args = line.removeprefix("COPY ")
        words = json.loads(args) if args.startswith("[") else shlex.split(args)
        sources += [w for w in words[:-1] if not w.startswith("--")]
    return sources


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_copied_files_survive_the_ignore_rules(case: Path) -> None:
    ignore = case / "dockerignore" if (case / "dockerignore").is_file() else case / ".dockerignore"
    patterns = ignore.read_text().splitlines()
    sources = _copy_sources((case / "Dockerfile").read_text())
    assert sources, "no COPY found"
    for src in sources:
        if src in (".", "./"):
            continue
        assert not excluded(src, patterns), f"{src} is excluded by the .dockerignore"


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        (".git/HEAD", [".git"], True),
        ("pkg/__pycache__/x.pyc", ["**/__pycache__"], True),
        (".env.local", [".env.*"], True),
        (".env.example", [".env.*", "!.env.example"], False),
        ("requirements.txt", ["*.txt", "!requirements.txt"], False),
        ("src/app.py", ["build"], False),
        ("build/lib/x.py", ["build"], True),
        ("keys/server.pem", ["**/*.pem"], True),
    ],
)
def test_matcher(path: str, patterns: list[str], expected: bool) -> None:
    assert excluded(path, patterns) is expected


def test_user_line_that_would_exclude_a_lock_is_dropped(tree: Tree) -> None:
    root = tree({"requirements.txt": "six==1.16.0\n", ".dockerignore": "*.txt\nnotes/\n"})
    assert main(["generate", str(root)]) == 0
    text = (root / ".dockerignore").read_text()
    assert "notes/" in text
    assert re.search(r"^#   \*\.txt  \(dropped", text, re.M)
    assert not excluded("requirements.txt", text.splitlines())
    # A second run reads the file the first wrote: nothing changes, the dropped rule stays said.
    assert main(["check", str(root)]) == 0
    assert main(["generate", str(root)]) == 0
    assert (root / ".dockerignore").read_text() == text
    assert text.count("(dropped") == 1
