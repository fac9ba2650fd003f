"""The public corpus (tests/fixtures/corpus): real applications' dependency files, planned.

Each project's expected outcome in corpus.toml comes from outside pydocker-gen: the real tool's
freshness check on the lock (recorded with the tool version in SOURCE.md), and, for packages
built from source, whether the index has a fitting wheel for the locked version
(`pip install --dry-run --only-binary :all: --no-deps --python-version X.Y --platform
manylinux_2_36_x86_64 NAME==VER`, run once and recorded as `must_compile`). Where pydocker-gen
disagrees today the case is a strict xfail naming the issue item, so it flips when fixed.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pydocker_gen.errors import UserError
from pydocker_gen.planner import plan
from pydocker_gen.planner.model import Plan
from pydocker_gen.reader import inspect

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
PROJECTS: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "corpus.toml").read_text())
# Planned once through the console entry point as a user would (exit codes, --json).
CLI_SAMPLE = ("archivebox", "bakerydemo", "lnbits-2022", "saleor", "warehouse")


def _root(name: str) -> Path:
    return CORPUS / name / PROJECTS[name]["root"]


@functools.cache
def _outcome(name: str, python: str | None = None) -> Plan | UserError:
    """The plan, or the user error; ``python`` plans on the Python the facts were recorded for
    (the newest CPython in pydocker-gen's data moves on, the wheels on the index did not)."""
    try:
        facts = inspect(_root(name))
        if python is not None and facts.python.pin is None:
            facts = replace(facts, python=replace(facts.python, pin=python, pin_source="corpus"))
        return plan(facts)
    except UserError as exc:
        return exc


def _case(name: str, xfail_key: str) -> Any:
    marks = []
    reason = PROJECTS[name].get(xfail_key)
    if reason:
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(name, id=name, marks=marks)


def test_corpus_is_complete() -> None:
    assert len(PROJECTS) >= 30
    for name, rec in PROJECTS.items():
        folder = CORPUS / name
        assert (folder / "SOURCE.md").is_file(), name
        assert rec["commit"] in (folder / "SOURCE.md").read_text(), name
        assert rec["expect"] in ("plan", "error"), name
        assert rec["tool_check"].split(":")[0] in ("fresh", "stale", "unknown"), name
        if rec["lock"]:
            assert (folder / rec["lock"]).is_file(), f"{name}: {rec['lock']}"


FAST = list(PROJECTS)  # every project plans in well under a second (docling-serve was 10 min)
# A stale lock is refused, so what it would compile is checked only where the lock plans.
PLANNED = [n for n in FAST if PROJECTS[n]["expect"] == "plan"]


@pytest.mark.parametrize("name", [_case(n, "xfail_outcome") for n in FAST])
def test_outcome_matches_the_real_tool(name: str) -> None:
    """A project whose lock the tool calls fresh plans; an error is the one recorded."""
    rec = PROJECTS[name]
    outcome = _outcome(name)  # anything but UserError propagates: an internal error fails
    if rec["expect"] == "error":
        assert isinstance(outcome, UserError), f"planned, but the recorded truth is an error: {rec}"
        assert outcome.problem.file == rec["error_file"], str(outcome)
        if "error_field" in rec:
            assert outcome.problem.field == rec["error_field"], str(outcome)
        return
    assert not isinstance(outcome, UserError), f"false error: {outcome}"
    assert outcome.manager == rec["installer"]
    if rec["lock"]:  # recorded relative to the corpus folder, planned relative to the root
        assert outcome.lockfile == os.path.relpath(CORPUS / name / rec["lock"], _root(name))
    else:
        assert outcome.lockfile is None


@pytest.mark.parametrize(
    "name",
    [_case(n, "xfail_compile") for n in PLANNED if "must_compile" in PROJECTS[n]],
)
def test_compiles_exactly_what_has_no_wheel(name: str) -> None:
    """Built from source: exactly the locked packages without a fitting wheel (recorded)."""
    rec = PROJECTS[name]
    outcome = _outcome(name, rec["python"])
    assert isinstance(outcome, Plan), str(outcome)
    assert outcome.python == rec["python"], "the wheel facts were recorded for another Python"
    from_source = {c.name for c in outcome.compiled} | set(outcome.pure_builds)
    assert sorted(from_source) == rec["must_compile"]


@pytest.mark.parametrize(
    "name",
    [_case(n, "xfail_compiler") for n in PLANNED if "needs_compiler" in PROJECTS[n]],
)
def test_compiler_only_for_native_code(name: str) -> None:
    """A C toolchain in the builder only when a package built from source has native code."""
    outcome = _outcome(name, PROJECTS[name].get("python"))
    assert isinstance(outcome, Plan), str(outcome)
    assert outcome.toolchain == PROJECTS[name]["needs_compiler"], outcome.build_packages


@pytest.mark.parametrize(
    "name", [_case(n, "xfail_no_deps") for n in FAST if "requirements_complete" in PROJECTS[n]]
)
def test_no_deps_only_for_complete_requirements(name: str) -> None:
    """pip may skip dependency resolution only when the file already pins every dependency."""
    outcome = _outcome(name)
    assert isinstance(outcome, Plan), str(outcome)
    commands = " ".join(c for run in outcome.install.deps for c in run.commands)
    assert "pip" in commands
    assert ("--no-deps" in commands) == PROJECTS[name]["requirements_complete"], commands


def _cli_plan(name: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "pydocker_gen", "plan", "--json", str(_root(name))],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("name", CLI_SAMPLE)
def test_cli_plan_json(name: str) -> None:
    rec = PROJECTS[name]
    assert not rec.get("xfail_outcome"), "the sample holds projects pydocker-gen agrees on"
    proc = _cli_plan(name, timeout=120)
    assert proc.returncode != 3, f"internal error:\n{proc.stderr}"
    if rec["expect"] == "error":
        assert proc.returncode == 2, proc.stdout
        assert proc.stderr.startswith("error:"), proc.stderr
        assert "Traceback" not in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["manager"] == rec["installer"]
