"""Malformed locks and manifests give one `error:` line and exit 2, never an internal error."""

from __future__ import annotations

import json
import shutil
import tomllib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pydocker_gen.cli import main
from tests.conftest import FIXTURES

CASES = [
    ("uv-app", "uv.lock"),
    ("poetry2-app", "poetry.lock"),
    ("poetry1-legacy", "poetry.lock"),
    ("pdm-app", "pdm.lock"),
    ("pylock-basic", "pylock.toml"),
    ("pipenv-basic", "Pipfile.lock"),
    ("uv-package", "pyproject.toml"),
]
WRONG = st.one_of(
    st.integers(),
    st.text(max_size=5),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data[:3]):
            out += _paths(v, (*prefix, i))
    return out


def _dump_toml(data: Any) -> str:
    import tomlkit

    return tomlkit.dumps(data)


@pytest.mark.parametrize(("project", "name"), CASES)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(choice=st.integers(min_value=0), value=WRONG)
def test_a_wrong_value_anywhere_is_a_user_error(
    tmp_path_factory: pytest.TempPathFactory,
    project: str,
    name: str,
    choice: int,
    value: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path_factory.mktemp("fuzz") / project
    shutil.copytree(FIXTURES / project, root)
    path = root / name
    is_json = name.endswith(".lock") and name.startswith("Pipfile")
    data = json.loads(path.read_text()) if is_json else tomllib.loads(path.read_text())
    paths = _paths(data)
    target = paths[choice % len(paths)]
    node = data
    for key in target[:-1]:
        node = node[key]
    node[target[-1]] = value
    path.write_text(json.dumps(data) if is_json else _dump_toml(data))
    code = main(["generate", "--stdout", str(root)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "internal error" not in err and "Traceback" not in err
