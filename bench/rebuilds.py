"""Build times of our images: cold, then rebuilds after no change, a code-only change and a
lock change, each as a share of the cold build of the same project in the same run.

Cold = a fresh tag built with `--no-cache`. The rebuilds then reuse the layer cache, in the
same context, each after one change:
  settle     nothing changed, right after the cold build (buildah's `--no-cache` may re-create
             layers the store holds from earlier runs; the next build settles on one chain);
  no-op      nothing changed (the builder's fixed cost: the floor of any rebuild);
  code-only  a comment appended to an application file (repeated; the median is reported);
  lock       the lock changed but still valid (Pipfile.lock: trailing JSON whitespace, which its
             _meta hash does not cover; requirements.txt: a trailing comment line).
Every change carries the run id, so no layer of an earlier run can match it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, NamedTuple

from bench.common import GeneratorFailed, Session, final_base, generate, loadavg, log
from tests.support.builder import BuildError
from tests.support.probes import last_line

GOAL_CODE_ONLY_PCT: Final = 20.0


class Project(NamedTuple):
    name: str
    example: str
    code_file: str
    lock_file: str
    lock_change: str  # appended to lock_file; {run_id} is filled in


PROJECTS: Final = (
    Project("uwsgi", "pipenv-uwsgi", "app/wsgi.py", "Pipfile.lock", "\n{ws}\n"),
    Project(
        "psycopg2", "requirements-psycopg2", "app.py", "requirements.txt", "# bench {run_id}\n"
    ),
)


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)


def _timed(session: Session, ctx: Path, name: str, no_cache: bool = False) -> dict[str, Any]:
    load = loadavg()
    built = session.build(ctx, session.tag(name), ctx / "Dockerfile", no_cache=no_cache)
    return {
        "seconds": round(built.seconds, 1),
        "steps_total": built.steps_total,
        "steps_cached": built.steps_cached,
        "steps_run": built.steps_run,
        "loadavg_before": load,
        "ran": [f"{s.stage}:{s.instruction[:30]}" for s in built.after_from if not s.cached],
    }


def measure(session: Session, project: Project, code_runs: int) -> dict[str, Any]:
    row: dict[str, Any] = {"name": project.name, "example": project.example}
    ctx = session.copy_example(project.example, f"rebuild-{project.name}")
    try:
        row["base"] = final_base(generate(ctx))
    except GeneratorFailed as exc:
        return {**row, "status": "generator failed", "error": str(exc)}
    session.isolate_cache_mounts(ctx / "Dockerfile", project.name)
    session.bases([row["base"]])
    name = f"rebuild-{project.name}"
    try:
        log(f"builds: {project.name} cold, settle, no-op")
        row["cold"] = _timed(session, ctx, name, no_cache=True)
        row["settle"] = _timed(session, ctx, name)
        row["noop"] = _timed(session, ctx, name)
        runs = []
        for i in range(code_runs):
            _append(ctx / project.code_file, f"\n# bench {session.run_id}: change {i + 1}\n")
            log(f"builds: {project.name} code-only rebuild {i + 1}/{code_runs}")
            runs.append(_timed(session, ctx, name))
        row["code_only_runs"] = runs
        row["code_only"] = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])
        # a run id spelt in spaces and tabs: the same JSON for Pipfile.lock
        ws = "".join(" \t"[int(b)] for b in f"{int(session.run_id, 16):b}")
        _append(ctx / project.lock_file, project.lock_change.format(ws=ws, run_id=session.run_id))
        log(f"builds: {project.name} lock-change rebuild")
        row["lock_change"] = _timed(session, ctx, name)
    except BuildError as exc:
        return {**row, "status": "build failed", "error": last_line(exc.tail)}
    for key in ("settle", "noop", "code_only", "lock_change"):
        row[key]["pct_of_cold"] = round(100 * row[key]["seconds"] / row["cold"]["seconds"], 1)
    row["status"] = "ok"
    row["goal_code_only_met"] = row["code_only"]["pct_of_cold"] <= GOAL_CODE_ONLY_PCT
    return row


def run(session: Session, code_runs: int = 3) -> dict[str, Any]:
    rows = [measure(session, p, code_runs) for p in PROJECTS]
    return {"rows": rows, "goal_code_only_pct": GOAL_CODE_ONLY_PCT}
