"""1. The article's uwsgi + Pipenv example: our generated image against the article's
single-stage and multi-stage Dockerfiles, all built in this run on the same base.

Size = bytes of the image's root filesystem minus the base image's (builder.rootfs_bytes).
The lower bound is what the locked packages alone weigh once installed (the files their
RECORD lists, pip/setuptools/wheel excluded), read inside our image.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from common import (
    EXAMPLES,
    SEED_UWSGI,
    BuildError,
    GeneratorFailed,
    Session,
    ensure_bases,
    final_base,
    generate,
    hadolint,
    last_line,
    loadavg,
    log,
    now_iso,
)
from images import cmd_serves, command_runs, probe, size_over_base

EXAMPLE: Final = "pipenv-uwsgi"
SEED_README_MB: Final = {"article single-stage": 444, "article multi-stage": 36}


@dataclass(frozen=True)
class Variant:
    slug: str
    name: str
    base: str
    how: str  # where the Dockerfile comes from, for the table
    ours: bool
    generate_args: tuple[str, ...] = ()
    seed_dockerfile: str = ""


VARIANTS: Final = (
    Variant(
        "ours-bookworm",
        "ours (bookworm)",
        "python:3.11-slim-bookworm",
        "`pydocker-gen generate --debian bookworm`",
        ours=True,
        generate_args=("--debian", "bookworm"),
    ),
    Variant(
        "ours-trixie",
        "ours (trixie, default)",
        "python:3.11-slim-trixie",
        "`pydocker-gen generate` (default Debian)",
        ours=True,
    ),
    Variant(
        "article-single",
        "article single-stage",
        "python:3.11-slim-bookworm",
        "seed `single-stage.Dockerfile`",
        ours=False,
        seed_dockerfile="single-stage.Dockerfile",
    ),
    Variant(
        "article-multi",
        "article multi-stage",
        "python:3.11-slim-bookworm",
        "seed `multi-stage.Dockerfile`",
        ours=False,
        seed_dockerfile="multi-stage.Dockerfile",
    ),
)


def _article_context(session: Session, variant: Variant) -> tuple[Path, Path]:
    """The seed Pipfile and app, the example's Pipfile.lock, and the article's Dockerfile."""
    ctx = session.scratch / f"uwsgi-{variant.slug}"
    ctx.mkdir()
    shutil.copy(SEED_UWSGI / "Pipfile", ctx / "Pipfile")
    shutil.copytree(SEED_UWSGI / "app", ctx / "app")
    shutil.copy(EXAMPLES / EXAMPLE / "Pipfile.lock", ctx / "Pipfile.lock")
    dockerfile = ctx / "Dockerfile"
    shutil.copy(SEED_UWSGI / variant.seed_dockerfile, dockerfile)
    for path in ctx.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the seed copy is read-only
    ctx.chmod(0o755)
    return ctx, dockerfile


def _committed_matches(generated: Path) -> str:
    committed = EXAMPLES / EXAMPLE / "Dockerfile"
    if not committed.is_file():
        return "is not there (yet)"
    same = committed.read_text() == generated.read_text()
    return "is identical to" if same else "**differs** from"


def measure_variant(session: Session, variant: Variant) -> dict[str, Any]:
    row: dict[str, Any] = {"slug": variant.slug, "name": variant.name, "how": variant.how}
    try:
        if variant.ours:
            ctx = session.copy_example(EXAMPLE, f"uwsgi-{variant.slug}")
            dockerfile = generate(ctx, *variant.generate_args)
            base = final_base(dockerfile)
            if not variant.generate_args:
                row["committed"] = _committed_matches(dockerfile)
        else:
            ctx, dockerfile = _article_context(session, variant)
            base = variant.base
    except GeneratorFailed as exc:
        row.update(status="generator failed", error=str(exc))
        return row
    row["base"] = base
    row["hadolint"] = hadolint(dockerfile)
    # pip's wheel cache is keyed by the sdist, not by Debian: through a shared cache mount
    # the trixie build would reuse the uwsgi wheel compiled on bookworm (or on whatever
    # base built it first on this machine), so each of our builds gets a cache of its own
    row["cache_mounts_isolated"] = len(session.isolate_cache_mounts(dockerfile, variant.slug))
    tag = session.tag(f"uwsgi-{variant.slug}")
    log(f"sizes: building {variant.name}")
    try:
        built = session.build(ctx, tag, dockerfile)
    except BuildError as exc:
        row.update(status="build failed", error=last_line(exc.tail))
        return row
    row.update(status="ok", build_seconds=round(built.seconds, 1))
    ensure_bases(session, [base])
    row.update(size_over_base(session, tag, base))
    row["uwsgi_version"] = command_runs(session, tag, ["uwsgi", "--version"])
    config = session.builder.image_config(tag)
    row["cmd"] = config.get("Cmd")
    row["user"] = config.get("User")
    row["cmd_serves"] = cmd_serves(session, tag, config)
    found = probe(session, tag)
    row["probe"] = found
    if variant.ours and "packages_bytes" in found:
        row["packages_bytes"] = found["packages_bytes"]
        row["overhead_bytes"] = row["over_base_bytes"] - found["packages_bytes"]
    return row


def run(session: Session) -> dict[str, Any]:
    ensure_bases(session, sorted({v.base for v in VARIANTS}))
    result: dict[str, Any] = {"measured_at": now_iso(), "loadavg_start": loadavg()}
    result["rows"] = rows = [measure_variant(session, v) for v in VARIANTS]
    result["bases"] = {
        b: {"rootfs_bytes": session.builder.rootfs_bytes(b), "layers": session.builder.layers(b)}
        for b in sorted({r["base"] for r in rows if "base" in r})
    }
    result["seed_readme_mb"] = SEED_README_MB
    return result
