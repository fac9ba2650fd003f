"""Generator speed: `pydocker-gen plan DIR` and `generate --stdout DIR` against a bare
interpreter start (`python -c pass`), measured in the same rounds.

Every `plan` is cold: it reads the project and plans. Goal: the slowest example's median at
most 15x the median of `python -c pass`. Commands are timed round-robin (one run of each per
round, after warm-up rounds) so the baseline and the generator see the same machine load.
pydocker-gen runs as a user gets it: its wheel pip-installed in a fresh venv (bytecode
compiled at install), under the same interpreter as the baseline. The projects: every
example, and a synthetic requirements.txt of 500 hashed pins (parsed, never installed).
"""

from __future__ import annotations

import hashlib
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final, NamedTuple

from bench.common import EXAMPLES, REPO, Session, log
from tests.support.probes import last_line

GOAL_PLAN_RATIO: Final = 15.0
SYNTHETIC_PACKAGES: Final = 500


def synthetic_project(root: Path, count: int = SYNTHETIC_PACKAGES) -> Path:
    """A pip project: hashed requirements.txt of `count` made-up pins, and a tiny app."""
    root.mkdir(parents=True)
    lines = []
    for i in range(count):
        pin = f"bench-pkg-{i:03d}=={1 + i % 7}.{i % 13}.{i % 5}"
        digests = [hashlib.sha256(f"{pin}#{k}".encode()).hexdigest() for k in (0, 1)]
        lines += [f"{pin} \\", f"    --hash=sha256:{digests[0]} \\"]
        lines += [f"    --hash=sha256:{digests[1]}"]
    (root / "requirements.txt").write_text("\n".join(lines) + "\n")
    (root / ".python-version").write_text("3.12\n")
    (root / "app.py").write_text(
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'hi']\n"
    )
    return root


class Command(NamedTuple):
    label: str
    kind: str  # "baseline", "import", "plan", "generate"
    argv: list[str]


def install(scratch: Path) -> Path:
    """pydocker-gen's wheel pip-installed into a fresh venv; returns the venv's python."""
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(REPO)]
    subprocess.run(pip, check=True, capture_output=True)
    return python


def commands(projects: dict[str, Path], python: Path) -> list[Command]:
    exe = str(python.parent / "pydocker-gen")
    cmds = [
        Command("python -c pass", "baseline", [str(python), "-c", "pass"]),
        # the floor any requirements-aware tool pays: the packaging library alone
        Command(
            "python -c 'import packaging.requirements'",
            "import",
            [str(python), "-c", "import packaging.requirements"],
        ),
    ]
    for name, path in projects.items():
        cmds.append(Command(f"plan {name}", "plan", [exe, "plan", str(path)]))
        cmds.append(
            Command(
                f"generate --stdout {name}", "generate", [exe, "generate", "--stdout", str(path)]
            )
        )
    return cmds


def time_rounds(cmds: list[Command], cwd: Path, runs: int, warmup: int) -> list[dict[str, Any]]:
    """Each command's seconds over the rounds after warm-up, or its error."""
    seconds: list[list[float]] = [[] for _ in cmds]
    errors: list[str] = ["" for _ in cmds]
    for round_no in range(warmup + runs):
        for i, cmd in enumerate(cmds):
            if errors[i]:
                continue
            start = time.perf_counter()
            proc = subprocess.run(cmd.argv, capture_output=True, text=True, cwd=cwd, check=False)
            took = time.perf_counter() - start
            if proc.returncode != 0:
                errors[i] = f"exit {proc.returncode}: {last_line(proc.stderr)}"
            elif round_no >= warmup:
                seconds[i].append(took)
    base = statistics.median(seconds[0])
    rows: list[dict[str, Any]] = []
    for cmd, secs, error in zip(cmds, seconds, errors, strict=True):
        row: dict[str, Any] = {"label": cmd.label, "kind": cmd.kind}
        if error:
            row["error"] = error
        else:
            med = statistics.median(secs)
            row.update(median_ms=round(1000 * med, 1), min_ms=round(1000 * min(secs), 1))
            row["ratio"] = round(med / base, 2)
        rows.append(row)
    return rows


def run(session: Session, runs: int = 15, warmup: int = 2) -> dict[str, Any]:
    projects = {p.name: p for p in sorted(EXAMPLES.iterdir()) if (p / "verify").is_file()}
    synthetic = f"synthetic-{SYNTHETIC_PACKAGES}"
    projects[synthetic] = synthetic_project(session.scratch / synthetic)
    cmds = commands(projects, install(session.scratch))
    log(f"generator: {len(cmds)} commands x ({warmup} warm-up + {runs}) rounds")
    rows = time_rounds(cmds, session.scratch, runs, warmup)
    plans = [r for r in rows if r["kind"] == "plan"]
    worst = max(plans, key=lambda r: r.get("ratio", 0.0))
    failures = sum("error" in r for r in plans)
    return {
        "rows": rows,
        "runs": runs,
        "baseline_ms": rows[0]["median_ms"],
        "goal_plan_ratio": GOAL_PLAN_RATIO,
        "plan_max_ratio": worst.get("ratio"),
        "plan_max_ms": worst.get("median_ms"),
        "plan_failures": failures,
        "goal_plan_met": not failures and worst["ratio"] <= GOAL_PLAN_RATIO,
    }
