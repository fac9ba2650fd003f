"""5. Installer back ends: the same locked project installed by pip and by uv.

For each example below the run makes two copies: one keeps the default back end (pip), the
other says `backend = "uv"` (in `[tool.pydocker-gen]` of pyproject.toml for Poetry and PDM
projects, in a `pydocker-gen.toml` beside Pipfile / requirements.txt). Both are generated,
then built cold: a fresh tag, `--no-cache`, and cache mounts with ids of their own for the
run (so uv's and pip's caches start empty). Measured per image: the build's wall-clock, the
dependency-install step alone (the builder-stage RUN carrying `--require-hashes`, from the
export of the lock to the last installed wheel, its layer commit included), the size over the
base, and the example's `verify` lines run in the image. The pip copy is the baseline of its
uv copy; which of the two builds first alternates between examples, so that neither always
meets a warmer network or page cache.

Step times come from timestamping the builder's output as it streams: a buildah step runs
from its `STEP` line to the `-->` line that ends its commit. Docker (BuildKit) runs stages
concurrently and is not parsed here: there only the total is recorded.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from common import EXAMPLES as EXAMPLES_DIR
from common import (
    BuildError,
    BuildResult,
    GeneratorFailed,
    Session,
    ensure_bases,
    final_base,
    generate,
    last_line,
    loadavg,
    log,
    no_cache_builder,
    now_iso,
)
from docker_init import verify
from images import size_over_base

# isort: split
# tests/e2e/builder.py, which importing common put on sys.path
from builder import BUILD_TIMEOUT, BuildahBuilder, _kill_group

UV_SETTING: Final = 'backend = "uv"\n'


def _in_pyproject(ctx: Path) -> str:
    with (ctx / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(f"\n[tool.pydocker-gen]\n{UV_SETTING}")
    return "`[tool.pydocker-gen]` in pyproject.toml"


def _in_toml(ctx: Path) -> str:
    (ctx / "pydocker-gen.toml").write_text(UV_SETTING)
    return "`pydocker-gen.toml`"


@dataclass(frozen=True)
class Example:
    name: str
    example: str
    lock: str
    set_uv: Callable[[Path], str]  # writes the setting, returns how it was set


EXAMPLES: Final = (
    Example("uwsgi", "pipenv-uwsgi", "Pipfile.lock", _in_toml),
    Example("fastapi", "poetry-fastapi", "poetry.lock", _in_pyproject),
    Example("starlette", "pdm-starlette", "pdm.lock", _in_pyproject),
    Example("psycopg2", "requirements-psycopg2", "requirements.txt", _in_toml),
)

# buildah: "[1/2] STEP 5/5: RUN ..." opens a step; "--> 3f2a..." closes it (after the commit)
STEP_LINE: Final = re.compile(r"^(?:\[(\d+)/\d+\] )?STEP \d+/\d+: (\w+)\s*(.*)$")
INSTALL_MARK: Final = "--require-hashes"
UV_PIN: Final = re.compile(r"\buv==([\w.]+)")
# a wheel built from an sdist in the build: pip's and uv's wording
FROM_SOURCE: Final = re.compile(
    r"Building wheel for (\S+) \(|^\s*Built ([A-Za-z0-9_.-]+)==", re.MULTILINE
)
LOCK_WARNING: Final = re.compile(
    r"lock\S*\b.*\b(?:out of date|outdated|stale|(?:does not|doesn't) match)"
    r"|changed significantly since",
    re.IGNORECASE,
)


def stream_build(
    session: Session, ctx: Path, tag: str, dockerfile: Path
) -> tuple[BuildResult, list[tuple[float, str]]]:
    """A cold build (`--no-cache`, as Session.build(no_cache=True)), its output read line by
    line with the seconds since the start at which each line arrived."""
    builder = no_cache_builder(session.builder)
    argv = builder._build_argv(ctx, tag, dockerfile, None, {}, {})
    stamped: list[tuple[float, str]] = []
    start = time.monotonic()
    with subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=builder._env(),
        start_new_session=True,  # own process group, so the timeout can kill the whole tree
    ) as proc:
        watchdog = threading.Timer(BUILD_TIMEOUT, _kill_group, args=(proc,))
        watchdog.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                stamped.append((time.monotonic() - start, line.rstrip("\n")))
        finally:
            watchdog.cancel()
        returncode = proc.wait()
    seconds = time.monotonic() - start
    text = "\n".join(line for _, line in stamped)
    if returncode != 0:
        if seconds >= BUILD_TIMEOUT:
            text += f"\n[timed out after {BUILD_TIMEOUT:.0f}s]"
        raise BuildError(tag, returncode, text)
    total, cached = builder._count_steps(text)
    return BuildResult(tag, seconds, text, total, cached, total - cached), stamped


def step_times(stamped: list[tuple[float, str]]) -> list[dict[str, Any]]:
    """Each buildah step after FROM: stage, instruction (shortened) and seconds."""
    steps: list[dict[str, Any]] = []
    open_step: dict[str, Any] | None = None
    end = stamped[-1][0] if stamped else 0.0

    def close(at: float) -> None:
        nonlocal open_step
        if open_step is not None:
            open_step["seconds"] = round(at - open_step.pop("start"), 1)
            steps.append(open_step)
            open_step = None

    for at, line in stamped:
        m = STEP_LINE.match(line)
        if m:
            close(at)
            instr = m.group(2).upper()
            if instr != "FROM":
                open_step = {"stage": int(m.group(1) or 1), "full": f"{instr} {m.group(3)}"}
                open_step["start"] = at
        elif line.startswith("--> "):
            close(at)
    close(end)
    return steps


def _only_step(steps: list[dict[str, Any]], mark: re.Pattern[str] | str) -> int | None:
    """The index of the one RUN step whose instruction has mark, or None."""
    found = [
        i for i, s in enumerate(steps) if s["full"].startswith("RUN") and re.search(mark, s["full"])
    ]
    return found[0] if len(found) == 1 else None


def _installer_line(dockerfile: Path) -> str:
    """The generated line that installs the hashed requirements (shown in the report)."""
    for line in dockerfile.read_text().splitlines():
        if INSTALL_MARK in line:
            text = line.strip().removeprefix("&&").strip()
            return re.sub(r"\s+\\$", "", text)
    return ""


def _generate(ctx: Path, ex: Example, backend: str, row: dict[str, Any]) -> Path:
    """Set the back end in the copy and generate; GeneratorFailed passes through."""
    if backend == "pip":
        row["setting"] = "default"
        return generate(ctx)
    row["setting"] = ex.set_uv(ctx)
    try:
        return generate(ctx)
    except GeneratorFailed as exc:
        if ex.set_uv is not _in_pyproject or "out of date" not in exc.error:
            raise
        # The appended table made the lock look stale: say it in pydocker-gen.toml instead.
        row["pyproject_made_lock_stale"] = exc.error
        original = EXAMPLES_DIR / ex.example / "pyproject.toml"
        (ctx / "pyproject.toml").write_text(original.read_text())
        row["setting"] = _in_toml(ctx)
        return generate(ctx)


def variant(session: Session, ex: Example, backend: str) -> dict[str, Any]:
    row: dict[str, Any] = {"name": ex.name, "example": ex.example, "backend": backend}
    ctx = session.copy_example(ex.example, f"backends-{ex.name}-{backend}")
    try:
        dockerfile = _generate(ctx, ex, backend, row)
    except GeneratorFailed as exc:
        row.update(status="generator failed", error=str(exc))
        return row
    row["install_line"] = line = _installer_line(dockerfile)
    pin = UV_PIN.search(dockerfile.read_text())
    row["uv_version"] = pin.group(1) if pin else None
    uses_uv = line.startswith("uv pip install")
    if uses_uv != (backend == "uv"):
        row.update(status="wrong back end", error=f"generated install line: {line[:80]}")
        return row
    row["base"] = base = final_base(dockerfile)
    ensure_bases(session, [base])
    row["cache_mounts"] = len(session.isolate_cache_mounts(dockerfile, f"{ex.name}-{backend}"))
    tag = session.tag(f"backends-{ex.name}-{backend}")
    row["loadavg_before"] = loadavg()
    log(f"backends: {ex.name} with {backend}, cold (--no-cache)")
    try:
        built, stamped = stream_build(session, ctx, tag, dockerfile)
    except BuildError as exc:
        row.update(status="build failed", error=last_line(exc.tail))
        return row
    row.update(status="ok", build_seconds=round(built.seconds, 1), steps_total=built.steps_total)
    # what a lock tool says in the build when it finds the lock stale (a warning, not an error)
    row["lock_warnings"] = sorted(
        {ln.strip()[:160] for ln in built.log.splitlines() if LOCK_WARNING.search(ln)}
    )
    if isinstance(session.builder, BuildahBuilder):
        steps = step_times(stamped)
        install = _only_step(steps, re.escape(INSTALL_MARK))
        row["install_seconds"] = None if install is None else steps[install]["seconds"]
        # the step that pip-installs uv itself (beside the lock tool or the apt packages)
        row["uv_step_index"] = _only_step(steps, UV_PIN) if backend == "uv" else None
        row["steps"] = [
            {"stage": s["stage"], "instruction": s["full"][:60], "seconds": s["seconds"]}
            for s in steps
        ]
    else:
        row["steps"], row["install_seconds"] = [], None
    row["built_from_source"] = sorted(
        {(m.group(1) or m.group(2)).lower() for m in FROM_SOURCE.finditer(built.log)}
    )
    row.update(size_over_base(session, tag, base))
    row["verify"] = verify(session, tag, ctx)
    return row


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def measure(session: Session, ex: Example, uv_first: bool) -> dict[str, Any]:
    order = ("uv", "pip") if uv_first else ("pip", "uv")
    rows = {backend: variant(session, ex, backend) for backend in order}
    pip, uv = rows["pip"], rows["uv"]
    out: dict[str, Any] = {"name": ex.name, "example": ex.example, "lock": ex.lock}
    out.update(order=list(order), pip=pip, uv=uv)
    if pip.get("status") == "ok" and uv.get("status") == "ok":
        out["uv_over_pip"] = {
            "build": _ratio(uv["build_seconds"], pip["build_seconds"]),
            "install": _ratio(uv["install_seconds"], pip["install_seconds"]),
            "size": _ratio(uv["over_base_bytes"], pip["over_base_bytes"]),
        }
        i = uv.get("uv_step_index")
        if i is not None and len(uv["steps"]) == len(pip["steps"]):
            # the same step of the pip image (same Dockerfile shape, without `uv==`)
            out["uv_step_seconds"] = {
                "uv": uv["steps"][i]["seconds"],
                "pip": pip["steps"][i]["seconds"],
                "instruction": pip["steps"][i]["instruction"],
            }
    return out


def _pip_version(session: Session, base: str) -> str:
    proc = session.builder.run(base, ["python", "-m", "pip", "--version"], timeout=120)
    return " ".join(proc.stdout.split()[:2]) if proc.returncode == 0 else "?"


def run(session: Session) -> dict[str, Any]:
    result: dict[str, Any] = {"measured_at": now_iso(), "loadavg_start": loadavg()}
    rows = [measure(session, ex, uv_first=i % 2 == 1) for i, ex in enumerate(EXAMPLES)]
    result["rows"] = rows
    result["loadavg_end"] = loadavg()
    bases = sorted({r[k]["base"] for r in rows for k in ("pip", "uv") if "base" in r[k]})
    result["pip_in_bases"] = {b: _pip_version(session, b) for b in bases}
    return result
