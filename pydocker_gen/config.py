"""The user's declared intent: ``[tool.pydocker-gen]`` or ``pydocker-gen.toml``.

Configuration overrides detection in exactly one place: the planner reads ``Config`` after the
facts and lets every set key win.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydocker_gen.errors import UserError

CONFIG_FILE = "pydocker-gen.toml"
PYPROJECT_TABLE = "tool.pydocker-gen"


@dataclass(frozen=True, kw_only=True, slots=True)
class Config:
    """Validated configuration; ``None`` means "not set, detect it"."""

    source: str | None = None  # where it was read, for messages
    python: str | None = None
    debian: str | None = None
    installer: str | None = None
    builder_profile: str | None = None
    cmd: tuple[str, ...] | None = None
    port: int | None = None
    env: tuple[tuple[str, str], ...] = ()
    build_packages: tuple[str, ...] = ()
    runtime_packages: tuple[str, ...] = ()
    user: str | None = None
    uid: int | None = None
    workdir: str | None = None
    allow_unlocked: bool = False
    extra: tuple[str, ...] = field(default=())  # optional-dependency extras to install


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


# key -> (check, expected type in words, description for the reference)
SCHEMA: dict[str, tuple[Callable[[object], bool], str, str]] = {
    "python": (_is_str, 'a string like "3.12"', "CPython minor version of the base image"),
    "debian": (_is_str, '"bookworm" or "trixie"', "Debian release of the base image"),
    "installer": (
        _is_str,
        "one of pip, pipenv, poetry, uv, pdm, pylock",
        "which manager's files to install from, when several are present",
    ),
    "builder_profile": (
        _is_str,
        '"buildkit" or "portable"',
        "buildkit: cache/bind/secret mounts; portable: plain syntax for podman/buildah",
    ),
    "cmd": (_is_str_list, "a list of strings", "the container command, exec form"),
    "port": (_is_int, "an integer", "the port the server listens on (EXPOSE)"),
    "env": (_is_str_table, "a table of strings", "extra ENV in the final image"),
    "packages.build": (_is_str_list, "a list of strings", "extra Debian packages in the builder"),
    "packages.runtime": (
        _is_str_list,
        "a list of strings",
        "extra Debian packages in the final image",
    ),
    "user": (_is_str, "a string", "name of the non-root user"),
    "uid": (_is_int, "an integer", "UID and GID of the non-root user"),
    "workdir": (_is_str, "an absolute path", "where the application is copied"),
    "allow_unlocked": (
        _is_bool,
        "true or false",
        "proceed (with a warning) when a manifest has no lock",
    ),
    "extras": (_is_str_list, "a list of strings", "optional-dependency extras to install"),
}


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
            close = difflib.get_close_matches(key, SCHEMA, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown key {key!r}{hint}")
            continue
        check, expected, _ = SCHEMA[key]
        if not check(value):
            problems.append(f"{key!r} must be {expected}, not {value!r}")
    problems.extend(_semantic_problems(flat))
    if problems:
        raise UserError(
            source,
            "; ".join(problems) + ".",
            field=f"[{PYPROJECT_TABLE}]" if source.endswith("pyproject.toml") else None,
            fix="See docs/configuration.md for every key.",
        )

    def get(key: str) -> Any:
        return flat.get(key)

    env = get("env")
    return Config(
        source=source,
        python=get("python"),
        debian=get("debian"),
        installer=get("installer"),
        builder_profile=get("builder_profile"),
        cmd=tuple(get("cmd")) if get("cmd") is not None else None,
        port=get("port"),
        env=tuple(sorted(env.items())) if env else (),
        build_packages=tuple(get("packages.build") or ()),
        runtime_packages=tuple(get("packages.runtime") or ()),
        user=get("user"),
        uid=get("uid"),
        workdir=get("workdir"),
        allow_unlocked=bool(get("allow_unlocked")),
        extra=tuple(get("extras") or ()),
    )


_CHOICES = {
    "debian": ("bookworm", "trixie"),
    "installer": ("pip", "pipenv", "poetry", "uv", "pdm", "pylock"),
    "builder_profile": ("buildkit", "portable"),
}


def _semantic_problems(flat: Mapping[str, object]) -> list[str]:
    problems = []
    for key, choices in _CHOICES.items():
        value = flat.get(key)
        if isinstance(value, str) and value not in choices:
            problems.append(f"{key!r} must be one of {', '.join(choices)}, not {value!r}")
    python = flat.get("python")
    if isinstance(python, str) and not _is_minor(python):
        problems.append(f"'python' must be a CPython minor version like \"3.12\", not {python!r}")
    port = flat.get("port")
    if _is_int(port) and not 1 <= int(port) <= 65535:  # type: ignore[call-overload]
        problems.append(f"'port' must be between 1 and 65535, not {port}")
    workdir = flat.get("workdir")
    if isinstance(workdir, str) and not workdir.startswith("/"):
        problems.append(f"'workdir' must be an absolute path, not {workdir!r}")
    cmd = flat.get("cmd")
    if isinstance(cmd, list) and not cmd:
        problems.append("'cmd' must not be empty")
    return problems


def _is_minor(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 2 and all(p.isdigit() for p in parts) and parts[0] == "3"


def load(root: Path) -> Config:
    """Read the configuration of the project at ``root`` (defaults when there is none)."""
    pyproject = root / "pyproject.toml"
    standalone = root / CONFIG_FILE
    if standalone.is_file():
        return parse(read_toml(standalone, root), CONFIG_FILE)
    if pyproject.is_file():
        table = read_toml(pyproject, root).get("tool", {}).get("pydocker-gen")
        if table is not None:
            if not isinstance(table, Mapping):
                raise UserError("pyproject.toml", "must be a table", field=f"[{PYPROJECT_TABLE}]")
            return parse(table, "pyproject.toml")
    return Config()


def read_toml(path: Path, root: Path) -> dict[str, Any]:
    """Parse a TOML file of the project, turning syntax errors into a located UserError."""
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(name, f"is not valid TOML ({exc}).", fix="Fix the syntax.") from None
    except OSError as exc:
        raise UserError(name, f"cannot be read ({exc.strerror}).") from None
