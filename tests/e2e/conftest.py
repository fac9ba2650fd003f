"""Fixtures for the end-to-end tests: a real image builder and throwaway image tags.

Every test under tests/e2e is marked `e2e`; without docker or buildah they are skipped with
the reason, never passed silently. Run only these with `pytest -m e2e`, skip them with
`-m "not e2e"`. The builder itself is tests/support/builder.py, shared with bench/.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.builder import Builder, detect, ensure_bases, why_unavailable

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def builder() -> Builder:
    found = detect()
    if found is None:
        pytest.skip(f"e2e: no image builder available ({why_unavailable()})")
    problem = ensure_bases(found)
    if problem:
        pytest.fail(problem, pytrace=False)
    return found


@pytest.fixture
def unique_tag(builder: Builder, request: pytest.FixtureRequest) -> Iterator[str]:
    """localhost/pydocker-gen-test/<test name>:<short uuid>, removed after the test."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60] or "test"
    tag = f"localhost/pydocker-gen-test/{name}:{uuid.uuid4().hex[:10]}"
    yield tag
    builder.remove(tag)
