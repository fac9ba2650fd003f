"""Build corpus projects for real (slow): the generated Dockerfile's dependency install, then
the final image, checked as its user (uid 10001): the main dependencies import and every
shared library under /opt/venv resolves with ldd. Libraries that auditwheel vendored into a
`<name>.libs/` folder are left out of the ldd pass: they name their siblings by hashed file
names that only the extension module's rpath finds, so ldd on them alone reports false
"not found"; importing the module (the `imports` list) loads them for real.

The corpus keeps no application code, so the project's own install step (`pip install .`,
`uv sync` of the project) is left out of the rendered plan: what is built is exactly the
lock's third-party packages, which is what the corpus can judge.

A project whose plan picks a Python without a base image on this machine (the stand-ins stop
at 3.13; CPython 3.14+ cannot be built here) is planned again with the newest Python that
has one and that its range allows, written as `pydocker-gen.toml` in the copy; the test
output says so ("NOTE: planned Python ... built on ...").

Which projects: those with `build = true` in tests/fixtures/corpus/corpus.toml.
PYDOCKER_GEN_CORPUS_SAMPLE=N builds N of them (default 2, what `.ci/run` builds), starting
at index (today's date as a proleptic ordinal) mod (number of projects) in name order and
wrapping around, so consecutive days cover the whole list; PYDOCKER_GEN_CORPUS_SAMPLE=all
builds every one: `PYDOCKER_GEN_CORPUS_SAMPLE=all pytest -m slow tests/e2e/test_corpus_builds.py`.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import shlex
import shutil
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from pydocker_gen.planner import Options, plan
from pydocker_gen.reader import inspect
from pydocker_gen.reader.python_version import admits_minor
from pydocker_gen.render import render
from tests.support.builder import PYTHON_VERSIONS, Builder

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
PROJECTS = tomllib.loads((CORPUS / "corpus.toml").read_text())
BUILDABLE = sorted(n for n, rec in PROJECTS.items() if rec.get("build"))

pytestmark = pytest.mark.slow

# Runs in the final image as its default user; prints one JSON object of findings.
PROBE = r"""
import glob, importlib, json, os, subprocess
found = {"uid": os.getuid(), "failed_imports": {}, "unresolved": []}
for name in %(imports)r:
    try:
        importlib.import_module(name)
    except Exception as exc:
        found["failed_imports"][name] = f"{type(exc).__name__}: {exc}"
for so in glob.glob(os.environ["VIRTUAL_ENV"] + "/**/*.so*", recursive=True):
    if ".libs/" in so:  # auditwheel's vendored copies: found through the loading module's rpath
        continue
    out = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
    found["unresolved"] += [so + ": " + l.strip() for l in out.splitlines() if "not found" in l]
print(json.dumps(found))
"""


DEFAULT_SAMPLE = "2"


def sample(names: list[str], size: str | None, today: datetime.date) -> list[str]:
    """All names ("all"), or `size` of them from a start that moves by one each day."""
    if size == "all":
        return names
    if not size:
        size = DEFAULT_SAMPLE
    count = min(int(size), len(names))
    start = today.toordinal() % len(names)
    return [names[(start + i) % len(names)] for i in range(count)]


def test_sample_rotates_daily() -> None:
    names = ["a", "b", "c", "d"]
    day = datetime.date(2026, 12, 2)
    first = sample(names, "3", day)
    assert len(first) == 3 and len(set(first)) == 3
    assert sample(names, "3", day + datetime.timedelta(days=1))[0] != first[0]
    assert sample(names, "all", day) == names
    assert sample(names, None, day) == sample(names, DEFAULT_SAMPLE, day)
    assert sample(names, "9", day) == sample(names, "4", day)


CHOSEN = sample(BUILDABLE, os.environ.get("PYDOCKER_GEN_CORPUS_SAMPLE"), datetime.date.today())


def _context(name: str, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the corpus project with the Dockerfile of its plan minus the project install."""
    rec = PROJECTS[name]
    shutil.copytree(CORPUS / name, tmp_path / name)
    ctx = tmp_path / name / rec["root"]
    the_plan = plan(inspect(ctx), Options(profile="portable"))
    if the_plan.python not in PYTHON_VERSIONS:
        facts = inspect(ctx)
        spec = SpecifierSet(facts.python.range or "")
        usable = [v for v in PYTHON_VERSIONS if admits_minor(spec, v)]
        if facts.python.pin is not None or not usable:
            pytest.skip(f"{name}: Python {the_plan.python} has no base image on this machine")
        print(f"{name}: NOTE: planned Python {the_plan.python}; built on {usable[-1]}")
        (ctx / "pydocker-gen.toml").write_text(f'python = "{usable[-1]}"\n')
        the_plan = plan(inspect(ctx), Options(profile="portable"))
    deps_only = dataclasses.replace(
        the_plan, install=dataclasses.replace(the_plan.install, project=())
    )
    rendered = render(deps_only)
    (ctx / "Dockerfile").write_text(rendered.dockerfile)
    (ctx / ".dockerignore").write_text(rendered.dockerignore)
    return ctx, the_plan.python


def _param(name: str) -> object:
    reason = PROJECTS[name].get("xfail_build")
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", [_param(n) for n in CHOSEN])
def test_corpus_project_builds(
    builder: Builder, unique_tag: str, name: str, tmp_path: Path
) -> None:
    rec = PROJECTS[name]
    ctx, python = _context(name, tmp_path)
    result = builder.build(ctx, unique_tag)
    print(f"{name}: Python {python}, built in {result.seconds:.0f}s, {result.steps_total} steps")
    assert builder.image_config(unique_tag)["User"] == "10001:10001"
    probe = PROBE % {"imports": rec["imports"]}
    proc = builder.run(unique_tag, ["sh", "-c", f"cd /app && python -c {shlex.quote(probe)}"])
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["uid"] == 10001
    assert found["failed_imports"] == {}, found["failed_imports"]
    assert found["unresolved"] == [], "\n".join(found["unresolved"])
