"""Lock freshness across tool versions: the reader agrees with each tool's own check.

Every folder of tests/fixtures/matrix was locked by the real tool named in its FIXTURE.md,
which also records the tool's own verdict (`pipenv verify`, `poetry check --lock`,
`pdm lock --check`) as a line `verdict: fresh` or `verdict: stale`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pydocker_gen.cli import main
from pydocker_gen.errors import UserError
from pydocker_gen.reader import inspect

MATRIX = Path(__file__).resolve().parent / "fixtures" / "matrix"
# uv cases (uv-*) record `uv lock --check` output instead: tests/test_uv_freshness.py reads them.
CASES = sorted(
    p for p in MATRIX.iterdir() if (p / "FIXTURE.md").is_file() and not p.name.startswith("uv-")
)
_VERDICT = re.compile(r"^verdict: (fresh|stale)$", re.MULTILINE)
# The lock and field each manager's stale error names.
STALE_FIELD = {
    "Pipfile.lock": "_meta.hash.sha256",
    "poetry.lock": "metadata.content-hash",
    "pdm.lock": "metadata.content_hash",
}
SEED = MATRIX / "pipenv-2026.10.3-seed-fresh"


def verdict(case: Path) -> str:
    found = _VERDICT.findall((case / "FIXTURE.md").read_text())
    assert len(found) == 1, f"{case.name}/FIXTURE.md must record one tool verdict"
    return str(found[0])


def test_matrix_covers_every_tool_both_ways() -> None:
    # Each tool has fresh and stale cases, so no tool's rule goes untested.
    seen = {(case.name.split("-")[0], verdict(case)) for case in CASES}
    assert seen == {(t, v) for t in ("pipenv", "poetry", "pdm") for v in ("fresh", "stale")}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_reader_agrees_with_the_tools_own_check(case: Path) -> None:
    if verdict(case) == "fresh":
        facts = inspect(case)
        assert facts.lockfile in STALE_FIELD
        assert facts.packages
        # Only the seed's hash folds in what no project file records.
        partly = any("freshness not fully checked" in w for w in facts.warnings)
        assert partly == (case == SEED)
        return
    with pytest.raises(UserError) as caught:
        inspect(case)
    problem = caught.value.problem
    assert (problem.file, problem.field) in STALE_FIELD.items()
    assert problem.message.startswith("is out of date")


def test_seed_locked_by_todays_pipenv_plans_and_generates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "seed"
    shutil.copytree(SEED, root)
    assert main(["plan", str(root)]) == 0
    out = capsys.readouterr()
    # Its hash folds in the locking machine's pip configuration, so only the weaker check ran.
    assert "freshness not fully checked" in out.out + out.err
    assert main(["generate", str(root)]) == 0
    assert "uwsgi" in (root / "Dockerfile").read_text()
