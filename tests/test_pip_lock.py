"""Where pip's requirements are: the registry's places in order (managers.PIP.lock), or the
file the configuration names; the plan's manager reason says which was found."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pydocker_gen import managers
from pydocker_gen.errors import UserError
from pydocker_gen.planner import plan
from pydocker_gen.reader import inspect
from pydocker_gen.render import render

Tree = Callable[[Mapping[str, str]], Path]
SETUP_CFG = "[metadata]\nname = app\nversion = 1\n"
BASE = "flask==3.1.3\n"
PROD = "-r base.txt\ngunicorn==23.0.0\n"


@pytest.mark.parametrize(
    ("files", "lock"),
    [
        # The production set (which includes the base one) wins; dev files are never the lock.
        (
            {"requirements/base.txt": BASE, "requirements/production.txt": PROD},
            "requirements/production.txt",
        ),
        ({"requirements/base.txt": BASE, "requirements/prod.txt": PROD}, "requirements/prod.txt"),
        (
            {"requirements/requirements.txt": BASE, "requirements/dev.txt": "pytest==8.3.4\n"},
            "requirements/requirements.txt",
        ),
        (
            {"requirements/base.txt": BASE, "requirements/local.txt": "-r base.txt\n"},
            "requirements/base.txt",
        ),
    ],
)
def test_a_requirements_folder_holds_pips_lock(
    tree: Tree, files: dict[str, str], lock: str
) -> None:
    facts = inspect(tree({"setup.cfg": SETUP_CFG, **files}))
    assert facts.manager is managers.PIP
    assert facts.lockfile == lock
    assert facts.manager_reason.startswith(
        f"{lock} is present: the first found of requirements.txt"
    )


def test_the_root_requirements_file_comes_first(tree: Tree) -> None:
    root = tree(
        {
            "requirements.txt": BASE,
            "requirements/production.txt": PROD,
            "requirements/base.txt": BASE,
        }
    )
    facts = inspect(root)
    assert facts.lockfile == "requirements.txt"
    assert facts.manager_reason == "requirements.txt is present"


def test_only_dev_requirements_leave_the_package_unlocked(tree: Tree) -> None:
    facts = inspect(tree({"setup.cfg": SETUP_CFG, "requirements/dev.txt": "pytest==8.3.4\n"}))
    assert facts.manager is managers.PIP
    assert facts.lockfile is None


def test_the_folders_file_is_copied_and_installed_with_its_includes(tree: Tree) -> None:
    root = tree(
        {
            "requirements/base.txt": BASE,
            "requirements/production.txt": PROD,
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
            ".python-version": "3.12\n",
        }
    )
    facts = inspect(root)
    assert facts.lock_inputs == ("requirements/production.txt", "requirements/base.txt")
    dockerfile = render(plan(facts)).dockerfile
    assert "-r requirements/production.txt" in dockerfile
    assert "requirements/base.txt" in dockerfile


def test_the_configuration_names_another_file(tree: Tree) -> None:
    root = tree(
        {
            "requirements.txt": "-r deploy/pinned.txt\npytest==8.3.4\n",
            "deploy/pinned.txt": BASE,
            "pydocker-gen.toml": 'requirements = "deploy/pinned.txt"\n',
        }
    )
    facts = inspect(root)
    assert (facts.manager, facts.lockfile) == (managers.PIP, "deploy/pinned.txt")
    assert "as the configuration's requirements names it" in facts.manager_reason
    assert [p.name for p in facts.packages] == ["flask"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"deploy/missing.txt"', "names requirements = 'deploy/missing.txt', which does not exist"),
        ('"../outside.txt"', "'requirements' must be a .txt path inside the project"),
        ('"requirements.in"', "'requirements' must be a .txt path inside the project"),
    ],
)
def test_a_bad_configured_file_is_a_user_error(tree: Tree, value: str, message: str) -> None:
    root = tree({"requirements.txt": BASE, "pydocker-gen.toml": f"requirements = {value}\n"})
    with pytest.raises(UserError, match=message) as caught:
        inspect(root)
    assert caught.value.problem.file == "pydocker-gen.toml"
