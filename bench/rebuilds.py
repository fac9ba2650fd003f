"""3. Build times of our images: cold, after a code-only change, after a lock change.

Cold = a fresh tag built with `--no-cache` (no layer reused). The rebuilds then run with the
layer cache, in the same context, each after one change:
  settle     nothing changed, right after the cold build (reported, not a goal: see below)
  no-op      nothing changed (the builder's fixed cost: the floor of any rebuild);
  code-only  a comment appended to an application file (repeated, the median is reported);
  lock       the lock changed but still valid: Pipfile.lock gets trailing JSON whitespace
             (the same JSON, and its _meta hash covers the Pipfile only); requirements.txt
             gets a trailing `# bench` comment line that pip ignores.
Every change carries the run id, so no layer of an earlier run can match it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from common import (
    BuildError,
    GeneratorFailed,
    Session,
    ensure_bases,
    final_base,
    generate,
    last_line,
    loadavg,
    log,
    now_iso,
)

GOAL_CODE_ONLY_PCT: Final = 20.0


def _append(ctx: Path, rel: str, text: str) -> None:
    with (ctx / rel).open("a", encoding="utf-8") as fh:
        fh.write(text)


def _pipfile_lock_change(ctx: Path, run_id: str) -> None:
    """Trailing whitespace spelling the run id in spaces and tabs: still the same JSON."""
    bits = f"{int(run_id, 16):b}"
    _append(ctx, "Pipfile.lock", "\n" + "".join(" \t"[int(b)] for b in bits) + "\n")


def _requirements_change(ctx: Path, run_id: str) -> None:
    _append(ctx, "requirements.txt", f"# bench {run_id}\n")


@dataclass(frozen=True)
class Project:
    name: str
    example: str
    code_file: str
    lock_file: str
    lock_change: Callable[[Path, str], None]
    lock_change_text: str


PROJECTS: Final = (
    Project(
        "uwsgi",
        "pipenv-uwsgi",
        "app/wsgi.py",
        "Pipfile.lock",
        _pipfile_lock_change,
        "trailing JSON whitespace appended to Pipfile.lock",
    ),
    Project(
        "psycopg2",
        "requirements-psycopg2",
        "app.py",
        "requirements.txt",
        _requirements_change,
        "`# bench <run id>` line appended to requirements.txt",
    ),
)


STEP: Final = re.compile(r"^(?:\[(\d+)/\d+\] )?STEP \d+/\d+: (\w+)(.*)$")


def ran_steps(log: str) -> list[str]:
    """The instructions a buildah build ran rather than took from the cache ("stage:INSTR
    arg"); empty for other builders, whose logs are not parsed here."""
    ran: list[str] = []
    current: str | None = None
    for line in log.splitlines():
        m = STEP.match(line)
        if m:
            if current:
                ran.append(current)
            stage, instr, rest = m.group(1) or "1", m.group(2).upper(), m.group(3).split()
            current = None if instr == "FROM" else f"{stage}:{instr} {' '.join(rest)[:30]}"
        elif line.startswith("--> Using cache") and current:
            current = None
    if current:
        ran.append(current)
    return ran


def _timed(session: Session, ctx: Path, name: str, *, no_cache: bool = False) -> dict[str, Any]:
    tag = session.tag(name)
    load = loadavg()
    built = session.build(ctx, tag, ctx / "Dockerfile", no_cache=no_cache)
    return {
        "seconds": round(built.seconds, 1),
        "steps_total": built.steps_total,
        "steps_cached": built.steps_cached,
        "steps_run": built.steps_run,
        "loadavg_before": load,
        "ran": ran_steps(built.log),
    }


def measure(session: Session, project: Project, code_runs: int) -> dict[str, Any]:
    row: dict[str, Any] = {"name": project.name, "example": project.example}
    ctx = session.copy_example(project.example, f"rebuild-{project.name}")
    try:
        dockerfile = generate(ctx)
    except GeneratorFailed as exc:
        row.update(status="generator failed", error=str(exc))
        return row
    row["base"] = base = final_base(dockerfile)
    row["cache_mounts"] = len(session.isolate_cache_mounts(dockerfile, project.name))
    ensure_bases(session, [base])
    name = f"rebuild-{project.name}"
    try:
        log(f"builds: {project.name} cold (--no-cache)")
        row["cold"] = _timed(session, ctx, name, no_cache=True)
        # buildah quirk: `--no-cache` re-creates layers equal to ones already in the store
        # (from earlier builds of the same project), and the next cached build may follow
        # the older chain, then miss the steps unique to this run. Settle that first.
        log(f"builds: {project.name} first cached build after the cold one")
        row["settle"] = _timed(session, ctx, name)
        log(f"builds: {project.name} no-op rebuild")
        row["noop"] = _timed(session, ctx, name)
        runs = []
        for i in range(code_runs):
            _append(ctx, project.code_file, f"\n# bench {session.run_id}: code change {i + 1}\n")
            log(f"builds: {project.name} code-only rebuild {i + 1}/{code_runs}")
            runs.append(_timed(session, ctx, name))
        row["code_only_runs"] = runs
        # the median run (upper median for an even count), steps included
        row["code_only"] = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])
        project.lock_change(ctx, session.run_id)
        log(f"builds: {project.name} lock-change rebuild")
        row["lock_change"] = _timed(session, ctx, name)
        row["lock_change_how"] = project.lock_change_text
    except BuildError as exc:
        row.update(status="build failed", error=last_line(exc.tail))
        return row
    cold = row["cold"]["seconds"]
    for key in ("settle", "noop", "code_only", "lock_change"):
        row[key]["pct_of_cold"] = round(100 * row[key]["seconds"] / cold, 1)
    row["status"] = "ok"
    row["goal_code_only_met"] = row["code_only"]["pct_of_cold"] <= GOAL_CODE_ONLY_PCT
    return row


def run(session: Session, code_runs: int = 3) -> dict[str, Any]:
    result: dict[str, Any] = {"measured_at": now_iso(), "loadavg_start": loadavg()}
    result["rows"] = [measure(session, p, code_runs) for p in PROJECTS]
    result["goal_code_only_pct"] = GOAL_CODE_ONLY_PCT
    return result
