"""Every configuration key: accepted, validated, and visible in the plan or the Dockerfile."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pydocker_gen import config
from pydocker_gen.cli import main
from pydocker_gen.errors import UserError

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
    "python": ('python = "3.12"', {}, lambda d, p: p["python"] == "3.12"),
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
    "installer": (
        'installer = "pip"',
        {"Pipfile": "[packages]\n"},
        lambda d, p: p["installer"] == "pip",
    ),
    "backend": (
        'backend = "uv"',
        {},
        lambda d, p: (
            "uv pip install --python /opt/venv/bin/python --require-hashes" not in d
            and "uv pip install --python /opt/venv/bin/python --no-deps -r requirements.txt" in d
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
        lambda d, p: "libxmlsec1-dev" in d and p["builder"] is True,
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


@pytest.mark.parametrize("key", sorted(EFFECTS))
def test_key_takes_effect(key: str, tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    toml, files, check = EFFECTS[key]
    files = {**BASE, **files}
    if not files.get("requirements.txt"):
        files.pop("requirements.txt")
    root = tree({**files, "pydocker-gen.toml": toml + "\n"})
    assert main(["generate", "--stdout", str(root)]) == 0, capsys.readouterr().err
    dockerfile = capsys.readouterr().out
    assert main(["plan", "--json", str(root)]) == 0
    the_plan = json.loads(capsys.readouterr().out)
    assert check(dockerfile, the_plan), dockerfile


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
