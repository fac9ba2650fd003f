"""2. examples/requirements-psycopg2: our image against a `docker init`-style Dockerfile.

The baseline is the single-stage file `docker init` teaches (slim base, pip install of the
requirements, code copied, non-root user, gunicorn). psycopg2 is the source package: it
compiles against libpq, so without gcc, libpq-dev and pg_config the baseline cannot build.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from common import (
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
from images import cmd_serves, probe, size_over_base

EXAMPLE: Final = "requirements-psycopg2"
BASELINE_BASE: Final = "python:3.12-slim-trixie"
DOCKER_INIT: Final = f"""\
# A `docker init`-style Dockerfile (single stage), as the benchmark's baseline.
FROM {BASELINE_BASE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN adduser --disabled-password --gecos "" --home /nonexistent --shell /sbin/nologin \\
    --no-create-home --uid 10001 appuser
USER appuser
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
"""
# the most telling lines of a failed pip build, best first
ERROR_PATTERNS: Final = (
    re.compile(r"pg_config executable not found", re.IGNORECASE),
    re.compile(r"^\s*error: [a-z-]+$", re.IGNORECASE),
    re.compile(r"error", re.IGNORECASE),
)


def error_lines(log_text: str) -> list[str]:
    lines = [ln.strip() for ln in log_text.splitlines() if ln.strip()]
    picked: list[str] = []
    for pattern in ERROR_PATTERNS:
        hit = next((ln for ln in lines if pattern.search(ln)), None)
        if hit and hit not in picked:
            picked.append(hit)
    return picked[:2] or [last_line(log_text)]


def verify(session: Session, tag: str, example: Path) -> dict[str, Any]:
    lines = [ln for ln in (example / "verify").read_text().splitlines() if ln.strip()]
    failed = []
    for line in lines:
        proc = session.builder.run(tag, ["sh", "-c", f"cd /app && {line}"])
        if proc.returncode != 0:
            failed.append(f"{line[:60]}: {last_line(proc.stderr) or last_line(proc.stdout)}")
    return {"lines": len(lines), "failed": failed}


def ours(session: Session) -> dict[str, Any]:
    row: dict[str, Any] = {"name": "ours", "how": "`pydocker-gen generate` (default)"}
    ctx = session.copy_example(EXAMPLE, "psycopg2-ours")
    try:
        dockerfile = generate(ctx)
    except GeneratorFailed as exc:
        row.update(status="generator failed", error=str(exc))
        return row
    row["base"] = base = final_base(dockerfile)
    row["hadolint"] = hadolint(dockerfile)
    row["cache_mounts_isolated"] = len(session.isolate_cache_mounts(dockerfile, "psycopg2-ours"))
    tag = session.tag("psycopg2-ours")
    log("docker-init: building ours")
    try:
        built = session.build(ctx, tag, dockerfile)
    except BuildError as exc:
        row.update(status="build failed", error=last_line(exc.tail))
        return row
    row.update(status="ok", build_seconds=round(built.seconds, 1))
    ensure_bases(session, [base])
    row.update(size_over_base(session, tag, base))
    row["verify"] = verify(session, tag, ctx)
    config = session.builder.image_config(tag)
    row["cmd"] = config.get("Cmd")
    row["user"] = config.get("User")
    row["cmd_serves"] = cmd_serves(session, tag, config)
    found = probe(session, tag)
    if "packages_bytes" in found:
        row["packages_bytes"] = found["packages_bytes"]
        row["overhead_bytes"] = row["over_base_bytes"] - found["packages_bytes"]
    return row


def baseline(session: Session) -> dict[str, Any]:
    row: dict[str, Any] = {"name": "docker init-style", "how": "single stage (below)"}
    row["base"] = BASELINE_BASE
    ctx = session.copy_example(EXAMPLE, "psycopg2-docker-init")
    dockerfile = ctx / "Dockerfile"
    dockerfile.write_text(DOCKER_INIT)
    row["hadolint"] = hadolint(dockerfile)
    tag = session.tag("psycopg2-docker-init")
    log("docker-init: building the docker init-style baseline (expected to fail)")
    try:
        built = session.build(ctx, tag, dockerfile, no_cache=True)
    except BuildError as exc:
        row.update(status="build failed", returncode=exc.returncode)
        row["error_lines"] = error_lines(exc.log)
        return row
    row.update(status="ok", build_seconds=round(built.seconds, 1))
    row.update(size_over_base(session, tag, BASELINE_BASE))
    row["verify"] = verify(session, tag, ctx)
    return row


def run(session: Session) -> dict[str, Any]:
    ensure_bases(session, [BASELINE_BASE])
    result: dict[str, Any] = {"measured_at": now_iso(), "loadavg_start": loadavg()}
    result["rows"] = [ours(session), baseline(session)]
    result["baseline_dockerfile"] = DOCKER_INIT
    return result
