"""Local sources: folders and files of the project installed as dependencies."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pydocker_gen.cli import main
from pydocker_gen.errors import UserError
from pydocker_gen.reader.common import inside

Tree = Callable[[Mapping[str, str]], Path]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("libs/a", "libs/a"),
        ("./libs/a", "libs/a"),
        ("libs/../libs/a", "libs/a"),
        ("a.whl", "a.whl"),
    ],
)
def test_a_source_inside_the_project_is_named_relative_to_it(
    tmp_path: Path, path: str, expected: str
) -> None:
    assert inside(tmp_path, path, "uv.lock", "package a: source") == expected


def test_an_absolute_source_inside_the_project_is_made_relative(tmp_path: Path) -> None:
    assert inside(tmp_path, str(tmp_path / "libs" / "a"), "uv.lock", "a") == "libs/a"
    assert inside(tmp_path, (tmp_path / "libs" / "a").as_uri(), "uv.lock", "a") == "libs/a"


@pytest.mark.parametrize("path", ["../lib", "..", "libs/../../lib", "/opt/lib"])
def test_a_source_outside_the_project_is_an_error(tmp_path: Path, path: str) -> None:
    root = tmp_path / "app"
    root.mkdir()
    with pytest.raises(UserError) as exc:
        inside(root, path, "uv.lock", "package lib: source")
    assert str(exc.value).startswith(
        f"uv.lock: package lib: source: installs a local source from {path!r}, outside the project"
    )


def test_a_link_that_leaves_the_project_is_outside(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (tmp_path / "elsewhere").mkdir()
    root.mkdir()
    (root / "libs").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UserError):
        inside(root, "libs", "uv.lock", "lib")


def test_an_absolute_file_url_in_requirements_is_an_error(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree({"requirements.txt": "flask==3.1.3\ngreeting @ file:///home/me/greeting\n"})
    assert main(["plan", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: requirements.txt: line 2: installs greeting from a local path "
        "(file:///home/me/greeting), which a Docker build cannot reach."
    )


_LIB = {
    "hatchling": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
        {"src/lib/__init__.py": ""},
    ),
    "setuptools": (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
        {
            "setup.py": "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('lib._c', ['c.c'])])\n"
        },
    ),
}


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv (the [test] extra) makes the lock")
@pytest.mark.parametrize("backend", sorted(_LIB))
def test_a_local_folder_compiles_only_when_its_backend_may(
    tree: Tree, capsys: pytest.CaptureFixture[str], backend: str
) -> None:
    build_system, files = _LIB[backend]
    root = tree(
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
            'dependencies = ["lib"]\n\n[tool.uv]\npackage = false\n\n'
            '[tool.uv.sources]\nlib = { path = "libs/lib" }\n',
            "libs/lib/pyproject.toml": '[project]\nname = "lib"\nversion = "1.0"\n\n'
            + build_system,
            **{f"libs/lib/{k}": v for k, v in files.items()},
            "main.py": "import lib\n",
        }
    )
    # The real uv makes the lock (offline: the app and its library need no index).
    subprocess.run(
        ["uv", "lock", "--offline", "--python", sys.executable],
        cwd=root,
        check=True,
        capture_output=True,
    )
    assert 'source = { directory = "libs/lib" }' in (root / "uv.lock").read_text()
    assert main(["plan", "--json", str(root)]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert "libs/lib/pyproject.toml" in plan["install"]["lock_inputs"]
    assert plan["install"]["project"], "local folders install after the code is copied"
    if backend == "hatchling":
        assert [c["name"] for c in plan["compiled"]] == [] and plan["build_packages"] == []
    else:
        assert [c["name"] for c in plan["compiled"]] == ["lib"] and "gcc" in plan["build_packages"]


def test_the_export_filter_leaves_out_exactly_the_local_lines(tmp_path: Path) -> None:
    """DROP_LOCAL runs in the build (GNU sed, as in Debian); here on the lines each tool's
    export writes for a local folder (`pipenv requirements`, `poetry export`, `pdm export`),
    beside index, VCS and URL lines that must stay."""
    from pydocker_gen.planner.installers import DROP_LOCAL

    local = [
        "./libs/greeting",
        "-e ./libs/shout",
        '../sibling ; python_version >= "3.11"',
        'greeting @ file:///app/libs/greeting ; python_version >= "3.11" and python_version < "4.0"',
        "-e file:///app/libs/shout",
    ]
    kept = [
        "-i https://pypi.org/simple",
        "blinker==1.9.0; python_version >= '3.9' --hash=sha256:b4ce2265a7abece45e7cc896e98dbebe6cead56bcf805a3d23136d145f5445bf",
        'click==8.5.1 ; python_version >= "3.11" \\',
        "    --hash=sha256:8bb5376d2006950386f8c6427613334a2acadc5f559cb80e638d00b4df957e37",
        "git+https://github.com/example/lib.git@v1#egg=lib",
        "pkg @ https://files.example/pkg-1.0-py3-none-any.whl",
        "profile-file==1.0",
    ]
    export = tmp_path / "requirements.txt"
    lines = [*kept[:1], local[0], kept[1], local[1], *kept[2:4], *local[2:4], *kept[4:6], local[4]]
    export.write_text("\n".join([*lines, kept[6]]) + "\n")
    subprocess.run(["sh", "-c", f"{DROP_LOCAL} {export}"], check=True)
    assert export.read_text().splitlines() == kept


@pytest.mark.parametrize(
    "line", ["./libs/greeting", "../shared-lib", "vendor/lib-1.0-py3-none-any.whl"]
)
def test_a_local_line_in_requirements_is_named_as_such(
    tree: Tree, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    root = tree({"requirements.txt": f"flask==3.1.3\n{line}\n"})
    assert main(["plan", str(root)]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: requirements.txt: line 2: installs the local source {line!r}: pydocker-gen "
        "installs local sources for uv, Pipenv and Poetry projects only, so far."
    )
