"""The managers' registry is the one place a package manager is described: what else names
managers (configuration, pre-commit hook, docs, fuzz cases, pinned tools) agrees with it, and
a new manager needs one registry line and its own module."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from pydocker_gen import config, managers
from pydocker_gen.errors import UserError
from pydocker_gen.facts import LockedPackage, ProjectFacts
from pydocker_gen.planner import plan
from pydocker_gen.planner.installers import TOOL_VERSIONS, Context
from pydocker_gen.planner.model import Install, Run
from pydocker_gen.reader import inspect
from pydocker_gen.reader.common import ManagerRead, all_hashed
from pydocker_gen.render import render
from tests.conftest import ROOT
from tests.test_fuzz import CASES as FUZZ_CASES

Tree = Callable[[Mapping[str, str]], Path]


def test_names_and_locks_are_unique() -> None:
    names = [m.name for m in managers.MANAGERS]
    locks = [f for m in managers.MANAGERS for f in m.lock_files]
    assert len(set(names)) == len(names)
    assert len(set(locks)) == len(locks)


def test_the_pre_commit_hooks_watch_every_managers_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        pattern = re.compile(hook["files"])
        for m in managers.MANAGERS:
            for name in (
                *m.lock_files,
                m.manifest_file,
                "pyproject.toml" if m.tool_table else None,
            ):
                if name:
                    assert pattern.search(f"sub/{name}"), (hook["id"], m.name, name)


def test_configuration_offers_exactly_the_registered_managers(tree: Tree) -> None:
    assert config._choices()["installer"] == managers.names()
    described = config.SCHEMA["installer"].expected
    assert all(re.search(rf"\b{re.escape(n)}\b", described) for n in managers.names()), described
    for name in managers.names():
        assert config.parse({"installer": name}, "pydocker-gen.toml").installer == name
    with pytest.raises(
        UserError, match=f"'installer' must be one of {', '.join(managers.names())}, not 'conda'"
    ):
        config.parse({"installer": "conda"}, "pydocker-gen.toml")


def test_every_tool_a_manager_installs_is_pinned() -> None:
    for m in managers.MANAGERS:
        assert set(m.tools) <= set(TOOL_VERSIONS), m.name
    installed = {t for m in managers.MANAGERS for t in m.tools}
    assert installed == set(TOOL_VERSIONS), "a pinned tool no manager installs"


def test_docs_and_fuzz_cases_cover_every_manager() -> None:
    readers_doc = (ROOT / "docs" / "readers.md").read_text()
    fuzzed = {file for _, file in FUZZ_CASES}
    for m in managers.MANAGERS:
        for lock in m.lock_files:
            assert f"`{lock}`" in readers_doc, f"docs/readers.md does not name {lock}"
            if lock.endswith((".lock", ".toml")):  # structured locks are fuzzed
                assert lock in fuzzed, f"tests/test_fuzz.py has no case for {lock}"
        assert m.title in readers_doc, m.title
    order = [m.lock_files[0] for m in managers.MANAGERS]
    positions = [readers_doc.index(f"`{lock}`") for lock in order]
    assert positions == sorted(positions), "docs/readers.md lists the locks out of precedence order"


def test_a_declared_manager_without_its_lock_is_named_from_the_registry(tree: Tree) -> None:
    for m in managers.MANAGERS:
        if m.tool_table is None:
            continue
        root = tree(
            {"pyproject.toml": f'[project]\nname = "x"\nversion = "1"\n[tool.{m.tool_table}]\n'}
        )
        with pytest.raises(UserError) as info:
            inspect(root)
        assert f"{m.title} project without {m.lock}" in str(info.value)
        assert f"`{m.lock_command}`" in str(info.value)
        (root / "pyproject.toml").unlink()


# A manager that exists only in this test: one reader, one strategy, one registry line.
def _read_fake(root: Path, pyproj: object, cfg: object) -> ManagerRead:
    lines = (root / "fake.lock").read_text().split()
    packages = [LockedPackage(name=n, version=v) for n, v in (x.split("==") for x in lines)]
    return ManagerRead(
        manifest=None,
        lockfile="fake.lock",
        lock_inputs=["fake.lock"],
        packages=packages,
        hashed=all_hashed(packages),
        pinned=True,
    )


def _install_fake(facts: ProjectFacts, ctx: Context) -> Install:
    command = f"fake-install --into {ctx.venv} fake.lock"
    return Install(
        tool=None, env=(), deps=(Run(commands=(command,)),), project=(), lock_inputs=("fake.lock",)
    )


FAKE = managers.Manager(
    name="fakepm", title="FakePM", lock="fake.lock", read=_read_fake, strategy=_install_fake
)


def test_a_manager_added_in_one_registry_line_is_detected_read_planned_and_configurable(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(managers, "MANAGERS", (FAKE, *managers.MANAGERS))
    root = tree({"fake.lock": "flask==3.1.0\n", "requirements.txt": "flask==3.1.0\n"})
    facts = inspect(root)
    assert facts.manager is FAKE
    assert facts.manager_reason == "fake.lock takes precedence"
    assert [p.name for p in facts.packages] == ["flask"]
    the_plan = plan(facts)
    assert the_plan.manager == "fakepm"
    assert "fake-install --into /opt/venv fake.lock" in render(the_plan).dockerfile
    assert "requirements.txt ignored" in " ".join(the_plan.warnings)
    # Configurable by name, and the configuration then wins over the lock order.
    (root / "pydocker-gen.toml").write_text('installer = "pip"\n')
    assert inspect(root).manager is managers.PIP
    (root / "pydocker-gen.toml").write_text('installer = "fakepm"\n')
    assert inspect(root).manager is FAKE
    assert replace(FAKE, extras=True).extras  # frozen value: variants are made, not mutated
