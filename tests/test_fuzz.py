"""A wrong value anywhere in a lock or manifest is the user's error, named where it is.

Each case puts a value of the wrong type (or a wrong string) at one key of one file. The outcome
must be exit 0 (the value is not read, or is valid), or exit 2 with one `error:` line that
either names the mutated file and a key path that is the mutated key, inside it, around it or
beside it (a value inconsistent with another key of its table), or says the project's lock is
out of date: for a changed manifest, or a changed string in the lock (a hash, a version), not
for a value of the wrong type in the lock. Anything else, and every internal error, fails.
`PYDOCKER_GEN_FUZZ_EXAMPLES` raises the number of examples for a local run (e.g. 200).
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pydocker_gen import managers
from pydocker_gen.cli import main
from tests.conftest import FIXTURES

MATRIX = FIXTURES.parent / "matrix"
CASES = [
    ("uv-app", "uv.lock"),
    ("poetry2-app", "poetry.lock"),
    ("poetry1-legacy", "poetry.lock"),
    ("pdm-app", "pdm.lock"),
    ("pylock-basic", "pylock.toml"),
    ("pipenv-basic", "Pipfile.lock"),
    ("uv-package", "pyproject.toml"),
    ("uv-workspace", "uv.lock"),
    ("uv-workspace", "packages/a/pyproject.toml"),
    ("uv-markers", "uv.lock"),
    ("poetry2-app", "pyproject.toml"),
    ("pipenv-basic", "Pipfile"),
    ("matrix/uv-0.13.9-fresh", "pyproject.toml"),
    ("matrix/uv-0.13.9-dependency-metadata-fresh", "uv.lock"),
    ("matrix/pdm-2.29.4-fresh", "pyproject.toml"),
]
WRONG = st.one_of(
    st.integers(),
    st.text(max_size=5),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
EXAMPLES = int(os.environ.get("PYDOCKER_GEN_FUZZ_EXAMPLES", "25"))


def _folder(project: str) -> Path:
    return FIXTURES.parent / project if project.startswith("matrix/") else FIXTURES / project


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


def key_path(keys: tuple[Any, ...]) -> str:
    """``("package", 3, "files")`` -> ``package[3].files``, as the readers name a key."""
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else f".{key}" if out else str(key)
    return out


def _related(field: str, mutated: str) -> bool:
    """The field is the mutated key, or a key inside or around it (`[tool.uv]` is a table's)."""
    if field.startswith("[") and field.endswith("]"):
        field = field[1:-1]
    short, long = sorted((field, mutated), key=len)
    return long == short or long.startswith((f"{short}.", f"{short}["))


def lock_of(root: Path) -> str:
    """The lock pydocker-gen reads in the project (the first present, in precedence order)."""
    return next(f for m in managers.MANAGERS for f in m.lock_files if (root / f).is_file())


def legitimate(
    err: str, name: str, lock: str, keys: tuple[Any, ...], value: Any, original: Any
) -> bool:
    """Exit 2's message for ``value`` put at ``keys`` of ``name`` in place of ``original``: see
    the module docstring."""
    # One print (a value may hold line breaks of its own): no warning before the error.
    if not err.startswith("error: ") or not err.endswith("\n") or "\nerror: " in err:
        return False
    line = err.removeprefix("error: ")
    if line.startswith(f"{lock}: ") and "is out of date" in line:
        # A changed manifest, or a changed value of the right type in the lock (a hash, a
        # table without an optional key); a value of the wrong type in the lock is named.
        return name != lock or type(value) is type(original)
    if not line.startswith(f"{name}: "):
        return False
    field = line.removeprefix(f"{name}: ").split(": ", 1)[0]
    # A value inconsistent with another key of its table (a package's name and its wheels')
    # may be named at that key; the other items of an array are not its business.
    beside = len(keys) > 1 and isinstance(keys[-1], str) and _related(field, key_path(keys[:-1]))
    return _related(field, key_path(keys)) or beside


def mutate(root: Path, name: str, choice: int, value: Any) -> tuple[tuple[Any, ...], Any]:
    """Put ``value`` at one key of ``name`` (chosen by ``choice``); return that key's path and
    the value it held."""
    path = root / name
    is_json = name == "Pipfile.lock"
    data = json.loads(path.read_text()) if is_json else tomllib.loads(path.read_text())
    paths = _paths(data)
    target = paths[choice % len(paths)]
    node = data
    for key in target[:-1]:
        node = node[key]
    original = node[target[-1]]
    node[target[-1]] = value
    path.write_text(json.dumps(data) if is_json else _dump_toml(data))
    return target, original


@pytest.mark.parametrize(("project", "name"), CASES)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(choice=st.integers(min_value=0), value=WRONG)
def test_a_wrong_value_anywhere_is_a_user_error_naming_it(
    tmp_path_factory: pytest.TempPathFactory,
    project: str,
    name: str,
    choice: int,
    value: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path_factory.mktemp("fuzz") / "project"
    shutil.copytree(_folder(project), root)
    keys, original = mutate(root, name, choice, value)
    code = main(["generate", "--stdout", str(root)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 2:
        assert legitimate(err, name, lock_of(root), keys, value, original), (keys, value, err)


@pytest.mark.parametrize(
    ("err", "keys", "value", "ok"),  # in place of the string "v"
    [
        (
            "error: uv.lock: package[0].sdist: must be a table, not 1.",
            ("package", 0, "sdist"),
            1,
            True,
        ),
        ("error: uv.lock: package[0].name: is missing.", ("package", 0), 1, True),
        ("error: uv.lock: package[0]: must be a table, not 1.", ("package", 0, "name"), 1, True),
        ("error: uv.lock: package[1].name: is missing.", ("package", 0), 1, False),
        ("error: uv.lock: package[10]: must be a table.", ("package", 1), 1, False),
        ("error: uv.lock: package[1].wheels[0]: not a's.", ("package", 1, "name"), "a", True),
        ("error: uv.lock: package[1].wheels[0]: bad.", ("package", 0, "name"), "a", False),
        ("error: uv.lock: package[1]: bad.", ("version",), 1, False),
        ("error: uv.lock: version: must be an integer.", ("version",), "1", True),
        ("error: uv.lock: is out of date: x. Run `uv lock`.", ("package", 0, "version"), "x", True),
        ("error: uv.lock: is out of date: x. Run `uv lock`.", ("package", 0, "version"), 1, False),
        ("error: uv.lock: is out of date: x. Run `uv lock`.", ("package", 0, "version"), [], False),
        ("error: uv.lock: [package]: must be an array.", ("package",), 1, True),
        ("error: pyproject.toml: package[0].name: bad.", ("package", 0, "name"), 1, False),
        ("error: internal error (KeyError: 'name').", ("package",), 1, False),
        ("warning: x\nerror: uv.lock: version: bad.", ("version",), 1, False),
        ("error: uv.lock: version: bad.\nerror: uv.lock: version: bad.", ("version",), 1, False),
        ("error: uv.lock: version: 'a\rb' is bad.", ("version",), "a\rb", True),
    ],
)
def test_the_fuzz_accepts_only_messages_naming_the_mutated_key(
    err: str, keys: tuple[Any, ...], value: Any, ok: bool
) -> None:
    assert legitimate(err + "\n", "uv.lock", "uv.lock", keys, value, "v") is ok
