"""Fixtures for the end-to-end tests: a real image builder and throwaway image tags.

Every test under tests/e2e is marked `e2e`; without docker or buildah they are skipped with
the reason, never passed silently. Run only these with `pytest -m e2e`, skip them with
`-m "not e2e"`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SETUP_SCRIPT = REPO_ROOT / ".ci" / "setup-builder.sh"
SETUP_TIMEOUT = float(os.environ.get("PYDOCKER_GEN_SETUP_TIMEOUT", "3600"))

# builder.py sits beside this file; make it importable under any --import-mode
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from builder import BASE_IMAGES, Builder, detect, why_unavailable  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


def _ensure_bases(builder: Builder) -> None:
    """Build the buildah stand-in bases once if any is missing (docker pulls on demand)."""
    if builder.name != "buildah" or not builder.missing(BASE_IMAGES):
        return
    try:
        proc = subprocess.run(
            ["bash", str(SETUP_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{SETUP_SCRIPT} did not finish within {SETUP_TIMEOUT:.0f}s", pytrace=False)
    still = builder.missing(BASE_IMAGES)
    if proc.returncode != 0 or still:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        pytest.fail(
            f"{SETUP_SCRIPT} exit {proc.returncode}; missing bases {still}:\n{tail}", pytrace=False
        )


@pytest.fixture(scope="session")
def builder() -> Builder:
    found = detect()
    if found is None:
        pytest.skip(f"e2e: no image builder available ({why_unavailable()})")
    _ensure_bases(found)
    return found


@pytest.fixture
def unique_tag(builder: Builder, request: pytest.FixtureRequest) -> Iterator[str]:
    """localhost/pydocker-gen-test/<test name>:<short uuid>, removed after the test."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60] or "test"
    tag = f"localhost/pydocker-gen-test/{name}:{uuid.uuid4().hex[:10]}"
    yield tag
    builder.remove(tag)
