"""A top-level-only requirements.txt (Django==5.2.1) builds an image in which Django runs:
pip resolved asgiref and sqlparse instead of installing the one line with --no-deps."""

from __future__ import annotations

import shutil
from pathlib import Path

from pydocker_gen.cli import main
from tests.conftest import FIXTURES
from tests.support.builder import Builder


def test_top_level_pins_image_imports_django_wsgi(
    builder: Builder, unique_tag: str, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "req-toplevel", root)
    (root / ".python-version").write_text("3.12\n")  # a base the e2e machines have
    assert main(["generate", str(root)]) == 0
    assert "--no-deps" not in (root / "Dockerfile").read_text()
    builder.build(root, unique_tag)
    probe = "import django.core.wsgi, asgiref, os; print(django.__version__, os.getuid())"
    result = builder.run(unique_tag, ["python", "-c", probe], user="10001:10001")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["5.2.1", "10001"]
