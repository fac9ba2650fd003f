"""Layer cache on a real build: a code change reuses the dependency layers, a lock change not."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from tests.support.builder import Builder
from tests.support.buildlog import steps

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def step_cache(log: str) -> list[tuple[str, bool]]:
    """(instruction, reused from cache) for each build step, buildah or BuildKit."""
    return [(s.instruction, s.cached) for s in steps(log)]


def _install_step(steps: list[tuple[str, bool]]) -> tuple[str, bool]:
    return next(s for s in steps if "--no-install-local" in s[0])


@pytest.mark.parametrize(
    ("example", "code"),
    [
        ("uv-flask", "src/uv_flask/__init__.py"),  # the project is a package
        ("uv-local-libs", "libs/greeting/src/greeting/__init__.py"),  # an in-repo library
    ],
)
def test_code_change_reuses_dependency_layers_and_lock_change_reruns_install(
    builder: Builder, unique_tag: str, tmp_path: Path, example: str, code: str
) -> None:
    ctx = tmp_path / "ctx"
    shutil.copytree(EXAMPLES / example, ctx)
    builder.build(ctx, unique_tag)

    app = ctx / code
    app.write_text(app.read_text() + f"\n# changed {uuid.uuid4().hex}\n")
    code_change = step_cache(builder.build(ctx, unique_tag).log)
    install = _install_step(code_change)
    assert install[1], f"dependency install reran after a code-only change: {install[0]}"
    before_code = code_change[
        : next(i for i, s in enumerate(code_change) if s[0].startswith("COPY . "))
    ]
    assert all(cached for step, cached in before_code if not step.startswith("FROM ")), before_code
    rerun = [s for s, cached in code_change if not cached]
    print(f"code-only change: {len(rerun)} of {len(code_change)} steps rerun: {rerun}")

    lock = ctx / "uv.lock"
    lock.write_text(lock.read_text() + f"\n# lock touched {uuid.uuid4().hex}\n")
    lock_change = step_cache(builder.build(ctx, unique_tag).log)
    assert not _install_step(lock_change)[1], "dependency install was reused after a lock change"
