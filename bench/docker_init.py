"""examples/requirements-psycopg2: our image against a `docker init`-style Dockerfile.

The baseline is the single-stage file `docker init` teaches (slim base, pip install of the
requirements, code copied, non-root user, gunicorn). psycopg2 is the source package: it
compiles against libpq, so without gcc, libpq-dev and pg_config the baseline cannot build.
"""

from __future__ import annotations

from typing import Any, Final

from bench.common import GeneratorFailed, Session, final_base, generate, hadolint, log
from tests.support.builder import BuildError
from tests.support.probes import last_line, serves, verify

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


def build_row(session: Session, name: str, ours: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name}
    ctx = session.copy_example(EXAMPLE, f"psycopg2-{name}")
    dockerfile = ctx / "Dockerfile"
    try:
        base = final_base(generate(ctx)) if ours else BASELINE_BASE
    except GeneratorFailed as exc:
        return {**row, "status": "generator failed", "error": str(exc)}
    if not ours:
        dockerfile.write_text(DOCKER_INIT)
    row.update(base=base, hadolint=hadolint(dockerfile))
    session.isolate_cache_mounts(dockerfile, f"psycopg2-{name}")
    tag = session.tag(f"psycopg2-{name}")
    log(f"docker-init: building {name}")
    try:
        built = session.build(ctx, tag, dockerfile, no_cache=True)
    except BuildError as exc:
        # the most telling line: pip's pg_config error if it is there
        hit = [ln.strip() for ln in exc.log.splitlines() if "pg_config executable" in ln]
        return {**row, "status": "build failed", "error": (hit or [last_line(exc.tail)])[0]}
    session.bases([base])
    row.update(status="ok", build_seconds=round(built.seconds, 1))
    row.update(session.size_over_base(tag, base))
    checked = verify(session.builder, tag, ctx / "verify")
    row["verify"] = {"lines": checked.lines, "failed": list(checked.failed)}
    ok, detail = serves(session.builder, tag, session.builder.image_config(tag))
    row["cmd_serves"] = {"ok": ok, "detail": detail}
    found = session.installed(tag)
    if ours and "packages_bytes" in found:
        row["packages_bytes"] = found["packages_bytes"]
    return row


def run(session: Session) -> dict[str, Any]:
    session.bases([BASELINE_BASE])
    rows = [build_row(session, "ours", True), build_row(session, "docker init-style", False)]
    return {"rows": rows, "baseline_dockerfile": DOCKER_INIT}
