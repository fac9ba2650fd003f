"""uv.lock freshness: pydocker-gen agrees with `uv lock --check` of each uv version.

The matrix under tests/fixtures/matrix/uv-* was made by tests/fixtures/matrix/uv-make.sh with
the real uv versions; each FIXTURE.md records that version's own `uv lock --check` verdict.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from pydocker_gen.cli import main
from pydocker_gen.errors import UserError
from pydocker_gen.reader import inspect
from pydocker_gen.reader.uv import _Cond, _environments, _same, _same_range

MATRIX = Path(__file__).resolve().parent / "fixtures" / "matrix"
VERSIONS = ("0.5.31", "0.7.22", "0.9.30", "0.13.9")
CASES = (
    "fresh",
    "cosmetic",
    "group-add",
    "marker",
    "extras",
    "optional-add",
    "extra-empty",
    "requires-python",
    "source-change",
    "source-add",
    "legacy-dev",
    "legacy-dev-add",
    "spelling",
    "constraint",
    "resolution",
    "version",
    "lib-dep",
    "requires-python-same",
    "dependency-metadata",
    "dependency-metadata-fresh",
    "ws-fresh",
    "ws-member-dep",
    "ws-members",
)

# What the error must name for each stale case: the lock's field and the difference.
EXPECTED = {
    "group-add": ("metadata.requires-dev", "dependency group dev: pluggy>=1.5 in pyproject.toml"),
    "marker": ("metadata.requires-dist", "tomli>=2; python_version < '3.12' in pyproject.toml"),
    "extras": ("metadata.requires-dist", "Markdown_It_Py[linkify,plugins]>=3 in pyproject.toml"),
    "extra-empty": ("metadata.provides-extras", "extras: nothing, toml in pyproject.toml"),
    "requires-python": ("requires-python", ">=3.11 in pyproject.toml, >=3.10 in uv.lock"),
    "source-change": ("metadata.requires-dist", "editable libs/localib) in pyproject.toml"),
    "source-add": ("metadata.requires-dist", "index https://pypi.org/simple) in pyproject.toml"),
    "legacy-dev-add": ("metadata.requires-dev", "dependency group dev: pluggy>=1.5 in pyproject"),
    "constraint": ("manifest.constraints", "constraint-dependencies: mdurl<0.2 in pyproject"),
    "resolution": (
        "options.resolution-mode",
        "lowest-direct in pyproject.toml, highest in uv.lock",
    ),
    "version": ("package matrix-app: version", "0.2.0 in pyproject.toml, 0.1.0 in uv.lock"),
    "ws-member-dep": ("package member-b: metadata.requires-dist", "in packages/member_b/pyproject"),
    "ws-members": ("manifest.members", "member-a, member-b, ws-root in pyproject.toml, member-a"),
    "dependency-metadata": ("manifest.dependency-metadata", "dependency-metadata differs"),
    # uv compares the metadata of path sources too: localib gained a dependency.
    "lib-dep": ("package localib: metadata.requires-dist", "six in libs/localib/pyproject.toml"),
}
# A new extra with a dependency: locks that record provides-extras (revision 1 on) differ there
# first; revision 0 (uv 0.5) only in requires-dist.
OPTIONAL_ADD = {
    True: ("metadata.provides-extras", "extras: color, toml in pyproject.toml, toml in uv.lock"),
    False: (
        "metadata.requires-dist",
        "colorama>=0.4 (extra color) in pyproject.toml, not in uv.lock",
    ),
}

FOLDERS = sorted(p for p in MATRIX.glob("uv-*") if p.is_dir())


def _uv_verdict(folder: Path) -> bool:
    """True when that uv version's own `uv lock --check` passed (as FIXTURE.md records it)."""
    match = re.search(r"\*\*(passes|fails) \(exit (\d+)\)\*\*", (folder / "FIXTURE.md").read_text())
    assert match, f"{folder.name}/FIXTURE.md records no `uv lock --check` verdict"
    return match.group(1) == "passes"


def test_the_matrix_is_complete() -> None:
    assert [p.name for p in FOLDERS] == sorted(f"uv-{v}-{c}" for v in VERSIONS for c in CASES)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_pydocker_gen_agrees_with_uv_lock_check(folder: Path) -> None:
    if _uv_verdict(folder):
        inspect(folder)  # fresh: no error
        return
    with pytest.raises(UserError) as exc:
        inspect(folder)
    problem = exc.value.problem
    assert problem.file == "uv.lock"
    case = folder.name.split("-", 2)[2]
    revision_1 = "revision = " in (folder / "uv.lock").read_text().split("[[package]]")[0]
    field, what = OPTIONAL_ADD[revision_1] if case == "optional-add" else EXPECTED[case]
    assert problem.field is not None and problem.field.endswith(field), str(exc.value)
    assert what in problem.message, str(exc.value)


def test_uv_0_5_lock_without_provides_extras_accepts_a_new_empty_extra() -> None:
    # uv 0.5 writes lock revision 0, without provides-extras; its check passes, and so must ours.
    folder = MATRIX / "uv-0.5.31-extra-empty"
    assert "provides-extras" not in (folder / "uv.lock").read_text()
    assert _uv_verdict(folder)
    inspect(folder)


def test_a_stale_uv_lock_stops_plan_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(MATRIX / "uv-0.13.9-group-add")]) == 2
    err = capsys.readouterr().err
    assert "uv.lock: package matrix-app: metadata.requires-dev: is out of date" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("declared", "recorded", "same"),
    [
        ("python_version < '3.11'", "python_full_version < '3.11'", True),
        ("python_version <= '3.10'", "python_full_version < '3.11'", True),
        ("python_version < '3.12'", "python_full_version < '3.11'", False),
        (
            "sys_platform == 'linux' and python_version >= '3.11'",
            "python_full_version >= '3.11' and sys_platform == 'linux'",
            True,
        ),
        ("sys_platform == 'linux' or sys_platform == 'darwin'", "sys_platform == 'linux'", False),
        ("platform_machine == 'x86_64'", "platform_machine == 'aarch64'", False),
        # requires-python >=3.10: a bound below it says nothing, as uv simplifies it away.
        ("python_version >= '3.8' and os_name == 'nt'", "os_name == 'nt'", True),
    ],
)
def test_markers_are_compared_by_meaning(declared: str, recorded: str, same: bool) -> None:
    a, b = _Cond((Marker(declared),)), _Cond((Marker(recorded),))
    envs = _environments([*a.markers(), *b.markers()], SpecifierSet(">=3.10"))
    assert _same(a, b, envs) is same


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (">=3.10", ">=3.10.0", True),
        ("~=3.10", ">=3.10, ==3.*", True),
        (">=3.10", ">=3.10, <4", False),  # uv compares bounds: an upper bound is a change
        (">=3.10", ">=3.11", False),
        (">=3.10, !=3.11.2", ">=3.10", False),
    ],
)
def test_requires_python_is_compared_as_a_range(a: str, b: str, same: bool) -> None:
    assert _same_range([SpecifierSet(a)], [SpecifierSet(b)]) is same


def test_a_bad_source_marker_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "app"
    shutil.copytree(MATRIX / "uv-0.13.9-fresh", root)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    source = 'localib = { path = "libs/localib" }'
    assert source in text
    pyproject.write_text(text.replace(source, source[:-2] + ', marker = "sys_platform =! 1" }'))
    assert main(["plan", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: pyproject.toml: tool.uv.sources.localib.marker: 'sys_platform =! 1' is not a "
        "valid marker (Expected marker"
    )
    assert "Traceback" not in err and "\n" not in err.strip()
