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
