"""Installer back ends: the same locked project installed by pip and by uv.

Each example is copied twice and generated twice: with the default back end (pip) and with
`backend = "uv"` in a `pydocker-gen.toml`. Both are built cold (a fresh tag, `--no-cache`,
cache mounts with ids of their own for the run, so pip's and uv's caches start empty); which
builds first alternates between examples. Measured per image: the build's wall-clock, the
dependency-install step alone (the builder-stage RUN carrying `--require-hashes`, its layer
commit included: buildah only, from the build's streamed output), the size over the base,
and the example's `verify` lines run in the image. The pip image is the baseline of its uv
image.
"""

from __future__ import annotations

from typing import Any, Final

from bench.common import GeneratorFailed, Session, final_base, generate, loadavg, log
from tests.support.builder import BuildError
from tests.support.probes import last_line, verify

EXAMPLES: Final = {
    "uwsgi": "pipenv-uwsgi",
    "fastapi": "poetry-fastapi",
    "starlette": "pdm-starlette",
    "psycopg2": "requirements-psycopg2",
}
INSTALL_MARK: Final = "--require-hashes"


def variant(session: Session, name: str, example: str, backend: str) -> dict[str, Any]:
    row: dict[str, Any] = {"backend": backend}
    ctx = session.copy_example(example, f"backends-{name}-{backend}")
    if backend == "uv":
        (ctx / "pydocker-gen.toml").write_text('backend = "uv"\n')
    try:
        dockerfile = generate(ctx)
    except GeneratorFailed as exc:
        return {**row, "status": "generator failed", "error": str(exc)}
    installs = [ln for ln in dockerfile.read_text().splitlines() if INSTALL_MARK in ln]
    if not installs or ("uv pip install" in installs[0]) != (backend == "uv"):
        return {**row, "status": "wrong back end", "error": (installs or ["no install"])[0]}
    row["base"] = base = final_base(dockerfile)
    session.bases([base])
    session.isolate_cache_mounts(dockerfile, f"{name}-{backend}")
    tag = session.tag(f"backends-{name}-{backend}")
    row["loadavg_before"] = loadavg()
    log(f"backends: {name} with {backend}, cold (--no-cache)")
    try:
        built = session.build(ctx, tag, dockerfile, no_cache=True)
    except BuildError as exc:
        return {**row, "status": "build failed", "error": last_line(exc.tail)}
    install = [s for s in built.after_from if s.verb == "RUN" and INSTALL_MARK in s.instruction]
    row.update(status="ok", build_seconds=round(built.seconds, 1))
    row["install_seconds"] = install[0].seconds if len(install) == 1 else None
    row.update(session.size_over_base(tag, base))
    checked = verify(session.builder, tag, ctx / "verify")
    row["verify"] = {"lines": checked.lines, "failed": list(checked.failed)}
    return row


def run(session: Session) -> dict[str, Any]:
    rows = []
    for i, (name, example) in enumerate(EXAMPLES.items()):
        order = ("uv", "pip") if i % 2 else ("pip", "uv")  # neither always meets a warmer cache
        built = {b: variant(session, name, example, b) for b in order}
        rows.append({"name": name, "example": example, "order": list(order), **built})
    return {"rows": rows}
