"""The user's declared intent: ``[tool.pydocker-gen]`` or ``pydocker-gen.toml``.

Configuration overrides detection in exactly one place: the planner reads ``Config`` after the
facts and lets every set key win. ``SCHEMA`` is the single list of keys: validation, the
reference in docs/configuration.md and its tests all come from it.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pydocker_gen import fs
from pydocker_gen.errors import UserError

CONFIG_FILE = "pydocker-gen.toml"
PYPROJECT_TABLE = "tool.pydocker-gen"


@dataclass(frozen=True, kw_only=True, slots=True)
class Config:
    """Validated configuration; ``None`` or empty means "not set, detect it"."""

    source: str | None = None  # where it was read, for messages
    python: str | None = None
    debian: str | None = None
    base_image: str | None = None
    platforms: tuple[str, ...] = ()
    installer: str | None = None
    requirements: str | None = None  # pip's requirements file, relative to the project
    backend: str | None = None
    builder_profile: str | None = None
    build_packages: tuple[str, ...] = ()
    runtime_packages: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    cmd: tuple[str, ...] | None = None
    port: int | None = None
    user: str | None = None
    uid: int | None = None
    workdir: str | None = None
    writable: tuple[str, ...] = ()
    healthcheck: bool | str | tuple[str, ...] | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    index_secret: str | None = None
    steps_before_deps: tuple[str, ...] = ()
    steps_after_deps: tuple[str, ...] = ()
    steps_final: tuple[str, ...] = ()
    tools: tuple[tuple[str, str], ...] = ()
    templates: str | None = None
    allow_unlocked: bool = False
    extras: tuple[str, ...] = ()


def _is_str(v: object) -> bool:
    return isinstance(v, str)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_bool(v: object) -> bool:
    return isinstance(v, bool)


def _is_str_list(v: object) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_str_table(v: object) -> bool:
    return isinstance(v, Mapping) and all(isinstance(x, str) for x in v.values())


def _is_healthcheck(v: object) -> bool:
    return isinstance(v, bool | str) or _is_str_list(v)


class Key(NamedTuple):
    check: Callable[[object], bool]
    expected: str
    doc: str
    example: str


SCHEMA: dict[str, Key] = {
    "python": Key(
        _is_str,
        'a string like "3.12"',
        "CPython minor version of the base image; a pin like .python-version (they must agree)",
        '"3.12"',
    ),
    "debian": Key(
        _is_str,
        '"bookworm" or "trixie"',
        "Debian release of the base image (default: trixie, current stable)",
        '"bookworm"',
    ),
    "base_image": Key(
        _is_str,
        "an image reference",
        "replaces python:X.Y-slim-<debian> in both "
        "stages, e.g. to pin a digest; must be a Debian-based python image",
        '"python:3.12-slim-trixie@sha256:…"',
    ),
    "platforms": Key(
        _is_str_list,
        'a list like ["linux/amd64", "linux/arm64"]',
        "target platforms whose compile needs are planned (union)",
        '["linux/amd64", "linux/arm64"]',
    ),
    "installer": Key(
        _is_str,
        "one of pip, pipenv, poetry, uv, pdm, pylock",
        "which manager's files to install from when several are present",
        '"uv"',
    ),
    "requirements": Key(
        _is_str,
        "a .txt path inside the project",
        "pip's requirements file, instead of the first found of the usual places (docs/readers.md)",
        '"requirements/prod.txt"',
    ),
    "backend": Key(
        _is_str,
        '"pip" or "uv"',
        "what installs the hashed requirements exported "
        "from Pipfile.lock, poetry.lock, pdm.lock or requirements.txt (default pip)",
        '"uv"',
    ),
    "builder_profile": Key(
        _is_str,
        '"buildkit" or "portable"',
        "buildkit: cache and secret "
        "mounts; portable: plain syntax for podman/buildah and the legacy "
        "builder",
        '"portable"',
    ),
    "packages.build": Key(
        _is_str_list,
        "a list of strings",
        "extra Debian packages in the builder (for a package the knowledge table does not know)",
        '["libxmlsec1-dev"]',
    ),
    "packages.runtime": Key(
        _is_str_list,
        "a list of strings",
        "extra Debian packages in the final image",
        '["libxmlsec1"]',
    ),
    "env": Key(
        _is_str_table,
        "a table of strings",
        "extra ENV in the final image (values are literal)",
        '{ DJANGO_SETTINGS_MODULE = "mysite.settings" }',
    ),
    "cmd": Key(
        _is_str_list,
        "a list of strings",
        "the container command, exec form",
        '["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]',
    ),
    "port": Key(_is_int, "an integer", "the port the server listens on (EXPOSE)", "8080"),
    "user": Key(_is_str, "a string", "name of the non-root user (default app)", '"web"'),
    "uid": Key(_is_int, "an integer", "UID and GID of the non-root user (default 10001)", "1000"),
    "workdir": Key(
        _is_str, "an absolute path", "where the application lives (default /app)", '"/srv/app"'
    ),
    "writable": Key(
        _is_str_list,
        "a list of paths",
        "folders under workdir the app user may "
        "write (the code is owned by root and read-only otherwise)",
        '["media"]',
    ),
    "healthcheck": Key(
        _is_healthcheck,
        "true, false, a URL path or a command list",
        "HEALTHCHECK: true probes / on the port with Python (no curl), a string "
        "probes that path, a list is the command",
        '"/health"',
    ),
    "include": Key(
        _is_str_list,
        "a list of patterns",
        "re-included in the build context (!pattern in .dockerignore)",
        '[".env.example"]',
    ),
    "exclude": Key(
        _is_str_list, "a list of patterns", "extra .dockerignore patterns", '["data/", "*.sqlite3"]'
    ),
    "indexes.secret": Key(
        _is_str,
        "a secret id",
        "id of the BuildKit secret holding a netrc "
        "with the private indexes' credentials (default netrc)",
        '"netrc"',
    ),
    "steps.before_deps": Key(
        _is_str_list,
        "a list of shell commands",
        "RUN in the builder before the dependencies are installed",
        '["echo before"]',
    ),
    "steps.after_deps": Key(
        _is_str_list,
        "a list of shell commands",
        "RUN in the builder after the dependencies (and the project) are installed",
        '["python -m compileall -q /opt/venv"]',
    ),
    "steps.final": Key(
        _is_str_list,
        "a list of shell commands",
        "RUN as root in the final stage after the code is copied",
        '["python manage.py collectstatic --noinput"]',
    ),
    "tools": Key(
        _is_str_table,
        "a table of versions",
        "versions of the packaging tools used in the builder",
        '{ uv = "0.13.9" }',
    ),
    "templates": Key(
        _is_str,
        "a folder path",
        "user templates that extend the shipped ones (relative to the project)",
        '"docker/templates"',
    ),
    "allow_unlocked": Key(
        _is_bool, "true or false", "proceed, with a warning, when a manifest has no lock", "true"
    ),
    "extras": Key(
        _is_str_list, "a list of strings", "optional-dependency extras to install", '["postgres"]'
    ),
}

_CHOICES = {
    "debian": ("bookworm", "trixie"),
    "builder_profile": ("buildkit", "portable"),
    "backend": ("pip", "uv"),
}
_PLATFORM = re.compile(r"^linux/(amd64|arm64)$")
_DEBIAN_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9]+)?$")
_VERSION = re.compile(r"^[0-9][A-Za-z0-9.+!-]*$")
_URL_PATH = re.compile(r"^/[A-Za-z0-9._~/%?=&-]*$")
_WORKDIR = re.compile(r"^/[A-Za-z0-9._/-]*$")
_SECRET_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_IMAGE = re.compile(r"^[a-z0-9./:@_-]+$")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and dotted not in SCHEMA:
            out.update(_flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def parse(table: Mapping[str, Any], source: str) -> Config:
    """Validate a configuration table; report every problem at once."""
    flat = _flatten(table)
    problems: list[str] = []
    for key, value in flat.items():
        if key not in SCHEMA:
            import difflib  # only for a misspelt key

            close = difflib.get_close_matches(key, SCHEMA, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown key {key!r}{hint}")
        elif not SCHEMA[key].check(value):
            problems.append(f"{key!r} must be {SCHEMA[key].expected}, not {value!r}")
    if not problems:
        problems.extend(_semantic_problems(flat))
    if problems:
        raise UserError(
            source,
            "; ".join(problems) + ".",
            field=f"[{PYPROJECT_TABLE}]" if source == "pyproject.toml" else None,
            fix="See docs/configuration.md for every key.",
        )
    return _build(flat, source)


def check_options(values: Mapping[str, Any], source: str) -> None:
    """Command-line values that override configuration keys: the same checks as the file's."""
    problems = _semantic_problems({k: v for k, v in values.items() if v not in (None, ())})
    if problems:
        raise UserError(source, "; ".join(problems) + ".")


def _strs(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else ()


def _build(flat: Mapping[str, Any], source: str) -> Config:
    health = flat.get("healthcheck")
    return Config(
        source=source,
        python=flat.get("python"),
        debian=flat.get("debian"),
        base_image=flat.get("base_image"),
        platforms=_strs(flat.get("platforms")),
        installer=flat.get("installer"),
        requirements=flat.get("requirements"),
        backend=flat.get("backend"),
        builder_profile=flat.get("builder_profile"),
        build_packages=_strs(flat.get("packages.build")),
        runtime_packages=_strs(flat.get("packages.runtime")),
        env=tuple(sorted((flat.get("env") or {}).items())),
        cmd=tuple(flat["cmd"]) if "cmd" in flat else None,
        port=flat.get("port"),
        user=flat.get("user"),
        uid=flat.get("uid"),
        workdir=flat.get("workdir"),
        writable=_strs(flat.get("writable")),
        healthcheck=tuple(health) if isinstance(health, list) else health,
        include=_strs(flat.get("include")),
        exclude=_strs(flat.get("exclude")),
        index_secret=flat.get("indexes.secret"),
        steps_before_deps=_strs(flat.get("steps.before_deps")),
        steps_after_deps=_strs(flat.get("steps.after_deps")),
        steps_final=_strs(flat.get("steps.final")),
        tools=tuple(sorted((flat.get("tools") or {}).items())),
        templates=flat.get("templates"),
        allow_unlocked=bool(flat.get("allow_unlocked")),
        extras=_strs(flat.get("extras")),
    )


def _choices() -> dict[str, tuple[str, ...]]:
    # The managers' registry imports the planner, which imports this module: read it late.
    from pydocker_gen import managers

    return {**_CHOICES, "installer": managers.names()}


def _known_tools() -> tuple[str, ...]:
    from pydocker_gen.planner.installers import TOOL_VERSIONS

    return tuple(TOOL_VERSIONS)


def _semantic_problems(flat: Mapping[str, Any]) -> list[str]:  # noqa: C901 - one check a key
    problems = []
    for key, choices in _choices().items():
        if key in flat and flat[key] not in choices:
            problems.append(f"{key!r} must be one of {', '.join(choices)}, not {flat[key]!r}")
    if "python" in flat and not re.fullmatch(r"3\.\d+", flat["python"]):
        problems.append(
            f"'python' must be a CPython minor version like \"3.12\", not {flat['python']!r}"
        )
    if "port" in flat and not 1 <= flat["port"] <= 65535:
        problems.append(f"'port' must be between 1 and 65535, not {flat['port']}")
    if "uid" in flat and not 1 <= flat["uid"] <= 2**31 - 1:
        problems.append(f"'uid' must be a non-root id (1 or more), not {flat['uid']}")
    if "workdir" in flat and not _WORKDIR.match(flat["workdir"]):
        problems.append(f"'workdir' must be an absolute path, not {flat['workdir']!r}")
    # These reach RUN lines as they are: only names Debian and PyPI could mean are accepted.
    for key in ("packages.build", "packages.runtime"):
        for name in flat.get(key, []):
            if not _DEBIAN_PACKAGE.match(name):
                problems.append(f"{key!r} entries must be Debian package names, not {name!r}")
    for tool, version in flat.get("tools", {}).items():
        if not _VERSION.match(version):
            problems.append(f"'tools.{tool}' must be a version like \"1.2.3\", not {version!r}")
    for name, value in flat.get("env", {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            problems.append(f"'env' names must be variable names, not {name!r}")
        if any(ord(c) < 32 for c in value):
            problems.append(f"'env.{name}' must be one line without control characters")
    for key in ("cmd", "steps.before_deps", "steps.after_deps", "steps.final"):
        if any("\n" in item or "\r" in item for item in flat.get(key, [])):
            problems.append(f"{key!r} entries must be single lines")
    health = flat.get("healthcheck")
    if isinstance(health, str) and not _URL_PATH.match(health):
        problems.append(f"'healthcheck' must be a URL path like \"/health\", not {health!r}")
    if "cmd" in flat and not flat["cmd"]:
        problems.append("'cmd' must not be empty")
    if "user" in flat and not re.fullmatch(r"[a-z_][a-z0-9_-]{0,30}", flat["user"]):
        problems.append(f"'user' must be a Unix user name, not {flat['user']!r}")
    for p in flat.get("platforms", []):
        if not _PLATFORM.match(p):
            problems.append(f"'platforms' entries must be linux/amd64 or linux/arm64, not {p!r}")
    if "indexes.secret" in flat and not _SECRET_ID.match(flat["indexes.secret"]):
        problems.append(f"'indexes.secret' must be a secret id, not {flat['indexes.secret']!r}")
    if "base_image" in flat and not _IMAGE.match(flat["base_image"]):
        problems.append(f"'base_image' must be an image reference, not {flat['base_image']!r}")
    for name in flat.get("tools", {}):
        if name not in _known_tools():
            problems.append(f"'tools' knows {', '.join(_known_tools())}; not {name!r}")
    reqs = flat.get("requirements")
    if isinstance(reqs, str) and (
        reqs.startswith("/")
        or ".." in reqs.split("/")
        or not reqs.endswith(".txt")
        or any(ord(c) < 32 for c in reqs)
    ):
        problems.append(f"'requirements' must be a .txt path inside the project, not {reqs!r}")
    for key in ("writable",):
        for path in flat.get(key, []):
            if path.startswith("/") or ".." in path.split("/"):
                problems.append(f"{key!r} entries must be paths inside workdir, not {path!r}")
    return problems


_TABLES = (
    "project",
    "tool",
    "build-system",
    "dependency-groups",
    "project.scripts",
    "project.optional-dependencies",
    "tool.poetry",
    "tool.uv",
    "tool.pdm",
    "tool.pydocker-gen",
    "tool.poetry.dependencies",
)


def check_pyproject_shape(data: dict[str, Any]) -> None:
    """The tables pydocker-gen reads must be tables, and requires-python a string."""
    for dotted in _TABLES:
        node: Any = data
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None and not isinstance(node, dict):
            raise UserError(
                "pyproject.toml", f"must be a table, not {node!r}.", field=f"[{dotted}]"
            )
    rp = data.get("project", {}).get("requires-python")
    if rp is not None and not isinstance(rp, str):
        raise UserError(
            "pyproject.toml", f"must be a string, not {rp!r}.", field="project.requires-python"
        )


def load(root: Path) -> Config:
    """Read the configuration of the project at ``root`` (defaults when there is none)."""
    pyproject = root / "pyproject.toml"
    standalone = root / CONFIG_FILE
    if fs.is_file(standalone):
        return parse(read_toml(standalone, root), CONFIG_FILE)
    if fs.is_file(pyproject):
        data = read_toml(pyproject, root)
        check_pyproject_shape(data)
        table = data.get("tool", {}).get("pydocker-gen")
        if table is not None:
            if not isinstance(table, Mapping):
                raise UserError("pyproject.toml", "must be a table", field=f"[{PYPROJECT_TABLE}]")
            return parse(table, "pyproject.toml")
    return Config()


def read_toml(path: Path, root: Path) -> dict[str, Any]:
    """Parse a TOML file of the project, turning syntax errors into a located UserError.

    pyproject.toml is read by the configuration and by the readers: parse it once.
    """
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        return _parse_toml(fs.read_bytes(path))
    except UnicodeDecodeError as exc:
        raise UserError(name, f"is not UTF-8 ({exc.reason} at byte {exc.start}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(name, f"is not valid TOML ({exc}).", fix="Fix the syntax.") from None
    except OSError as exc:
        raise UserError(name, f"cannot be read ({exc.strerror}).") from None


@functools.lru_cache(maxsize=16)
def _parse_toml(data: bytes) -> dict[str, Any]:
    # Keyed by content: the configuration and the readers share one parse of pyproject.toml.
    return tomllib.loads(data.decode("utf-8"))


def reference() -> str:
    """docs/configuration.md's key table, generated from SCHEMA."""
    rows = [f"| `{k}` | {v.expected} | {v.doc} | `{v.example}` |" for k, v in SCHEMA.items()]
    return "\n".join(["| key | type | meaning | example |", "|---|---|---|---|", *rows]) + "\n"
