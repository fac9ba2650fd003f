"""Golden files over every fixture project and example (Nixpacks-style snapshots).

Each decision is recorded once: the Dockerfile (and .dockerignore) shows what was decided,
``decisions.json`` why (the plan's reasons and warnings, and per compiled package its
packages), which the Dockerfile cannot show. The generator's version is left out, so a
release does not rewrite every snapshot. Run ``pytest --update-golden`` after an intended
change and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pydocker_gen import __version__
from pydocker_gen.errors import UserError
from pydocker_gen.planner import plan
from pydocker_gen.planner.model import Plan
from pydocker_gen.reader import inspect
from pydocker_gen.render import render
from tests.conftest import EXAMPLES, FIXTURES, GOLDEN

PROJECTS = sorted(
    [p for p in FIXTURES.iterdir() if p.is_dir()] + [p for p in EXAMPLES.iterdir() if p.is_dir()]
)


def _golden_dir(project: Path) -> Path:
    kind = "examples" if project.parent == EXAMPLES else "fixtures"
    return GOLDEN / kind / project.name


def _versionless(text: str) -> str:
    return text.replace(f"pydocker-gen {__version__} ", "pydocker-gen <version> ", 1)


def _decisions(the_plan: Plan) -> str:
    data = the_plan.to_dict()
    kept = {k: data[k] for k in ("reasons", "warnings", "compiled")}
    return json.dumps(kept, indent=2, sort_keys=True) + "\n"


def _compare(path: Path, actual: str, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        return
    assert path.is_file(), f"no golden file {path}; run pytest --update-golden"
    assert actual == path.read_text(), f"{path} differs; run pytest --update-golden and review"


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_golden(project: Path, update_golden: bool) -> None:
    golden = _golden_dir(project)
    try:
        the_plan = plan(inspect(project))
    except UserError as exc:
        assert project.name.startswith("err-"), f"{project.name}: unexpected error {exc}"
        _compare(golden / "error.txt", str(exc) + "\n", update_golden)
        return
    rendered = render(the_plan)
    _compare(golden / "decisions.json", _decisions(the_plan), update_golden)
    if project.parent == EXAMPLES:
        return  # an example's own committed Dockerfile is its snapshot (test_examples_current)
    _compare(golden / "Dockerfile", _versionless(rendered.dockerfile), update_golden)
    _compare(golden / "dockerignore", rendered.dockerignore, update_golden)


def test_every_error_fixture_is_an_error_or_warning() -> None:
    # err-two-managers is a warning case: it plans, and says what it ignored.
    for project in PROJECTS:
        if project.name.startswith("err-") and project.name != "err-two-managers":
            with pytest.raises(UserError):
                inspect(project)
