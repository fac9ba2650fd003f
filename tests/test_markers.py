"""Markers are evaluated one way for every lock, PEP 751 lock-file markers included."""

from __future__ import annotations

import pytest

from pydocker_gen import markers
from pydocker_gen.planner import native, plan
from pydocker_gen.reader import inspect
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("marker", "groups", "expected"),
    [
        ('"default" in dependency_groups', ("default",), True),
        ('"dev" in dependency_groups', ("default",), False),
        ('"dev" in dependency_groups and python_version >= "3.8"', ("dev",), True),
        ('"fast" in extras', ("default",), False),
        ('python_version < "3.11"', (), False),
        ('platform_machine == "aarch64"', (), False),
        ('extra == "test"', (), False),
        ("not a marker", (), True),  # unreadable: kept (installing too much is safer)
        (None, (), True),
    ],
)
def test_applies(marker: str | None, groups: tuple[str, ...], expected: bool) -> None:
    assert markers.applies(marker, "3.12", "x86_64", groups) is expected


def test_a_pylock_with_dependency_group_markers_plans_its_default_groups() -> None:
    # PDM writes "<group>" in dependency_groups markers; the install takes default-groups.
    root = ROOT / "tests" / "fixtures" / "corpus" / "sailor-moon-fansite"
    facts = inspect(root)
    target = native.target("3.14", "trixie", "linux/amd64")
    selected = {p.name for p in facts.packages if native.applies(p, target)}
    assert {"jinja2", "markupsafe"} <= selected
    dev = {p.name for p in facts.packages if p.marker and '"dev"' in p.marker}
    assert dev and not dev & selected
    assert plan(facts).manager == "pylock"
