"""Render: ``render(plan) -> Rendered``. Lays the Plan out through Jinja2 templates.

Templates only loop over what this module hands them; shell text and quoting are built here
from decided lists, never chosen.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from pydocker_gen.planner import KEPT_MARKER
from pydocker_gen.planner.model import Plan, Run

DIGEST_PREFIX = "# pydocker-gen-digest: sha256:"
_SAFE = re.compile(r"^[A-Za-z0-9_./@%+=:,-]+$")


@dataclass(frozen=True, slots=True)
class Rendered:
    dockerfile: str
    dockerignore: str


def templates_dir() -> Path:
    """Installed wheels carry templates/ inside the package; a source checkout has it beside."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "Dockerfile.j2").is_file():
            return candidate
    raise FileNotFoundError("pydocker-gen's templates are missing from the installation")


def environment(extra_dirs: Iterable[Path] = ()) -> jinja2.Environment:
    shipped = jinja2.FileSystemLoader(str(templates_dir()))
    # User templates shadow the shipped ones, and extend them as "pydocker-gen/<name>".
    loader = jinja2.ChoiceLoader(
        [
            *(jinja2.FileSystemLoader(str(d)) for d in extra_dirs),
            jinja2.PrefixLoader({"pydocker-gen": shipped}),
            shipped,
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Dockerfiles are not HTML; quoting is explicit below
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["sh"] = sh_quote
    env.filters["json"] = json_array
    env.filters["envval"] = env_value
    return env


def sh_quote(value: str) -> str:
    return shlex.quote(value)


def json_array(values: Iterable[str]) -> str:
    return json.dumps(list(values))


def env_value(value: str) -> str:
    """An ENV value, literal: nothing in it expands."""
    if _SAFE.match(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def run_lines(run: Run) -> list[str]:
    """The lines of one RUN instruction, continuation backslashes included."""
    head = [f"--mount={m}" for m in run.mounts]
    lines = [" ".join(["RUN", *head]) + " \\"] if head else []
    for i, command in enumerate(run.commands):
        prefix = ("RUN " if not lines else "    ") if i == 0 else "    && "
        lines.append(prefix + command)
    return [
        line if i == len(lines) - 1 else (line if line.endswith("\\") else line + " \\")
        for i, line in enumerate(lines)
    ]


def env_lines(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """One ENV instruction, a variable a line."""
    items = [f"{k}={env_value(v)}" for k, v in pairs]
    if not items:
        return []
    lines = ["ENV " + items[0]] + ["    " + i for i in items[1:]]
    return [line + " \\" for line in lines[:-1]] + [lines[-1]]


def copy_groups(files: Iterable[str]) -> list[tuple[list[str], str]]:
    """COPY sources grouped by folder, so that requirements/base.txt keeps its path.

    A folder (named with a trailing slash) gets a COPY of its own: COPY copies a folder's
    contents, so its destination is the folder itself.
    """
    groups: dict[str, list[str]] = {}
    for f in files:
        if f.endswith("/"):
            groups.setdefault(f"./{f}", []).append(f.rstrip("/"))
            continue
        parent = Path(f).parent.as_posix()
        groups.setdefault("./" if parent == "." else f"./{parent}/", []).append(f)
    return [(srcs, dest) for dest, srcs in groups.items()]


def copy_args(sources: list[str], dest: str) -> str:
    if all(_SAFE.match(s) for s in [*sources, dest]):
        return " ".join([*sources, dest])
    return json.dumps([*sources, dest])


def render(plan: Plan, extra_template_dirs: Iterable[Path] = ()) -> Rendered:
    env = environment(extra_template_dirs)
    context = {
        "plan": plan,
        "builder_env": env_lines(plan.install.env),
        "final_env": env_lines(plan.env),
        "builder_prep": [line for r in plan.builder_setup for line in run_lines(r)],
        "apt_in_builder": bool(plan.build_packages),
        "lock_copies": [copy_args(s, d) for s, d in copy_groups(plan.install.lock_inputs)],
        "before_deps_runs": [run_lines(r) for r in plan.steps_before_deps],
        "deps_runs": [run_lines(r) for r in plan.install.deps],
        "project_runs": [run_lines(r) for r in plan.install.project],
        "final_steps": [line for r in plan.final_steps for line in run_lines(r)],
        "healthcheck": json_array(plan.healthcheck) if plan.healthcheck else None,
        "final_prep": [line for r in plan.final_setup for line in run_lines(r)],
        "apt_in_final": bool(plan.runtime_packages),
        "app_copies": [copy_args([s], "./") for s in plan.copy_app],
        "kept_marker": KEPT_MARKER,
    }
    body = env.get_template("Dockerfile.j2").render(context)
    dockerignore = env.get_template("dockerignore.j2").render(context)
    return Rendered(dockerfile=with_header(plan, body), dockerignore=dockerignore)


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def with_header(plan: Plan, body: str) -> str:
    source = plan.lockfile or "the project's manifests"
    header = [
        "# syntax=docker/dockerfile:1",
        f"# Generated by {plan.generator} from {source}. Do not edit by hand:",
        "# change [tool.pydocker-gen] or pydocker-gen.toml and run `pydocker-gen generate`.",
        DIGEST_PREFIX + body_digest(body),
    ]
    return "\n".join(header) + "\n" + body


def split_header(text: str) -> tuple[str | None, str]:
    """(recorded digest, body) of a generated Dockerfile; digest None when there is no header."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines[:8]):
        if line.startswith(DIGEST_PREFIX):
            return line[len(DIGEST_PREFIX) :].strip(), "".join(lines[i + 1 :])
    return None, text
