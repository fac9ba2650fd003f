from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pydocker_gen.errors import UserError
from pydocker_gen.planner import plan
from pydocker_gen.reader import inspect
from pydocker_gen.reader.python_version import admits_minor

Tree = Callable[[Mapping[str, str]], Path]
REQ = {"requirements.txt": "six==1.16.0\n"}


@pytest.mark.parametrize(
    ("files", "python", "source"),
    [
        ({".python-version": "3.12.4\n"}, "3.12", ".python-version"),
        ({"runtime.txt": "python-3.11.9\n"}, "3.11", "runtime.txt"),
        ({"pydocker-gen.toml": 'python = "3.13"\n'}, "3.13", "pydocker-gen.toml: python"),
    ],
)
def test_pins(tree: Tree, files: Mapping[str, str], python: str, source: str) -> None:
    facts = inspect(tree({**REQ, **files}))
    assert facts.python.pin == python
    assert facts.python.pin_source == source
    assert plan(facts).base_image == f"python:{python}-slim-trixie"


def test_range_picks_newest_allowed(tree: Tree) -> None:
    root = tree(
        {
            **REQ,
            "pyproject.toml": '[project]\nname="x"\nversion="1"\nrequires-python=">=3.10,<3.13"\n',
        }
    )
    the_plan = plan(inspect(root))
    assert the_plan.python == "3.12"
    assert any(r.topic == "python" and "newest CPython allowed" in r.why for r in the_plan.reasons)


def test_pin_outside_range_names_both(tree: Tree) -> None:
    root = tree(
        {
            **REQ,
            ".python-version": "3.10\n",
            "pyproject.toml": '[project]\nname="x"\nversion="1"\nrequires-python=">=3.11"\n',
        }
    )
    with pytest.raises(UserError) as info:
        inspect(root)
    text = str(info.value)
    assert text.startswith(".python-version: pins Python 3.10, outside pyproject.toml")
    assert "requires-python" in text and ">=3.11" in text


def test_not_a_version(tree: Tree) -> None:
    with pytest.raises(UserError, match=re.escape("'pypy3.10' is not a CPython 3 version")):
        inspect(tree({**REQ, ".python-version": "pypy3.10\n"}))


_OPS = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~="])
_SPEC = st.builds(
    lambda op, minor, patch, star: (
        f"{op}3.{minor}" + (".*" if star and op in ("==", "!=") else f".{patch}")
    ),
    _OPS,
    st.integers(9, 14),
    st.integers(0, 40),
    st.booleans(),
)


@given(st.lists(_SPEC, min_size=1, max_size=3), st.integers(9, 14))
def test_admits_minor_agrees_with_a_scan_of_every_patch(specs: list[str], minor: int) -> None:
    spec = SpecifierSet(",".join(specs))
    scan = any(spec.contains(Version(f"3.{minor}.{p}"), prereleases=True) for p in range(60))
    assert admits_minor(spec, f"3.{minor}") is scan


@pytest.mark.parametrize("text", ["python-3.10.x", "python-3.10", "3.10.x", "python-3.10.14"])
def test_runtime_txt_forms_real_projects_use(tree: Tree, text: str) -> None:
    facts = inspect(tree({**REQ, "runtime.txt": text + "\n"}))
    assert facts.python.pin == "3.10"


def test_an_unbounded_range_picks_the_newest_minor_in_the_data(tree: Tree) -> None:
    from pydocker_gen.planner import pythons

    newest = pythons.with_image("trixie")[-1]
    assert newest == "3.15"  # the data knows the current release (3.15.0, October 2026)
    root = tree(
        {**REQ, "pyproject.toml": '[project]\nname="x"\nversion="1"\nrequires-python=">=3.11"\n'}
    )
    assert plan(inspect(root)).python == newest


def test_end_of_life_pin_warns_with_the_date_and_the_supported_versions(tree: Tree) -> None:
    import datetime

    from pydocker_gen.planner import Options

    facts = inspect(tree({**REQ, ".python-version": "3.10\n"}))
    before = plan(facts, Options(today=datetime.date(2026, 10, 31)))
    after = plan(facts, Options(today=datetime.date(2026, 11, 1)))
    assert not any("end of life" in w for w in before.warnings)
    [warning] = [w for w in after.warnings if "end of life" in w]
    assert warning.startswith("Python 3.10 reached its end of life on 2026-10-31")
    assert "3.11, 3.12, 3.13, 3.14, 3.15" in warning and "3.10," not in warning
    assert after.base_image == "python:3.10-slim-trixie"  # a warning, not a change


def test_a_pinned_python_without_an_image_on_the_default_release_moves_the_release(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime

    from pydocker_gen.planner import Options, pythons

    old = pythons.Minor(
        "3.8", datetime.date(2019, 10, 14), datetime.date(2024, 10, 7), ("bookworm",)
    )
    known = pythons.minors()
    monkeypatch.setattr(pythons, "minors", lambda: (old, *known))
    facts = inspect(tree({**REQ, ".python-version": "3.8\n"}))
    the_plan = plan(facts)
    assert the_plan.base_image == "python:3.8-slim-bookworm"
    [why] = [r.why for r in the_plan.reasons if r.topic == "debian"]
    assert why == "Python 3.8 (.python-version) has official images for bookworm, not trixie"
    with pytest.raises(UserError, match=r"no official python:3.8-slim-trixie image \(--debian"):
        plan(facts, Options(debian="trixie"))


def test_cli_platform_is_validated_like_the_configuration(tree: Tree) -> None:
    from pydocker_gen.planner import Options

    facts = inspect(tree(REQ))
    with pytest.raises(UserError, match="'platforms' entries must be linux/amd64 or linux/arm64"):
        plan(facts, Options(platforms=("windows/amd64",)))
