"""4. Generator speed: `pydocker-gen plan DIR` and `pydocker-gen generate --stdout DIR`
against a bare interpreter start (`python -c pass`), measured in the same run.

Every `plan` is cold: it reads the project and plans (there is no memo). Goal: at most
15x a bare interpreter start, median of the rounds.

Commands are timed round-robin (one run of each command per round, after warm-up rounds),
so the baseline and the generator see the same machine load; each figure is the median of
the rounds. The generator runs as its console script, under the same interpreter as the
baseline. The projects: every example, and a synthetic one whose requirements.txt pins 500
packages with two fake sha256 hashes each (it is only parsed, never installed).
"""

from __future__ import annotations

import hashlib
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from common import EXAMPLES, REPO, Session, last_line, loadavg, log, now_iso

GOAL_PLAN_RATIO: Final = 15.0
SYNTHETIC_PACKAGES: Final = 500


def synthetic_project(root: Path, count: int = SYNTHETIC_PACKAGES) -> Path:
    """A pip project: hashed requirements.txt of `count` made-up pins, and a tiny app."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["# synthetic: deterministic names, versions and fake hashes (bench only)"]
    for i in range(count):
        name = f"bench-pkg-{i:03d}"
        version = f"{1 + i % 7}.{i % 13}.{i % 5}"
        digests = [hashlib.sha256(f"{name}=={version}#{k}".encode()).hexdigest() for k in (0, 1)]
        lines.append(f"{name}=={version} \\")
        lines.append(f"    --hash=sha256:{digests[0]} \\")
        lines.append(f"    --hash=sha256:{digests[1]}")
        lines.append("    # via -r requirements.in")
    (root / "requirements.txt").write_text("\n".join(lines) + "\n")
    (root / ".python-version").write_text("3.12\n")
    (root / "app.py").write_text(
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'hi']\n"
    )
    return root


@dataclass
class Command:
    label: str
    project: str
    kind: str  # "baseline", "import", "plan", "generate"
    argv: list[str]
    seconds: list[float]
    error: str = ""


def _time_once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=env, cwd=cwd)
    elapsed = time.perf_counter() - start
    return elapsed, proc.returncode, proc.stderr


def install(scratch: Path) -> Path:
    """pydocker-gen as a user gets it: its wheel installed by pip in a fresh venv (pip
    compiles the bytecode at install; an editable checkout under PYTHONDONTWRITEBYTECODE
    would recompile every module on every run). Returns the venv's python."""
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(REPO)],
        check=True,
        capture_output=True,
    )
    return python


def _commands(projects: dict[str, Path], python: Path) -> list[Command]:
    exe = [str(python.parent / "pydocker-gen")]
    cmds = [
        Command("python -c pass", "", "baseline", [str(python), "-c", "pass"], []),
        # The floor any requirements-aware tool pays: the packaging library alone.
        Command(
            "python -c 'import packaging.requirements'",
            "",
            "import",
            [str(python), "-c", "import packaging.requirements"],
            [],
        ),
        Command(
            "python -c 'import pydocker_gen.cli'",
            "",
            "import",
            [str(python), "-c", "import pydocker_gen.cli"],
            [],
        ),
    ]
    for name, path in projects.items():
        cmds.append(Command(f"plan {name}", name, "plan", [*exe, "plan", str(path)], []))
        cmds.append(
            Command(
                f"generate --stdout {name}",
                name,
                "generate",
                [*exe, "generate", "--stdout", str(path)],
                [],
            )
        )
    return cmds


def _importtime(python: Path, code: str, cwd: Path, repeat: int = 7) -> dict[str, float]:
    """Import self-time (ms) of `code` summed per top-level package (stdlib as one).

    Each module's self-time is its minimum over ``repeat`` runs: single runs on a shared
    machine vary by a factor of two."""
    best: dict[str, int] = {}
    for _ in range(repeat):
        proc = subprocess.run(
            [str(python), "-X", "importtime", "-c", code],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        for line in proc.stderr.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) != 3 or not parts[0].strip().isdigit():
                continue
            name = parts[2].strip()
            best[name] = min(best.get(name, 1 << 62), int(parts[0]))
    costs: dict[str, float] = {}
    for name, micros in best.items():
        root = name.split(".")[0]
        key = "(stdlib)" if root in sys.stdlib_module_names or root.startswith("_") else root
        costs[key] = costs.get(key, 0.0) + micros / 1000
    return costs


def import_costs(python: Path, cwd: Path, top: int = 7) -> dict[str, float]:
    """Where `import pydocker_gen.cli` spends its time, per package, beyond what a bare
    interpreter start imports anyway (site and its .pth hooks, paid by the baseline too)."""
    # Run outside the checkout: `python -c` puts the working folder first on sys.path, and the
    # source tree there (no bytecode) would be imported instead of the installed wheel.
    bare = _importtime(python, "pass", cwd)
    cli = _importtime(python, "import pydocker_gen.cli", cwd)
    extra = {k: round(v - bare.get(k, 0.0), 1) for k, v in cli.items()}
    big = {k: v for k, v in extra.items() if v >= 1.0}  # drop noise and site's own hooks
    return dict(sorted(big.items(), key=lambda kv: -kv[1])[:top])


def run(session: Session, runs: int = 15, warmup: int = 2) -> dict[str, Any]:
    projects = {
        p.name: p for p in sorted(EXAMPLES.iterdir()) if p.is_dir() and (p / "verify").is_file()
    }
    synthetic = f"synthetic-{SYNTHETIC_PACKAGES}"
    projects[synthetic] = synthetic_project(session.scratch / synthetic)
    python = install(session.scratch)
    cmds = _commands(projects, python)
    env = dict(os.environ)
    result: dict[str, Any] = {"measured_at": now_iso(), "loadavg_start": loadavg()}
    log(f"generator: {len(cmds)} commands x ({warmup} warm-up + {runs}) rounds")
    for round_no in range(warmup + runs):
        for cmd in cmds:
            if cmd.error:
                continue
            seconds, code, stderr = _time_once(cmd.argv, env, session.scratch)
            if code != 0:
                cmd.error = f"exit {code}: {last_line(stderr)}"
                continue
            if round_no >= warmup:
                cmd.seconds.append(seconds)
    result["loadavg_end"] = loadavg()
    result["import_costs_ms"] = import_costs(python, cwd=session.scratch)
    base = statistics.median(cmds[0].seconds)
    base_min = min(cmds[0].seconds)
    rows = []
    for cmd in cmds:
        row: dict[str, Any] = {"label": cmd.label, "project": cmd.project, "kind": cmd.kind}
        if cmd.error:
            row["error"] = cmd.error
        else:
            med = statistics.median(cmd.seconds)
            row.update(
                median_ms=round(1000 * med, 1),
                min_ms=round(1000 * min(cmd.seconds), 1),
                ratio=round(med / base, 2),
                ratio_min=round(min(cmd.seconds) / base_min, 2),
                runs=len(cmd.seconds),
            )
        rows.append(row)
    result["rows"] = rows
    result["baseline_ms"] = round(1000 * base, 1)
    result["runs"] = runs
    result["goal_plan_ratio"] = GOAL_PLAN_RATIO
    plans = [r for r in rows if r["kind"] == "plan"]
    ok = [r["ratio"] for r in plans if "ratio" in r]
    failures = sum(1 for r in plans if "error" in r)
    result["plan_max_ratio"] = max(ok) if ok else None
    result["plan_max_ms"] = max((r["median_ms"] for r in plans if "ratio" in r), default=None)
    result["plan_failures"] = failures
    result["goal_plan_met"] = bool(ok) and not failures and max(ok) <= GOAL_PLAN_RATIO
    return result
