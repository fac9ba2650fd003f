from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pydocker_gen.errors import UserError
from pydocker_gen.facts import Source
from pydocker_gen.reader import requirements

Tree = Callable[[Mapping[str, str]], Path]


def test_includes_constraints_markers_hashes(tree: Tree) -> None:
    root = tree(
        {
            "requirements.txt": (
                "-r requirements/base.txt\n"
                "-c constraints.txt\n"
                "requests[socks]==2.32.3 \\\n"
                "    --hash=sha256:aaa \\\n"
                "    --hash=sha256:bbb\n"
                'importlib-metadata==8.7.1 ; python_version < "3.10"  # old Pythons\n'
            ),
            "requirements/base.txt": "--index-url https://pypi.org/simple\nsix==1.16.0 --hash=sha256:ccc\n",
            "constraints.txt": "urllib3<3\n",
        }
    )
    result = requirements.read(root, "requirements.txt")
    assert result.files == ["requirements.txt", "requirements/base.txt", "constraints.txt"]
    by_name = {p.name: p for p in result.packages}
    assert set(by_name) == {"six", "requests", "importlib-metadata"}  # constraints install nothing
    assert by_name["requests"].extras == ("socks",)
    assert by_name["requests"].hashes == ("sha256:aaa", "sha256:bbb")
    assert by_name["importlib-metadata"].marker == 'python_version < "3.10"'
    assert not result.hashed  # importlib-metadata has no hash
    assert result.pinned
    assert [i.url for i in result.indexes] == ["https://pypi.org/simple"]


def test_unpinned_and_direct_references(tree: Tree) -> None:
    root = tree(
        {
            "requirements.txt": (
                "flask>=3\n"
                "markupsafe @ git+https://github.com/pallets/markupsafe@3.0.2\n"
                "six @ https://files.example/six-1.17.0-py2.py3-none-any.whl#sha256=abc\n"
            )
        }
    )
    result = requirements.read(root, "requirements.txt")
    by_name = {p.name: p for p in result.packages}
    assert by_name["flask"].version is None
    assert by_name["markupsafe"].source is Source.VCS
    assert by_name["six"].source is Source.URL
    assert by_name["six"].files == ("six-1.17.0-py2.py3-none-any.whl",)
    assert not result.pinned


def test_bare_urls_are_read_as_pip_reads_them(tree: Tree) -> None:
    root = tree(
        {
            "requirements.txt": (
                "git+https://github.com/derneuere/django-chunked-upload@master"
                "#egg=django_chunked-upload\n"
                "https://files.example/pkg/master.zip\n"
                "https://files.example/six-1.17.0-py2.py3-none-any.whl; python_version < '3.13'\n"
                "hg+https://hg.example/repo#subdirectory=x&egg=extra-tool[cli]\n"
            )
        }
    )
    result = requirements.read(root, "requirements.txt")
    by_name = {p.name: p for p in result.packages}
    assert set(by_name) == {
        "django-chunked-upload",
        "https://files.example/pkg/master.zip",  # pip learns its name only by building it
        "six",
        "extra-tool",
    }
    assert by_name["django-chunked-upload"].source is Source.VCS
    assert by_name["https://files.example/pkg/master.zip"].source is Source.URL
    assert by_name["six"].marker == 'python_version < "3.13"'
    assert by_name["six"].files == ("six-1.17.0-py2.py3-none-any.whl",)
    assert by_name["extra-tool"].extras == ("cli",)
    assert result.pinned  # a URL fixes what it installs


def test_only_registry_lines_are_named_unpinned(tree: Tree) -> None:
    root = tree({"requirements.txt": "flask>=3\ngit+https://git.example/lib@v1#egg=lib\n"})
    read = requirements.manager_read(root, "requirements.txt")
    assert any(w.startswith("requirements.txt is not fully pinned (flask)") for w in read.warnings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("--extra-index-url https://u:secret@pypi.example.com/simple\n", "embeds credentials"),
        ("-r missing.txt\n", "includes 'missing.txt', which does not exist"),
        ("flask>=>3\n", "is not a valid requirement"),
        ("-e ../lib\n", "editable mode"),
        ("git+https://git.example/lib#egg=lib>=2\n", "is not a valid requirement"),
        ("file:///home/me/lib.tar.gz#egg=lib\n", "from a local path"),
    ],
)
def test_errors_name_the_file_and_line(tree: Tree, text: str, message: str) -> None:
    root = tree({"requirements.txt": text})
    with pytest.raises(UserError) as info:
        requirements.read(root, "requirements.txt")
    assert info.value.problem.file == "requirements.txt"
    assert message in str(info.value)
    assert "u:secret@" not in str(info.value)


def test_editable_project_line(tree: Tree) -> None:
    root = tree({"requirements.txt": "-e .\nsix==1.16.0\n"})
    result = requirements.read(root, "requirements.txt")
    assert result.editable_project
    assert [p.name for p in result.packages] == ["six"]


def test_the_project_line_is_dropped_from_the_dependency_install_in_the_build(
    tmp_path: Path,
) -> None:
    """DROP_PROJECT runs in the build (GNU sed, as in Debian); here on the forms pip reads as
    "install this project", and on lines that must stay."""
    import subprocess

    from pydocker_gen.planner.installers import DROP_PROJECT

    project = ["-e .", "-e ./", "--editable .", "--editable=.", ".", "./", "  -e .  # the app"]
    keep = ["click==8.5.1", "-e ./libs/x", "./libs/y", "-r base.txt", "# -e . is ours"]
    path = tmp_path / "requirements.txt"
    path.write_text("\n".join(project + keep) + "\n")
    subprocess.run(["sh", "-c", f"{DROP_PROJECT} {path}"], check=True)
    assert path.read_text().splitlines() == keep


def test_an_editable_project_line_installs_after_the_code(tree: Tree) -> None:
    from pydocker_gen.planner import plan
    from pydocker_gen.render import render

    root = tree(
        {
            "requirements.txt": "-e .\nclick==8.1.7\n",
            "pyproject.toml": '[project]\nname = "x"\nversion = "1"\n',
        }
    )
    from pydocker_gen.reader import inspect

    text = render(plan(inspect(root))).dockerfile
    deps, _, after = text.partition("COPY . .")
    assert "sed -E -i" in deps and "install -r requirements.txt" in deps
    assert "install --no-deps ." in after
