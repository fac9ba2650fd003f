"""Layer cache on a real build: a code change reuses the dependency layers, a lock change not."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pytest
from builder import Builder

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def step_cache(log: str) -> list[tuple[str, bool]]:
    """(instruction, reused from cache) for each build step, buildah or BuildKit."""
    steps: list[tuple[str, bool]] = []
    if "STEP " in log:  # buildah: "[1/2] STEP 5/9: RUN ..." then "--> Using cache" if reused
        parts = re.split(r"^\[\d+/\d+\] STEP \d+/\d+: ", log, flags=re.M)[1:]
        for part in parts:
            first = part.splitlines()[0]
            steps.append((first, "--> Using cache" in part))
        return steps
    for match in re.finditer(r"^#(\d+) \[[^\]]+\] (.+)$", log, flags=re.M):  # BuildKit
        n, instruction = match.groups()
        steps.append((instruction, bool(re.search(rf"^#{n} CACHED$", log, flags=re.M))))
    return steps


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


def test_step_parser_reads_both_formats() -> None:
    buildah = (
        "[1/2] STEP 1/3: FROM python:3.12-slim-trixie AS builder\n"
        "[1/2] STEP 2/3: COPY uv.lock ./\n--> Using cache abc\n"
        "[1/2] STEP 3/3: RUN uv sync --no-install-project\n--> 123\n"
    )
    assert step_cache(buildah) == [
        ("FROM python:3.12-slim-trixie AS builder", False),
        ("COPY uv.lock ./", True),
        ("RUN uv sync --no-install-project", False),
    ]
    kit = (
        "#5 [builder 2/3] COPY uv.lock ./\n#5 CACHED\n#6 [builder 3/3] RUN uv sync\n#6 DONE 1.0s\n"
    )
    assert step_cache(kit) == [("COPY uv.lock ./", True), ("RUN uv sync", False)]
