"""The article's uwsgi + Pipenv example: our generated image against the article's
single-stage and multi-stage Dockerfiles, all built in this run on the same base.

Size = bytes of the image's root filesystem minus the base image's. The lower bound is what
the locked packages alone weigh once installed (the files their RECORD lists, pip,
setuptools and wheel excluded), read inside our image.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Final, NamedTuple

from bench.common import (
    EXAMPLES,
    SHARED,
    GeneratorFailed,
    Session,
    final_base,
    generate,
    hadolint,
    log,
)
from tests.support.builder import BuildError
from tests.support.probes import last_line, serves

EXAMPLE: Final = "pipenv-uwsgi"
SEED: Final = SHARED / "seed" / "uwsgi-pipenv"
# buildah: 'exec: "uwsgi": executable file not found in $PATH' (run together with its other
# messages on one line)
NOT_FOUND: Final = re.compile(r"(exec: \S+: executable file not found in \$PATH)")


class Variant(NamedTuple):
    slug: str
    name: str
    how: str  # where the Dockerfile comes from, for the table
    generate_args: tuple[str, ...] | None  # None: the article's Dockerfile below
    seed_dockerfile: str = ""


VARIANTS: Final = (
    Variant(
        "ours-bookworm", "ours (bookworm)", "`generate --debian bookworm`", ("--debian", "bookworm")
    ),
    Variant("ours-trixie", "ours (trixie, default)", "`generate`", ()),
    Variant(
        "article-single",
        "article single-stage",
        "seed `single-stage.Dockerfile`",
        None,
        "single-stage.Dockerfile",
    ),
    Variant(
        "article-multi",
        "article multi-stage",
        "seed `multi-stage.Dockerfile`",
        None,
        "multi-stage.Dockerfile",
    ),
)
ARTICLE_BASE: Final = "python:3.11-slim-bookworm"


def _article_context(session: Session, variant: Variant) -> Path:
    """The seed Pipfile and app, the example's Pipfile.lock, and the article's Dockerfile."""
    ctx = session.scratch / f"uwsgi-{variant.slug}"
    ctx.mkdir()
    shutil.copy(SEED / "Pipfile", ctx / "Pipfile")
    shutil.copytree(SEED / "app", ctx / "app")
    shutil.copy(EXAMPLES / EXAMPLE / "Pipfile.lock", ctx / "Pipfile.lock")
    shutil.copy(SEED / variant.seed_dockerfile, ctx / "Dockerfile")
    for path in [ctx, *ctx.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # the seed copy is read-only
    return ctx


def uwsgi_runs(session: Session, tag: str) -> dict[str, Any]:
    proc = session.builder.run(tag, ["uwsgi", "--version"], timeout=120)
    if proc.returncode == 0:
        return {"ok": True, "detail": last_line(proc.stdout)[:160]}
    missing = NOT_FOUND.search(proc.stderr)
    detail = missing.group(1) if missing else last_line(proc.stderr) or last_line(proc.stdout)
    return {"ok": False, "detail": detail[:160]}


def measure(session: Session, variant: Variant) -> dict[str, Any]:
    row: dict[str, Any] = {"slug": variant.slug, "name": variant.name, "how": variant.how}
    if variant.generate_args is None:
        ctx, base = _article_context(session, variant), ARTICLE_BASE
    else:
        ctx = session.copy_example(EXAMPLE, f"uwsgi-{variant.slug}")
        try:
            base = final_base(generate(ctx, *variant.generate_args))
        except GeneratorFailed as exc:
            return {**row, "status": "generator failed", "error": str(exc)}
    dockerfile = ctx / "Dockerfile"
    row.update(base=base, hadolint=hadolint(dockerfile))
    # pip's wheel cache is keyed by the sdist, not by Debian: each build gets a cache of its own
    session.isolate_cache_mounts(dockerfile, variant.slug)
    tag = session.tag(f"uwsgi-{variant.slug}")
    log(f"sizes: building {variant.name}")
    try:
        built = session.build(ctx, tag, dockerfile)
    except BuildError as exc:
        return {**row, "status": "build failed", "error": last_line(exc.tail)}
    session.bases([base])
    row.update(status="ok", build_seconds=round(built.seconds, 1))
    row.update(session.size_over_base(tag, base))
    row["uwsgi_version"] = uwsgi_runs(session, tag)
    ok, detail = serves(session.builder, tag, session.builder.image_config(tag))
    row["cmd_serves"] = {"ok": ok, "detail": detail}
    found = session.installed(tag)
    if variant.generate_args is not None and "packages_bytes" in found:
        row["packages_bytes"] = found["packages_bytes"]
        row["overhead_bytes"] = row["over_base_bytes"] - found["packages_bytes"]
    return row


def run(session: Session) -> dict[str, Any]:
    session.bases([ARTICLE_BASE, "python:3.11-slim-trixie"])
    return {"rows": [measure(session, v) for v in VARIANTS]}
