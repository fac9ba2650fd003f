"""Reproduce every benchmark of docs/benchmarks.md.

    python bench/run.py                          # all sections (12-17 min on 2 cores)
    python bench/run.py --only sizes,generator   # a subset; other sections are kept from
                                                 # bench/results.json and marked as such

Sections: sizes (the article's uwsgi example), docker-init (psycopg2 against a
`docker init`-style Dockerfile), builds (cold / no-op / code-only / lock-change rebuilds),
generator (plan and generate against `python -c pass`), backends (pip against uv as the
installer of four examples, cold builds). Every figure is printed with the
baseline measured in the same run, then written to bench/results.json, docs/benchmarks.md
and docs/benchmarks.png.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, cast

import backends
import chart
import docker_init
import generator_speed
import rebuilds
import report
import sizes
from common import REPO, Builder, Session, log, machine_info, now_iso, open_session

SECTIONS: Final = ("sizes", "docker-init", "builds", "generator", "backends")
ALIASES: Final = {
    "psycopg2": "docker-init",
    "rebuilds": "builds",
    "size": "sizes",
    "uv": "backends",
    "backend": "backends",
}
# the order they run in: the generator first, before this run's builds load the machine
ORDER: Final = ("generator", "builds", "sizes", "docker-init", "backends")
RESULTS: Final = REPO / "bench" / "results.json"
DOCS: Final = REPO / "docs" / "benchmarks.md"
PNG: Final = REPO / "docs" / "benchmarks.png"


def parse_only(text: str) -> list[str]:
    chosen = []
    for raw in text.split(","):
        name = ALIASES.get(raw.strip(), raw.strip())
        if name not in SECTIONS:
            raise argparse.ArgumentTypeError(f"unknown section {raw!r}; choose from {SECTIONS}")
        chosen.append(name)
    return chosen


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--only", type=parse_only, default=list(SECTIONS), help=",".join(SECTIONS))
    p.add_argument("--runs", type=int, default=15, help="generator rounds (default 15)")
    p.add_argument("--code-runs", type=int, default=3, help="code-only rebuilds (default 3)")
    p.add_argument("--keep-images", action="store_true", help="do not remove the bench images")
    p.add_argument("--no-write", action="store_true", help="print only; write no files")
    p.add_argument("--results", type=Path, default=RESULTS, help="raw results (JSON)")
    p.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite docs/benchmarks.md and .png from the results file; measure nothing",
    )
    return p.parse_args(argv)


def load_previous(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {"sections": {}}
    return data


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render_only:
        data = load_previous(args.results)
        if "last_run" not in data:
            raise SystemExit(f"bench: no results in {args.results}; run the benchmarks first")
        write_outputs(data)
        return 0
    command = "python bench/run.py" + (
        "" if argv is None and len(sys.argv) == 1 else " " + shlex.join(sys.argv[1:])
    )
    started, t0 = now_iso(), time.monotonic()
    needs_builder = any(s != "generator" for s in args.only)
    sections: dict[str, Any] = {}
    try:
        session = open_session(keep_images=args.keep_images)
        builder: Builder | None = session.builder
    except SystemExit as exc:
        if needs_builder:
            raise
        log(f"no builder ({exc}); the generator section does not need one")
        session, builder = Session(builder=cast(Builder, None)), None  # scratch folder only
    machine = machine_info(builder)
    log(f"machine: {json.dumps(machine)}")
    runners: dict[str, Callable[[Session], dict[str, Any]]] = {
        "sizes": sizes.run,
        "docker-init": docker_init.run,
        "builds": lambda s: rebuilds.run(s, code_runs=args.code_runs),
        "generator": lambda s: generator_speed.run(s, runs=args.runs),
        "backends": backends.run,
    }
    try:
        for name in ORDER:
            if name not in args.only:
                continue
            log(f"section {name}: start")
            t = time.monotonic()
            result = runners[name](session)
            result.update(run_started=started, machine=machine, command=command)
            result["section_seconds"] = round(time.monotonic() - t, 1)
            sections[name] = result
            log(f"section {name}: done in {result['section_seconds']} s")
            print(report.summary(sections, [name]) or "", flush=True)
    finally:
        session.close()
    data = load_previous(args.results)
    data["sections"].update(sections)
    data["last_run"] = {
        "started": started,
        "finished": now_iso(),
        "minutes": round((time.monotonic() - t0) / 60, 1),
        "command": command,
        "machine": machine,
    }
    print("\n== summary (this run) ==")
    print(report.summary(data["sections"], list(sections)))
    if args.no_write:
        return 0
    args.results.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    log(f"wrote {args.results}")
    write_outputs(data)
    return 0


def write_outputs(data: dict[str, Any]) -> None:
    DOCS.write_text(report.markdown(data))
    wrote_png = chart.write(data["sections"], PNG)
    log(f"wrote {DOCS}" + (f", {PNG}" if wrote_png else " (no PNG: matplotlib unavailable)"))


if __name__ == "__main__":
    raise SystemExit(main())
