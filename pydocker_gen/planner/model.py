"""The Plan: every decision the Dockerfile follows, each with its reason. JSON-serialisable."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Profile(StrEnum):
    """Which Dockerfile syntax the output may use."""

    BUILDKIT = "buildkit"  # cache, bind and secret mounts
    PORTABLE = "portable"  # plain syntax: legacy builder, podman/buildah 1.28


@dataclass(frozen=True, kw_only=True, slots=True)
class Reason:
    """One decision and why it was taken."""

    topic: str
    decision: str
    why: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Compiled:
    """A locked distribution that is built from source in the builder."""

    name: str
    version: str | None
    why: str
    build_packages: tuple[str, ...]
    runtime_packages: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Run:
    """One RUN instruction: shell commands joined with ``&&``, and BuildKit mounts."""

    commands: tuple[str, ...]
    mounts: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Install:
    """How the installer strategy fills the virtual environment."""

    tool: str | None  # requirement of the packaging tool, installed in the builder only
    env: tuple[tuple[str, str], ...]  # builder environment
    deps: tuple[Run, ...]  # from the lock inputs alone (cached until they change)
    project: tuple[Run, ...]  # after the code is copied: the project itself, when a package
    lock_inputs: tuple[str, ...]  # copied (portable) or bind-mounted (buildkit) before deps


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """The Dockerfile, decided. Templates only lay it out."""

    generator: str
    python: str
    debian: str
    base_image: str
    manager: str  # the package manager whose lock is installed
    lockfile: str | None
    profile: Profile
    toolchain: bool  # the build stage installs a compiler because something compiles
    compiled: tuple[Compiled, ...]
    pure_builds: tuple[str, ...]  # built from a pure-Python sdist: no compiler needed
    build_packages: tuple[str, ...]
    runtime_packages: tuple[str, ...]
    builder_setup: tuple[Run, ...]  # system packages and the packaging tool, build stage
    install: Install  # its RUNs include the configured after-deps steps
    venv: str
    workdir: str
    user: str
    uid: int
    env: tuple[tuple[str, str], ...]  # final image
    cmd: tuple[str, ...] | None
    port: int | None
    stopsignal: str | None
    healthcheck: tuple[str, ...] | None  # exec form
    copy_app: tuple[str, ...]  # sources of the final stage's COPY of the application
    writable: tuple[str, ...]  # folders under workdir the app user owns
    steps_before_deps: tuple[Run, ...]
    final_setup: tuple[Run, ...]  # run-time packages and the app user
    final_steps: tuple[Run, ...]  # configured final steps and the writable folders
    platforms: tuple[str, ...]
    build_command: str  # how to build it, with the secrets it expects
    dockerignore: tuple[str, ...]
    dockerignore_kept: tuple[str, ...]  # the project's own lines (and ones dropped, as comments)
    reasons: tuple[Reason, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["cmd"] = list(self.cmd) if self.cmd is not None else None
        return _lists(data)  # type: ignore[no-any-return]


def _lists(value: Any) -> Any:
    """Tuples become lists so that JSON output and golden files read naturally."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value
