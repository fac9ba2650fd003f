"""Bad input is the user's error, named by file and key path; anything else is a bug (exit 3)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from pydocker_gen.cli import main
from pydocker_gen.reader import pipenv, pyproject, uv
from pydocker_gen.reader.shape import Node, ShapeError
from tests.conftest import FIXTURES

MATRIX = FIXTURES.parent / "matrix"


def _boom(*args: object, **kwargs: object) -> object:
    raise KeyError("name")


@pytest.mark.parametrize(
    ("module", "function", "project"),
    [
        (uv, "_package", "uv-app"),
        (pipenv, "_locked", "pipenv-basic"),
        (pyproject, "load", "uv-app"),
    ],
)
def test_a_bug_in_a_reader_is_an_internal_error_with_a_traceback_under_debug(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    module: object,
    function: str,
    project: str,
) -> None:
    monkeypatch.setattr(module, function, _boom)
    root = str(FIXTURES / project)
    assert main(["generate", "--stdout", root]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: internal error (KeyError: 'name'). This is a bug in pydocker-gen")
    with pytest.raises(KeyError, match="name"):
        main(["--debug", "generate", "--stdout", root])


def test_a_node_names_the_key_path_of_a_wrong_value() -> None:
    doc = Node({"package": [{"name": "a", "files": [{"hash": 1}]}], "version": True}, "x.lock")
    files = doc.tables("package")[0].tables("files")
    with pytest.raises(ShapeError) as info:
        files[0].text("hash")
    assert str(info.value) == "x.lock: package[0].files[0].hash: must be a string, not 1."
    with pytest.raises(ShapeError, match=r"^x\.lock: version: must be an integer, not True\.$"):
        doc.int_or("version", 1)
    with pytest.raises(ShapeError, match=r"^x\.lock: package\[0\]\.name: must be an array"):
        doc.tables("package")[0].node("name").as_nodes()
    assert doc.tables("package")[0].opt_flag("editable") is None


def test_a_node_parses_with_packaging_and_names_an_invalid_value() -> None:
    doc = Node({"requires-python": ">=3.10", "marker": "os_name =! 'nt'"}, "uv.lock")
    assert doc.node("requires-python").as_parsed(SpecifierSet, "specifier") == SpecifierSet(
        ">=3.10"
    )
    with pytest.raises(ShapeError) as info:
        doc.node("marker").as_parsed(Marker, "marker")
    assert str(info.value).startswith(
        "uv.lock: marker: \"os_name =! 'nt'\" is not a valid marker (Expected marker operator"
    )


def _append(text: str) -> Callable[[str], str]:
    return lambda old: old + text


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return edit


# Each was, before typed reading, an internal error or a message blaming the wrong file.
BAD_INPUT = [
    pytest.param(
        "matrix/uv-0.13.9-fresh",
        "pyproject.toml",
        _replace('dev = ["iniconfig>=2"]', 'dev = ["iniconfig>=2", {include-group = "dev"}]'),
        "error: pyproject.toml: dependency-groups: is not valid (Cyclic dependency group include "
        "while resolving dev: dev includes itself).",
        id="uv-dependency-group-cycle",
    ),
    pytest.param(
        "matrix/uv-0.13.9-fresh",
        "pyproject.toml",
        _append("tomli = {}\n"),
        "error: pyproject.toml: tool.uv.sources.tomli: names no source (path, git, url, index "
        "or workspace).",
        id="uv-empty-source",
    ),
    pytest.param(
        "matrix/uv-0.13.9-fresh",
        "pyproject.toml",
        _replace('toml = ["tomli-w>=1"]', '"to\'ml" = ["tomli-w>=1"]'),
        "error: pyproject.toml: project.optional-dependencies.to'ml: \"to'ml\" is not a valid "
        "extra name.",
        id="uv-extra-name",
    ),
    pytest.param(
        "projects/uv-app",
        "uv.lock",
        _replace("sdist = {", "sdist = 1\nx = {"),
        "error: uv.lock: package[0].sdist: must be a table, not 1. Regenerate it with `uv lock`.",
        id="uv-lock-sdist",
    ),
    pytest.param(
        "projects/req-pinned",
        "requirements.txt",
        lambda text: "-i http://[\n" + text,
        "error: requirements.txt: line 1: 'http://[' is not a valid URL (Invalid IPv6 URL).",
        id="requirements-url",
    ),
    pytest.param(
        "projects/pipenv-basic",
        "Pipfile",
        _replace('[[source]]\nurl = "https://pypi.org/simple"\n', 'source = 1\n[x]\nurl = "u"\n'),
        "error: Pipfile: source: must be an array, not 1.",
        id="pipfile-source",
    ),
    pytest.param(
        "projects/pipenv-basic",
        "Pipfile",
        _replace('gunicorn = "*"', 'gunicorn = { commit = "x" }'),
        "error: Pipfile: packages.gunicorn: Unrecognized Pipfile option(s): commit.",
        id="pipfile-package-option",
    ),
    pytest.param(
        "projects/pdm-app",
        "pyproject.toml",
        _append("dev-dependencies = 1\n"),
        "error: pyproject.toml: tool.pdm.dev-dependencies: must be a table, not 1.",
        id="pdm-dev-dependencies",
    ),
    pytest.param(
        "projects/pylock-basic",
        "pylock.toml",
        _replace("sdist = { url", "sdist = 1\nx = { url"),
        "error: pylock.toml: packages[0].sdist: is not a valid PEP 751 lock: Unexpected type int "
        "(expected Mapping).",
        id="pylock-sdist",
    ),
]


@pytest.mark.parametrize(("project", "name", "edit", "expected"), BAD_INPUT)
def test_bad_input_is_named_by_file_and_key_path(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    project: str,
    name: str,
    edit: Callable[[str], str],
    expected: str,
) -> None:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES.parent / project, root)
    (root / name).write_text(edit((root / name).read_text()))
    assert main(["plan", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected), err
    assert err.count("\n") == 1


def test_a_poetry_python_constraint_poetry_cannot_parse_is_named() -> None:
    doc = {"tool": {"poetry": {"dependencies": {"python": "^3.x"}}}}
    from pydocker_gen.reader import poetry

    with pytest.raises(ShapeError) as info:
        poetry.python_range(pyproject.PyProject(data=doc, exists=True))
    assert str(info.value).startswith(
        "pyproject.toml: tool.poetry.dependencies.python: '^3.x' is not a valid Poetry version "
        "constraint (Could not parse version constraint: ^3.x)."
    )


def test_an_index_source_for_one_extra_is_compared_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """uv records such a source with a conflict this reader does not predict: the requirement
    is compared by name only, and showing it must not fail."""
    root = tmp_path / "project"
    shutil.copytree(MATRIX / "uv-0.13.9-fresh", root)
    manifest = root / "pyproject.toml"
    manifest.write_text(manifest.read_text() + 'tomli-w = { index = "mirror", extra = "toml" }\n')
    assert main(["plan", str(root)]) == 0, capsys.readouterr().err
    req = Node("tomli-w>=1", "pyproject.toml", "project.optional-dependencies.toml[0]")
    low = uv._Lowering(
        root,
        "",
        uv._sources(Node({"sources": {"tomli-w": {"index": "mirror", "extra": "toml"}}}, "p"), ""),
        {"mirror": "https://pypi.org/simple"},
        {},
    )
    (lowered,) = uv._lower(req, low, extra="toml")
    assert (
        lowered.shown
        == "tomli-w>=1 (extra toml) (from [tool.uv.sources]: a source compared by name only)"
    )
