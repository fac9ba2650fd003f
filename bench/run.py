"""Reproduce every benchmark of docs/benchmarks.md (from the repository root):

    python -m bench.run                          # all sections (12-17 min on 2 cores)
    python -m bench.run --only generator,builds  # a subset; the others are kept from
                                                 # bench/results.json and marked as such
    python -m bench.run --render-only            # rewrite docs/benchmarks.md, measure nothing

Sections: generator (plan and generate against `python -c pass`; needs no builder), builds
(cold / no-op / code-only / lock-change rebuilds), sizes (the article's uwsgi example against
its two Dockerfiles), docker-init (psycopg2 against a `docker init`-style Dockerfile),
backends (pip against uv, cold builds of four examples). Every figure is printed with the
baseline measured in the same run, then written to bench/results.json and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from bench import backends, docker_init, generator_speed, rebuilds, report, sizes
from bench.common import REPO, Session, loadavg, log, machine_info, now_iso, open_session

# the order they run in: the generator first, before this run's builds load the machine
SECTIONS: Final = ("generator", "builds", "sizes", "docker-init", "backends")
RESULTS: Final = REPO / "bench" / "results.json"
DOCS: Final = REPO / "docs" / "benchmarks.md"


def parse_only(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",")]
    for name in chosen:
        if name not in SECTIONS:
            raise argparse.ArgumentTypeError(f"unknown section {name!r}; choose from {SECTIONS}")
    return chosen


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    p.add_argument("--only", type=parse_only, default=list(SECTIONS), help=",".join(SECTIONS))
    p.add_argument("--runs", type=int, default=15, help="generator rounds (default 15)")
    p.add_argument("--code-runs", type=int, default=3, help="code-only rebuilds (default 3)")
    p.add_argument("--keep-images", action="store_true", help="do not remove the bench images")
    p.add_argument("--no-write", action="store_true", help="print only; write no files")
    p.add_argument("--results", type=Path, default=RESULTS, help="raw results (JSON)")
    p.add_argument("--render-only", action="store_true", help="rewrite the page; measure nothing")
    return p.parse_args(argv)


def measure(
    args: argparse.Namespace, session: Session, started: str, machine: dict[str, Any]
) -> dict[str, Any]:
    runners: dict[str, Callable[[Session], dict[str, Any]]] = {
        "generator": lambda s: generator_speed.run(s, runs=args.runs),
        "builds": lambda s: rebuilds.run(s, code_runs=args.code_runs),
        "sizes": sizes.run,
        "docker-init": docker_init.run,
        "backends": backends.run,
    }
    sections: dict[str, Any] = {}
    for name in (s for s in SECTIONS if s in args.only):
        log(f"section {name}: start")
        t, load = time.monotonic(), loadavg()
        result = runners[name](session)
        result.update(run_started=started, measured_at=now_iso(), machine=machine)
        result.update(loadavg_start=load, loadavg_end=loadavg())
        result["section_seconds"] = round(time.monotonic() - t, 1)
        sections[name] = result
        print(report.summary({name: result}), flush=True)
    return sections


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        data: dict[str, Any] = json.loads(args.results.read_text())
    except (OSError, json.JSONDecodeError):
        data = {"sections": {}}
    if not args.render_only:
        started, t0 = now_iso(), time.monotonic()
        needs_builder = any(s != "generator" for s in args.only)
        session = open_session(args.keep_images, needs_builder)
        machine = machine_info(session.builder)
        log(f"machine: {json.dumps(machine)}")
        try:
            sections = measure(args, session, started, machine)
        finally:
            session.close()
        data["sections"].update(sections)
        command = "python -m bench.run " + shlex.join(sys.argv[1:] if argv is None else argv)
        data["last_run"] = {
            "started": started,
            "minutes": round((time.monotonic() - t0) / 60, 1),
            "command": command.strip(),
            "machine": machine,
        }
        print("\n== summary (this run) ==\n" + report.summary(sections))
    if "last_run" not in data:
        raise SystemExit(f"bench: no results in {args.results}; run the benchmarks first")
    if not args.no_write:
        if not args.render_only:
            args.results.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
            log(f"wrote {args.results}")
        DOCS.write_text(report.markdown(data))
        log(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
