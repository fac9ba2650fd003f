"""Each fixture's FIXTURE.md (and each example's README.md) conclusion, asserted as data.

``expect.toml`` beside the prose restates what it says pydocker-gen must conclude; the values
come from the prose and the lock, never from running pydocker-gen. Every claim is one test
against ``inspect`` + ``plan`` (and the rendered Dockerfile where the claim is about a
command). A claim pydocker-gen gets wrong is listed under ``[xfail]`` with the reason: a known
bug, checked strictly, so fixing it turns the test red until the entry goes.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from pydocker_gen.errors import UserError
from pydocker_gen.facts import ProjectFacts
from pydocker_gen.planner import Options, plan
from pydocker_gen.planner.model import Plan
from pydocker_gen.reader import inspect
from pydocker_gen.render import render
from tests.conftest import EXAMPLES, FIXTURES

CLAIMED = sorted(
    [p for p in FIXTURES.iterdir() if (p / "FIXTURE.md").is_file()]
    + [p for p in EXAMPLES.iterdir() if (p / "README.md").is_file()]
)
NONE = "none"  # TOML has no null: "none" claims that there is no value


@dataclass(frozen=True)
class Outcome:
    facts: ProjectFacts | None
    plan: Plan | None
    dockerfile: str
    error: UserError | None


def _expect(project: Path) -> dict[str, Any]:
    return tomllib.loads((project / "expect.toml").read_text())


@functools.cache
def _outcome(project: Path) -> Outcome:
    options = _expect(project).get("options", {})
    try:
        facts = inspect(project)
    except UserError as exc:
        return Outcome(None, None, "", exc)
    the_plan = plan(
        facts,
        Options(debian=options.get("debian"), platforms=tuple(options.get("platforms", ()))),
    )
    return Outcome(facts, the_plan, render(the_plan).dockerfile, None)


def _planned(out: Outcome) -> tuple[ProjectFacts, Plan]:
    assert out.error is None, f"unexpected error: {out.error}"
    assert out.facts is not None and out.plan is not None
    return out.facts, out.plan


def _installed(out: Outcome) -> set[str]:
    """name and name==version of each locked package whose marker holds in the image."""
    facts, the_plan = _planned(out)
    env = {
        "python_version": the_plan.python,
        "python_full_version": f"{the_plan.python}.0",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": "aarch64" if the_plan.platforms[0].endswith("arm64") else "x86_64",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }
    names: set[str] = set()
    for p in facts.packages:
        if p.marker is None or Marker(p.marker).evaluate(env):
            names.add(p.name)
            names.add(f"{p.name}=={p.version}")
    return names


# -- one check per claim key: (claimed value, outcome) -> assertion --------------------------


def _manager(value: str, out: Outcome) -> None:
    assert _planned(out)[1].manager == value


def _lockfile(value: str, out: Outcome) -> None:
    assert _planned(out)[1].lockfile == (None if value == NONE else value)


def _hashed(value: bool, out: Outcome) -> None:
    assert _planned(out)[0].hashed is value


def _python(value: str, out: Outcome) -> None:
    assert _planned(out)[1].python == value


def _python_source(value: str, out: Outcome) -> None:
    """Where the pin comes from; "default": no pin and no range anywhere."""
    req = _planned(out)[0].python
    if value == "default":
        assert (req.pin, req.range) == (None, None)
    elif value == "range":
        assert req.pin is None and req.range is not None
    else:
        assert req.pin_source is not None and req.pin_source.split(":")[0] == value


def _python_range(value: str, out: Outcome) -> None:
    facts, the_plan = _planned(out)
    assert facts.python.range is not None
    assert SpecifierSet(facts.python.range) == SpecifierSet(value)
    assert SpecifierSet(value).contains(f"{the_plan.python}.0")


def _install_project(value: bool, out: Outcome) -> None:
    assert _planned(out)[0].install_project is value


def _packages(value: list[str], out: Outcome) -> None:
    got = _installed(out)
    assert set(value) <= got
    assert {n for n in got if "==" not in n} == {v.split("==")[0] for v in value}


def _installed_claim(value: list[str], out: Outcome) -> None:
    assert set(value) <= _installed(out)


def _not_installed(value: list[str], out: Outcome) -> None:
    assert not set(value) & _installed(out)


def _sources(value: dict[str, str], out: Outcome) -> None:
    """Where a package comes from: registry, vcs, url or path."""
    got = {p.name: str(p.source) for p in _planned(out)[0].packages}
    assert {name: got.get(name) for name in value} == value


def _lock_inputs(value: list[str], out: Outcome) -> None:
    assert set(value) <= set(_planned(out)[1].install.lock_inputs)


def _compiled(value: dict[str, dict[str, list[str]]], out: Outcome) -> None:
    compiled = {c.name: c for c in _planned(out)[1].compiled}
    assert set(compiled) == set(value)
    for name, needs in value.items():
        assert set(needs.get("build", ())) <= set(compiled[name].build_packages), name
        assert set(needs.get("runtime", ())) <= set(compiled[name].runtime_packages), name


def _compiled_on(value: dict[str, list[str]], out: Outcome) -> None:
    """What compiles when the image is built for one platform alone."""
    facts, _ = _planned(out)
    for platform, names in value.items():
        alone = plan(facts, Options(platforms=(platform,)))
        assert {c.name for c in alone.compiled} == set(names), platform


def _subset_or_none(value: list[str], got: tuple[str, ...]) -> None:
    # [] claims that there are none at all.
    assert set(value) <= set(got) if value else got == ()


def _build_packages(value: list[str], out: Outcome) -> None:
    _subset_or_none(value, _planned(out)[1].build_packages)


def _runtime_packages(value: list[str], out: Outcome) -> None:
    _subset_or_none(value, _planned(out)[1].runtime_packages)


def _toolchain(value: bool, out: Outcome) -> None:
    assert _planned(out)[1].toolchain is value


def _cmd(value: str | list[str] | list[list[str]], out: Outcome) -> None:
    """The program, then the claimed arguments in order; a list of lists: any of them."""
    cmd = _planned(out)[1].cmd
    if value == NONE:
        assert cmd is None
        return
    assert cmd is not None
    options = value if isinstance(value[0], list) else [value]
    assert any(_starts_and_contains(cmd, list(o)) for o in options), cmd


def _starts_and_contains(cmd: tuple[str, ...], claim: list[str]) -> bool:
    rest = iter(cmd[1:])
    return cmd[0] == claim[0] and all(any(arg == c for arg in rest) for c in claim[1:])


def _port(value: int | str, out: Outcome) -> None:
    the_plan = _planned(out)[1]
    if value == NONE:
        assert the_plan.port is None and "EXPOSE" not in out.dockerfile
    else:
        assert the_plan.port == value and f"EXPOSE {value}\n" in out.dockerfile


def _env(value: dict[str, str], out: Outcome) -> None:
    assert set(value.items()) <= set(_planned(out)[1].env)


def _import_path(value: str, out: Outcome) -> None:
    """The folder the command imports the application from (gunicorn --chdir, PYTHONPATH)."""
    the_plan = _planned(out)[1]
    cmd = list(the_plan.cmd or ())
    chdir = any(cmd[i : i + 2] == ["--chdir", value] for i in range(len(cmd)))
    entries = [e for k, v in the_plan.env if k == "PYTHONPATH" for e in v.split(":")]
    path = value in entries or f"{the_plan.workdir}/{value}" in entries
    assert chdir or path, cmd


def _dockerfile(value: list[str], out: Outcome) -> None:
    _planned(out)
    for fragment in value:
        assert fragment in out.dockerfile, fragment


def _not_in_dockerfile(value: list[str], out: Outcome) -> None:
    _planned(out)
    for fragment in value:
        assert fragment not in out.dockerfile, fragment


def _after_code(value: list[str], out: Outcome) -> None:
    """Installed from the code: in the build stage, after its copy of the project."""
    _planned(out)
    builder = out.dockerfile.split("\nFROM ", 2)[1]  # the stage before the final one
    assert "\nCOPY . .\n" in builder
    after = builder.split("\nCOPY . .\n", 1)[1]
    for fragment in value:
        assert fragment in after, fragment


def _no_editable(value: bool, out: Outcome) -> None:
    """No install is editable: neither an -e option nor a copied requirements file with one
    (the image installs the project as a wheel)."""
    import shlex
    import subprocess
    import tempfile

    facts, the_plan = _planned(out)
    runs = [*the_plan.install.deps, *the_plan.install.project]
    script = " && ".join(c for run in runs for c in run.commands)
    commands = shlex.split(script)
    editable = "-e" in commands or "--editable" in commands
    for i, word in enumerate(commands[:-1]):
        source = Path(facts.root) / commands[i + 1]
        if word == "-r" and source.is_file():
            # The file as the install reads it: after the build's own edits of its copy.
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / commands[i + 1]
                copy.write_text(source.read_text())
                edits = [c for run in runs for c in run.commands if c.startswith("sed ")]
                for edit in edits:
                    subprocess.run(["sh", "-c", edit], cwd=tmp, check=True)
                lines = copy.read_text().splitlines()
            editable |= any(line.split()[:1] in (["-e"], ["--editable"]) for line in lines)
    assert editable is not value


def _warnings(value: list[str], out: Outcome) -> None:
    warnings = _planned(out)[1].warnings
    for phrase in value:
        assert any(phrase in w for w in warnings), (phrase, warnings)


def _indexes(value: list[str], out: Outcome) -> None:
    """The declared index URLs, in order."""
    assert [ix.url.rstrip("/") for ix in _planned(out)[0].indexes] == value


def _secret(value: bool, out: Outcome) -> None:
    """Whether the build asks for index credentials (a secret mount and --secret)."""
    the_plan = _planned(out)[1]
    assert ("type=secret" in out.dockerfile) is value
    assert ("--secret" in the_plan.build_command) is value


def _error(value: dict[str, Any], out: Outcome) -> None:
    assert out.error is not None, "planned without an error"
    problem = out.error.problem
    text = str(out.error)
    assert problem.file == value["file"]
    if "field" in value:
        assert problem.field == value["field"]
    for name in value.get("names", ()):  # named by the field or the message
        assert name in f"{problem.field} {problem.message}", name
    for phrase in value.get("message", ()):
        assert phrase in problem.message, phrase
    if "fix" in value:
        assert problem.fix is not None and value["fix"] in problem.fix
    for secret in value.get("absent", ()):
        assert secret not in text
    assert "Traceback" not in text and "\n" not in text.strip()


CHECKS: dict[str, Callable[[Any, Outcome], None]] = {
    "manager": _manager,
    "lockfile": _lockfile,
    "hashed": _hashed,
    "python": _python,
    "python_source": _python_source,
    "python_range": _python_range,
    "install_project": _install_project,
    "packages": _packages,
    "installed": _installed_claim,
    "not_installed": _not_installed,
    "lock_inputs": _lock_inputs,
    "sources": _sources,
    "compiled": _compiled,
    "compiled_on": _compiled_on,
    "build_packages": _build_packages,
    "runtime_packages": _runtime_packages,
    "toolchain": _toolchain,
    "cmd": _cmd,
    "port": _port,
    "env": _env,
    "import_path": _import_path,
    "dockerfile": _dockerfile,
    "not_in_dockerfile": _not_in_dockerfile,
    "after_code": _after_code,
    "no_editable": _no_editable,
    "warnings": _warnings,
    "indexes": _indexes,
    "secret": _secret,
    "error": _error,
}
NOT_CLAIMS = {"options", "xfail"}


def _cases() -> list[Any]:
    cases = []
    for project in CLAIMED:
        if not (project / "expect.toml").is_file():
            continue
        expect = _expect(project)
        xfail = expect.get("xfail", {})
        for key in sorted(set(expect) - NOT_CLAIMS):
            marks = [pytest.mark.xfail(strict=True, reason=xfail[key])] if key in xfail else []
            cases.append(pytest.param(project, key, id=f"{project.name}:{key}", marks=marks))
    return cases


def test_every_note_has_its_claims() -> None:
    missing = [p.name for p in CLAIMED if not (p / "expect.toml").is_file()]
    assert not missing, f"no expect.toml beside the prose of {missing}"


@pytest.mark.parametrize("project", CLAIMED, ids=[p.name for p in CLAIMED])
def test_claims_are_known_keys(project: Path) -> None:
    expect = _expect(project)
    assert set(expect) <= set(CHECKS) | NOT_CLAIMS
    assert set(expect.get("xfail", {})) <= set(expect) - NOT_CLAIMS
    assert ("error" in expect) is (set(expect) - NOT_CLAIMS == {"error"})


@pytest.mark.parametrize(("project", "key"), _cases())
def test_claim(project: Path, key: str) -> None:
    CHECKS[key](_expect(project)[key], _outcome(project))
