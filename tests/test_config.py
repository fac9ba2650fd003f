"""Every configuration key: accepted, validated, and visible in the plan or the Dockerfile."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from uv import find_uv_bin

from pydocker_gen import config
from pydocker_gen.cli import main
from pydocker_gen.errors import UserError
from pydocker_gen.planner import plan
from pydocker_gen.reader import inspect
from pydocker_gen.render import render
from tests.conftest import FIXTURES

Tree = Callable[[Mapping[str, str]], Path]
ROOT = Path(__file__).resolve().parent.parent
PIPENV = {
    name: (ROOT / "examples" / "pipenv-uwsgi" / name).read_text()
    for name in ("Pipfile", "Pipfile.lock")
}
BASE = {
    "requirements.txt": "flask==3.1.3\ngunicorn==23.0.0\n",
    ".python-version": "3.12\n",
    "app.py": "from flask import Flask\napp = Flask(__name__)\n",
}

# key -> (pydocker-gen.toml text, extra files, what must appear in the Dockerfile or plan)
EFFECTS: dict[str, tuple[str, dict[str, str], Callable[[str, dict[str, object]], bool]]] = {
    # No .python-version: without the key the newest CPython would be chosen, not 3.11.
    "python": (
        'python = "3.11"',
        {".python-version": ""},
        lambda d, p: p["python"] == "3.11" and "FROM python:3.11-slim-trixie AS builder" in d,
    ),
    "debian": (
        'debian = "bookworm"',
        {},
        lambda d, p: "FROM python:3.12-slim-bookworm AS builder" in d,
    ),
    "base_image": (
        'base_image = "python:3.12-slim-trixie@sha256:' + "a" * 64 + '"',
        {},
        lambda d, p: d.count("FROM python:3.12-slim-trixie@sha256:" + "a" * 64) == 2,
    ),
    "platforms": (
        'platforms = ["linux/amd64", "linux/arm64"]',
        {},
        lambda d, p: p["platforms"] == ["linux/amd64", "linux/arm64"],
    ),
    # Pipfile.lock takes precedence over requirements.txt: only the key makes it pip.
    "installer": (
        'installer = "pip"',
        {**PIPENV, ".python-version": "3.11\n"},
        lambda d, p: p["manager"] == "pip" and "pipenv" not in d,
    ),
    # The root requirements.txt would be pip's file: only the key makes it the named one.
    "requirements": (
        'requirements = "requirements/prod.txt"',
        {"requirements/prod.txt": "flask==3.1.3\nuvicorn==0.34.0\n"},
        lambda d, p: "-r requirements/prod.txt" in d and p["lockfile"] == "requirements/prod.txt",
    ),
    "backend": (
        'backend = "uv"',
        {},
        lambda d, p: (
            "uv pip install --python /opt/venv/bin/python --require-hashes" not in d
            # top-level pins only: uv resolves their dependencies (no --no-deps)
            and "uv pip install --python /opt/venv/bin/python -r requirements.txt" in d
            and "pip install --no-cache-dir uv==" in d
        ),
    ),
    "builder_profile": (
        'builder_profile = "portable"',
        {},
        lambda d, p: "--mount" not in d and "PIP_NO_CACHE_DIR=1" in d,
    ),
    "packages.build": (
        'packages.build = ["libxmlsec1-dev"]',
        {},
        lambda d, p: "libxmlsec1-dev" in d and p["toolchain"] is True,
    ),
    "packages.runtime": (
        'packages.runtime = ["libxmlsec1"]',
        {},
        # flask also brings media-types (run-time data), listed after it
        lambda d, p: "--no-install-recommends libxmlsec1 media-types \\\n" in d,
    ),
    "env": ('env = { GREETING = "hi $USER" }', {}, lambda d, p: 'GREETING="hi \\$USER"' in d),
    "cmd": ('cmd = ["python", "app.py"]', {}, lambda d, p: 'CMD ["python", "app.py"]' in d),
    "port": ("port = 9000", {}, lambda d, p: "EXPOSE 9000" in d),
    "user": (
        'user = "web"',
        {},
        lambda d, p: "useradd --system --uid 10001 --gid 10001" in d and " web\n" in d,
    ),
    "uid": ("uid = 4242", {}, lambda d, p: "USER 4242:4242" in d),
    "workdir": ('workdir = "/srv/app"', {}, lambda d, p: "WORKDIR /srv/app" in d),
    "writable": (
        'writable = ["media files"]',
        {},
        lambda d, p: "chown 10001:10001 'media files'" in d,
    ),
    "healthcheck": (
        'healthcheck = "/health"',
        {},
        lambda d, p: "HEALTHCHECK" in d and "127.0.0.1:8000/health" in d,
    ),
    "include": (
        'include = [".env.example"]',
        {},
        lambda d, p: "!.env.example" in p["dockerignore"],
    ),  # type: ignore[operator]
    "exclude": ('exclude = ["data/"]', {}, lambda d, p: "data/" in p["dockerignore"]),  # type: ignore[operator]
    "indexes.secret": (
        'indexes.secret = "pypi_auth"',
        {"requirements.txt": "--extra-index-url https://pypi.example.com/simple\nflask==3.1.3\n"},
        lambda d, p: "--mount=type=secret,id=pypi_auth,target=/root/.netrc" in d,
    ),
    "steps.before_deps": (
        'steps.before_deps = ["echo before"]',
        {},
        lambda d, p: "\nRUN echo before\nCOPY requirements.txt" in d,
    ),
    "steps.after_deps": (
        'steps.after_deps = ["echo after"]',
        {},
        lambda d, p: "-r requirements.txt \\\n    && echo after\n" in d,
    ),
    "steps.final": (
        'steps.final = ["echo final"]',
        {},
        lambda d, p: "COPY . ./\nRUN echo final\nUSER" in d,
    ),
    "tools": (
        'tools = { pipenv = "2024.4.1" }',
        {"requirements.txt": "", **PIPENV, ".python-version": "3.11\n"},
        lambda d, p: "pip install --no-cache-dir pipenv==2024.4.1\n" in d,
    ),
    "templates": (
        'templates = "tpl"',
        {
            "tpl/Dockerfile.j2": '{% extends "pydocker-gen/Dockerfile.j2" %}{% block runtime %}LABEL custom=1\n{{ super() }}{% endblock %}'
        },
        lambda d, p: "LABEL custom=1\nUSER 10001:10001" in d,
    ),
    "allow_unlocked": (
        "allow_unlocked = true",
        {"requirements.txt": "", "Pipfile": "[packages]\nsix = '*'\n"},
        lambda d, p: p["lockfile"] is None and any("no Pipfile.lock" in w for w in p["warnings"]),  # type: ignore[attr-defined]
    ),
    "extras": (
        'extras = ["fast"]',
        {},
        lambda d, p: any("extras apply only to uv, Poetry and PDM" in w for w in p["warnings"]),  # type: ignore[attr-defined]
    ),
}


def test_every_key_has_an_effect_test() -> None:
    assert set(EFFECTS) == set(config.SCHEMA)


def _effect_seen(key: str, tree: Tree, capsys: pytest.CaptureFixture[str]) -> bool:
    """Generate and plan the key's project; whether its effect shows."""
    toml, files, check = EFFECTS[key]
    files = {**BASE, **files}
    for name in ("requirements.txt", ".python-version"):
        if not files.get(name):
            files.pop(name)  # "" leaves the base project's file out
    root = tree({**files, "pydocker-gen.toml": toml + "\n"})
    if main(["generate", "--stdout", str(root)]) != 0:
        return False
    dockerfile = capsys.readouterr().out
    assert main(["plan", "--json", str(root)]) == 0
    return check(dockerfile, json.loads(capsys.readouterr().out))


@pytest.mark.parametrize("key", sorted(EFFECTS))
def test_key_takes_effect(key: str, tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    assert _effect_seen(key, tree, capsys), capsys.readouterr()


@pytest.mark.parametrize("key", sorted(EFFECTS))
def test_effect_test_fails_when_the_key_is_ignored(
    key: str, tree: Tree, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The configuration is read as if the key were not there: its effect test must notice.
    build = config._build
    monkeypatch.setattr(
        config,
        "_build",
        lambda flat, source: build({k: v for k, v in flat.items() if k != key}, source),
    )
    assert not _effect_seen(key, tree, capsys)


# Real locks with `fast = ["orjson"]` (tests/fixtures/projects/*-extras/FIXTURE.md).
EXTRAS_FIXTURES = ("uv-extras", "poetry-extras", "pdm-extras")
EXTRA_PACKAGE = "orjson"
# How each exporter's command line selects an optional group (their --help).
SELECTS_EXTRA = {
    "poetry": (("-E", "fast"), ("--extras", "fast"), ("--extras=fast",), ("--all-extras",)),
    "pdm": (("-G", "fast"), ("--group", "fast"), ("--group=fast",), ("-G", ":all")),
}


def _extras_project(name: str, extras: list[str] | None, copy: Callable[[Path], Path]) -> Path:
    root = copy(FIXTURES / name)
    if extras is not None:
        (root / "pydocker-gen.toml").write_text(f"extras = {json.dumps(extras)}\n")
    return root


@pytest.mark.parametrize("extras", [None, ["fast"]], ids=["without", "with"])
@pytest.mark.parametrize("name", EXTRAS_FIXTURES)
def test_extras_select_the_optional_packages(
    name: str, extras: list[str] | None, project_copy: Callable[[Path], Path]
) -> None:
    names = {p.name for p in inspect(_extras_project(name, extras, project_copy)).packages}
    assert "idna" in names
    assert (EXTRA_PACKAGE in names) is (extras is not None)


def _uv_installs(root: Path, sync: str) -> str:
    """What the Dockerfile's `uv sync` selects: uv's own export with the same options."""
    options = [o for o in shlex.split(sync)[2:] if o != "--locked"]
    return subprocess.run(
        [find_uv_bin(), "export", "--frozen", "--offline", "--no-hashes", *options],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={"UV_PYTHON_DOWNLOADS": "never", "PATH": "/usr/bin:/bin"},
    ).stdout


def _selects_extra(manager: str, command: str) -> bool:
    words = shlex.split(command)
    return any(
        words[i : i + len(option)] == list(option)
        for option in SELECTS_EXTRA[manager]
        for i in range(len(words))
    )


@pytest.mark.parametrize("extras", [None, ["fast"]], ids=["without", "with"])
@pytest.mark.parametrize("name", EXTRAS_FIXTURES)
def test_extras_reach_the_dockerfile_install(
    name: str, extras: list[str] | None, project_copy: Callable[[Path], Path]
) -> None:
    root = _extras_project(name, extras, project_copy)
    the_plan = plan(inspect(root))
    lines = render(the_plan).dockerfile.splitlines()
    start = "uv sync" if the_plan.manager == "uv" else f"{the_plan.manager} export"
    line = next(line for line in lines if start in line)
    command = start + line.split(start, 1)[1].rstrip(" \\")
    if the_plan.manager == "uv":
        installs = EXTRA_PACKAGE in _uv_installs(root, command)
    else:
        installs = _selects_extra(the_plan.manager, command)
    assert installs is (extras is not None), command


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"prot": 80}, "unknown key 'prot' (did you mean 'port'?)"),
        (
            {"packages": {"biuld": ["x"]}},
            "unknown key 'packages.biuld' (did you mean 'packages.build'?)",
        ),
        ({"port": "80"}, "'port' must be an integer, not '80'"),
        ({"cmd": "gunicorn app:app"}, "'cmd' must be a list of strings"),
        ({"debian": "buster"}, "'debian' must be one of bookworm, trixie, not 'buster'"),
        ({"python": "3"}, "'python' must be a CPython minor version"),
        ({"uid": 0}, "'uid' must be a non-root id"),
        ({"workdir": "app"}, "'workdir' must be an absolute path"),
        ({"platforms": ["linux/s390x"]}, "'platforms' entries must be linux/amd64 or linux/arm64"),
        ({"writable": ["../etc"]}, "'writable' entries must be paths inside workdir"),
        ({"tools": {"pip": "1"}}, "'tools' knows pipenv"),
        ({"healthcheck": 3}, "'healthcheck' must be true, false, a URL path or a command list"),
        ({"healthcheck": "/x'); import os"}, "'healthcheck' must be a URL path"),
        (
            {"packages": {"build": ["libpq-dev; rm -rf /"]}},
            "'packages.build' entries must be Debian package names",
        ),
        (
            {"packages": {"runtime": ["$(id)"]}},
            "'packages.runtime' entries must be Debian package names",
        ),
        ({"tools": {"uv": "0.9 && curl x"}}, "'tools.uv' must be a version"),
        ({"workdir": "/srv/my app"}, "'workdir' must be an absolute path"),
        ({"env": {"A B": "x"}}, "'env' names must be variable names"),
        ({"env": {"A": "x\nRUN evil"}}, "'env.A' must be one line"),
        ({"steps": {"final": ["echo a\nRUN evil"]}}, "'steps.final' entries must be single lines"),
    ],
)
def test_invalid_values_name_the_key_and_type(table: dict[str, object], message: str) -> None:
    with pytest.raises(UserError) as info:
        config.parse(table, "pyproject.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("pyproject.toml: [tool.pydocker-gen]: ")


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(UserError) as info:
        config.parse({"prot": 1, "port": "x"}, "pydocker-gen.toml")
    assert "unknown key 'prot'" in str(info.value) and "'port' must be an integer" in str(
        info.value
    )


def test_pyproject_table_is_read(tree: Tree) -> None:
    root = tree(
        {
            "pyproject.toml": '[project]\nname = "x"\nversion = "1"\n\n[tool.pydocker-gen]\nport = 5000\n'
        }
    )
    assert config.load(root).port == 5000


def test_reference_in_docs_is_current() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    assert config.reference() in text, (
        "run: python -c 'from pydocker_gen import config; print(config.reference())'"
    )
