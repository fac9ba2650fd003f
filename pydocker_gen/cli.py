"""Command line: a thin layer over inspect -> plan -> render, with one error boundary."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydocker_gen import __version__
from pydocker_gen.errors import UserError
from pydocker_gen.facts import ProjectFacts
from pydocker_gen.planner import Options, plan
from pydocker_gen.planner.model import Plan
from pydocker_gen.reader import inspect, online

if TYPE_CHECKING:
    from pydocker_gen.render import Rendered

# Rendering (jinja2), init (tomlkit) and new (cookiecutter) are imported where used: `plan`
# and `check` start faster without them.

EXIT_OK, EXIT_STALE, EXIT_USER, EXIT_BUG = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,  # `--onl` must not silently mean `--online`
        prog="pydocker-gen",
        description="Generate a lock-file-based, multi-stage Dockerfile for a Python project.",
    )
    parser.add_argument("--version", action="version", version=f"pydocker-gen {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, allow_abbrev=False)
        p.add_argument("dir", nargs="?", default=".", type=Path, help="project root (default: .)")
        p.add_argument(
            "--debian", choices=("bookworm", "trixie"), help="Debian release of the base"
        )
        p.add_argument("--profile", choices=("buildkit", "portable"), help="Dockerfile syntax")
        p.add_argument(
            "--online",
            action="store_true",
            help=f"look up hash-only locks' files on the index (recorded in {online.RECORD})",
        )
        p.add_argument(
            "--templates", type=Path, help="folder of templates extending the shipped ones"
        )
        p.add_argument(
            "--platform",
            action="append",
            default=[],
            metavar="OS/ARCH",
            help="target platform(s), e.g. linux/amd64,linux/arm64 (default linux/amd64)",
        )
        return p

    gen = add("generate", "write DIR/Dockerfile and DIR/.dockerignore")
    gen.add_argument("--stdout", action="store_true", help="print the Dockerfile instead")
    gen.add_argument("--force", action="store_true", help="replace a hand-edited Dockerfile")
    pl = add("plan", "show the decisions and their reasons")
    pl.add_argument("--json", action="store_true", help="one JSON object")
    add("check", "exit 1 (with a diff) when the Dockerfile is not what generate would write")
    ini = add("init", "first-time set-up: detect, plan and write the files")
    ini.add_argument("--force", action="store_true", help="move a hand-written Dockerfile aside")
    ini.add_argument("--yes", action="store_true", help="ask nothing")
    new = sub.add_parser(
        "new", help="start a project from the cookiecutter template", allow_abbrev=False
    )
    new.add_argument("dir", nargs="?", default=".", type=Path, help="where to create it")
    new.add_argument("--no-input", action="store_true", help="ask nothing; use the defaults")
    new.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template variable, e.g. framework=flask (repeatable)",
    )
    return parser


def cmd_new(args: argparse.Namespace) -> int:
    context = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError("--set", f"{item!r} is not KEY=VALUE.")
        context[key] = value
    from pydocker_gen import new as new_project

    path = new_project.create(args.dir, context, no_input=args.no_input or not _tty())
    print(f"created {path}")
    return EXIT_OK


def _options(args: argparse.Namespace) -> Options:
    platforms = tuple(p.strip() for arg in args.platform for p in arg.split(",") if p.strip())
    return Options(debian=args.debian, profile=args.profile, platforms=platforms)


def _plan(args: argparse.Namespace) -> tuple[ProjectFacts, Plan]:
    facts = inspect(args.dir)
    if getattr(args, "online", False):
        learned, problems = online.look_up(args.dir, facts.packages)
        for problem in problems:
            print(f"warning: online look-up: {problem}", file=sys.stderr)
        if learned:
            print(f"recorded the files of {learned} package(s) in {online.RECORD}", file=sys.stderr)
            facts = inspect(args.dir)
    return facts, plan(facts, _options(args))


def _make(args: argparse.Namespace) -> tuple[Plan, Rendered]:
    facts, the_plan = _plan(args)
    templates = getattr(args, "templates", None) or facts.config.templates
    extra: list[Path] = []
    if templates:
        folder = args.dir / templates if not Path(templates).is_absolute() else Path(templates)
        if not folder.is_dir():
            where = "--templates" if getattr(args, "templates", None) else facts.config.source
            raise UserError(
                str(where),
                f"names templates folder {templates!r}, which does not exist.",
                field="templates",
            )
        extra.append(folder)
    import jinja2

    from pydocker_gen.render import render

    try:
        return the_plan, render(the_plan, extra)
    except jinja2.TemplateError as exc:
        raise UserError(str(templates), f"a user template failed to render ({exc}).") from None


def _write_atomic(path: Path, text: str) -> None:
    """Never leave a half-written file: write beside, then rename over."""
    import tempfile  # writes only

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        Path(tmp).chmod(path.stat().st_mode & 0o777 if path.exists() else 0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def hand_edited(text: str) -> bool:
    """A Dockerfile is ours to replace only if its body still matches its recorded digest."""
    from pydocker_gen.render import body_digest, split_header

    digest, body = split_header(text)
    return digest is None or digest != body_digest(body)


def _expected_files(
    args: argparse.Namespace, the_plan: Plan, rendered: Rendered
) -> dict[Path, str]:
    return {
        args.dir / "Dockerfile": rendered.dockerfile,
        args.dir / ".dockerignore": rendered.dockerignore,
    }


def cmd_generate(args: argparse.Namespace) -> int:
    the_plan, rendered = _make(args)
    _print_warnings(the_plan)
    if args.stdout:
        sys.stdout.write(rendered.dockerfile)
        return EXIT_OK
    dockerfile = args.dir / "Dockerfile"
    if dockerfile.is_file() and not args.force:
        current = dockerfile.read_text(encoding="utf-8")
        if current != rendered.dockerfile and hand_edited(current):
            raise UserError(
                "Dockerfile",
                "was edited by hand (or not written by pydocker-gen), so it was left as it is.",
                fix="Express the change in the configuration (packages.build, "
                "packages.runtime, env, cmd, ... see docs/configuration.md) and run "
                "`pydocker-gen generate` again, or replace it with "
                "`pydocker-gen generate --force`.",
            )
    for path, text in _expected_files(args, the_plan, rendered).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            _write_atomic(path, text)
            print(f"wrote {path}")
        else:
            print(f"{path} is up to date")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    _, the_plan = _plan(args)
    if args.json:
        print(json.dumps(the_plan.to_dict(), indent=2, sort_keys=True))
        return EXIT_OK
    _explain(the_plan)
    return EXIT_OK


def _explain(the_plan: Plan) -> None:
    print(f"{the_plan.base_image}  ({the_plan.manager}, {the_plan.lockfile or 'no lock'})")
    for r in the_plan.reasons:
        print(f"  {r.topic}: {r.decision}\n      because {r.why}")
    for c in the_plan.compiled:
        print(
            f"  compiles {c.name} {c.version or ''}: {c.why}; build: "
            f"{', '.join(c.build_packages) or 'compiler only'}; runtime: "
            f"{', '.join(c.runtime_packages) or 'nothing'}"
        )
    print(f"  build packages: {', '.join(the_plan.build_packages) or 'none (no compiler)'}")
    print(f"  runtime packages: {', '.join(the_plan.runtime_packages) or 'none'}")
    print(f"  build it with: {the_plan.build_command}")
    _print_warnings(the_plan, stream=sys.stdout)


def cmd_check(args: argparse.Namespace) -> int:
    the_plan, rendered = _make(args)
    import difflib  # check only

    stale = False
    for path, expected in _expected_files(args, the_plan, rendered).items():
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != expected:
            stale = True
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    fromfile=f"{path} (on disk)",
                    tofile=f"{path} (generated)",
                )
            )
    if stale:
        print("pydocker-gen: out of date; run `pydocker-gen generate`.", file=sys.stderr)
        return EXIT_STALE
    print("pydocker-gen: Dockerfile and .dockerignore are up to date.")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    dockerfile = args.dir / "Dockerfile"
    if dockerfile.is_file() and hand_edited(dockerfile.read_text(encoding="utf-8")):
        if not args.force:
            raise UserError(
                "Dockerfile",
                "already exists and was not generated by pydocker-gen; it was kept.",
                fix="Run `pydocker-gen init --force` to move it aside to Dockerfile.orig.",
            )
        aside = dockerfile.with_name("Dockerfile.orig")
        dockerfile.replace(aside)
        print(f"moved the existing Dockerfile to {aside}")
    _, the_plan = _plan(args)
    _explain(the_plan)
    answers: dict[str, object] = {}
    interactive = not args.yes and _tty()
    if the_plan.cmd is None and interactive:
        text = input("Command that starts the application (empty: none): ").strip()
        if text:
            answers["cmd"] = shlex.split(text)
    if the_plan.port is None and (the_plan.cmd or answers.get("cmd")) and interactive:
        text = input("Port it listens on (empty: none): ").strip()
        if text:
            if not text.isdigit():
                raise UserError("<input>", f"{text!r} is not a port number.", field="port")
            answers["port"] = int(text)
    from pydocker_gen.init import write_config

    written = write_config(args.dir, answers)
    print(f"wrote the configuration to {written}")
    args.stdout = False
    args.force = True
    return cmd_generate(args)


def _tty() -> bool:
    """Ask questions only of a person at a terminal (CI may run with no stdin at all)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _print_warnings(the_plan: Plan, stream: object = None) -> None:
    out = stream if stream is not None else sys.stderr
    for w in the_plan.warnings:
        print(f"warning: {w}", file=out)  # type: ignore[arg-type]


COMMANDS = {
    "generate": cmd_generate,
    "plan": cmd_plan,
    "check": cmd_check,
    "init": cmd_init,
    "new": cmd_new,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"error: internal error ({type(exc).__name__}: {exc}). This is a bug in "
            "pydocker-gen; rerun with --debug for the traceback and report it.",
            file=sys.stderr,
        )
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
