"""One install strategy per package manager, behind one Protocol (managers.py names each).

Every strategy fills the virtual environment at ``ctx.venv`` from the lock alone (so the layer
is cached until a lock input changes), then, after the code, installs what comes from it: the
project when it is a package, and local folders. Packaging tools are pinned and live in the
builder only.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, NamedTuple, Protocol

from pydocker_gen.planner.model import Install, Profile, Run

if TYPE_CHECKING:
    from pydocker_gen.facts import ProjectFacts

# Pinned tool versions; the configuration can override them (``tools.<name>``).
TOOL_VERSIONS = {
    "pipenv": "2026.10.3",
    "poetry": "2.5.1",
    "poetry-plugin-export": "1.10.1",
    "pdm": "2.29.4",
    "uv": "0.13.9",
}
# The tools' own dependencies that their release leaves too loose, per pinned version: pdm
# 2.29 accepts any hishel>=1.4, and hishel 2 lacks the storage its update check uses ("Failed
# to get latest version").
TOOL_DEPENDENCIES = {("pdm", "2.29.4"): ("hishel[httpx2]>=1.4,<1.5",)}
EXPORT = "/tmp/requirements.txt"  # where exporting strategies write hashed requirements


class Context(NamedTuple):
    venv: str
    profile: Profile
    python: str
    tools: tuple[tuple[str, str], ...] = ()  # configured tool versions
    backend: str = "pip"  # what installs the exported/hashed requirements: pip or uv
    base_image_id: str = "default"  # names the cache mounts, e.g. python3.12-slim-trixie
    secret_mounts: tuple[str, ...] = ()  # credentials for private indexes, on installing RUNs

    def pin(self, *names: str) -> str:
        chosen = {**TOOL_VERSIONS, **dict(self.tools)}
        return " ".join(f"{n}=={chosen[n]}" for n in names)


class Strategy(Protocol):
    def __call__(self, facts: ProjectFacts, ctx: Context) -> Install: ...


def q(text: str) -> str:
    """Shell-quote a value that came from the user's project."""
    return shlex.quote(text)


def _cache_mount(ctx: Context, tool: str) -> str:
    # One cache per base image: a wheel compiled against trixie's glibc must never be reused
    # by a bookworm build (builders share cache mounts by id, and the id defaults to target).
    return f"type=cache,id={tool}-{ctx.base_image_id},target=/root/.cache/{tool}"


def _mounts(ctx: Context, tool: str) -> tuple[str, ...]:
    cache = (_cache_mount(ctx, tool),) if ctx.profile is Profile.BUILDKIT else ()
    return cache + ctx.secret_mounts


def _pip_cache(ctx: Context) -> tuple[str, ...]:
    return _mounts(ctx, "uv" if ctx.backend == "uv" else "pip")


def _uv_cache(ctx: Context) -> tuple[str, ...]:
    return _mounts(ctx, "uv")


def _uv_env(ctx: Context) -> list[tuple[str, str]]:
    env = [("UV_COMPILE_BYTECODE", "1"), ("UV_LINK_MODE", "copy"), ("UV_PYTHON_DOWNLOADS", "never")]
    if ctx.profile is Profile.PORTABLE:
        env.append(("UV_NO_CACHE", "1"))
    return env


def _pip_env(ctx: Context) -> tuple[tuple[str, str], ...]:
    if ctx.backend == "uv":
        return tuple(_uv_env(ctx))
    env = [("PIP_DISABLE_PIP_VERSION_CHECK", "1"), ("PIP_ROOT_USER_ACTION", "ignore")]
    if ctx.profile is Profile.PORTABLE:
        env.append(("PIP_NO_CACHE_DIR", "1"))
    return tuple(env)


def _pip_into_venv(ctx: Context) -> str:
    # The base image's pip (or uv) installs into a venv made --without-pip: it ships no pip.
    if ctx.backend == "uv":
        return f"uv pip install --python {ctx.venv}/bin/python"
    return f"python -m pip --python {ctx.venv}/bin/python install"


def _with_backend(ctx: Context, tool: str | None) -> str | None:
    """The tools to install in the builder: the exporter, plus uv when it is the back end."""
    if ctx.backend != "uv":
        return tool
    return ctx.pin("uv") if tool is None else f"{tool} {ctx.pin('uv')}"


def _venv(ctx: Context) -> str:
    return f"python -m venv --without-pip {ctx.venv}"


def _project_from_source(facts: ProjectFacts, ctx: Context) -> tuple[Run, ...]:
    """The project (when it is a package) and local folders, from the copied code; their
    dependencies are installed already."""
    targets = [q(f"./{f}") for f in facts.local_folders]
    if facts.install_project:
        targets.append(".")
    if not targets:
        return ()
    command = f"{_pip_into_venv(ctx)} --no-deps {' '.join(targets)}"
    return (Run(commands=(command,), mounts=_pip_cache(ctx)),)


# Leaves out the lines that install the project itself: `-e .`, `--editable=./`, `.`.
DROP_PROJECT = (
    r"sed -E -i '/^[[:space:]]*((-e|--editable)([[:space:]]+|=))?\.\/?[[:space:]]*(#.*)?$/d'"
)
# Leaves out the export's local folders (a line of their own, no hashes: `./libs/x`,
# `-e ./libs/x`, `name @ file:///app/libs/x ; marker`); they install from the code.
DROP_LOCAL = r"sed -E -i '/^(-e[[:space:]]+)?(\.{1,2}\/|\/|file:)|[[:space:]]@[[:space:]]*file:/d'"


def _tool(ctx: Context, name: str) -> str:
    """The pinned tool with its pinned dependencies, quoted for the shell."""
    version = dict(ctx.tools).get(name, TOOL_VERSIONS[name])
    return " ".join([ctx.pin(name), *(q(r) for r in TOOL_DEPENDENCIES.get((name, version), ()))])


def _install_exported(
    facts: ProjectFacts,
    ctx: Context,
    export: tuple[str, ...],
    tool: str | None,
    env: tuple[tuple[str, str], ...] = (),
) -> Install:
    """Export the lock to hashed requirements, then pip installs exactly those."""
    flags = "--require-hashes --no-deps" if facts.hashed else "--no-deps"
    if facts.local_folders:
        export = (*export, f"{DROP_LOCAL} {EXPORT}")
    commands = (*export, _venv(ctx), f"{_pip_into_venv(ctx)} {flags} -r {EXPORT}")
    return Install(
        tool=_with_backend(ctx, tool),
        env=(*_pip_env(ctx), *env),
        deps=(Run(commands=commands, mounts=_pip_cache(ctx)),),
        project=_project_from_source(facts, ctx),
        lock_inputs=facts.lock_inputs,
    )


def pip(facts: ProjectFacts, ctx: Context) -> Install:
    top = facts.lock_inputs[0] if facts.lock_inputs else None
    commands = [_venv(ctx)]
    if top is not None and top.endswith(".txt"):
        flags = []
        if facts.hashed:
            flags.append("--require-hashes")
        if facts.complete:
            # Proven complete (facts.complete_reason): nothing may be resolved anew. Otherwise
            # pip resolves what the file leaves out, or the image lacks it (the reader warns).
            flags.append("--no-deps")
        if facts.install_project:
            # `-e .` (or `.`) installs the project, which is not copied yet: the dependency
            # step drops that line from its copies, and the project installs after the code.
            files = " ".join(q(f) for f in facts.lock_inputs if f.endswith(".txt"))
            commands.append(f"{DROP_PROJECT} {files}")
        commands.append(" ".join([_pip_into_venv(ctx), *flags, "-r", q(top)]))
    return Install(
        tool=_with_backend(ctx, None),
        env=_pip_env(ctx),
        deps=(Run(commands=tuple(commands), mounts=_pip_cache(ctx)),),
        project=_project_from_source(facts, ctx)
        if top is not None and top.endswith(".txt")
        else (Run(commands=(f"{_pip_into_venv(ctx)} .",), mounts=_pip_cache(ctx)),),
        lock_inputs=facts.lock_inputs,
    )


def pipenv(facts: ProjectFacts, ctx: Context) -> Install:
    # `pipenv requirements` exports Pipfile.lock as it is: it never re-locks.
    export: tuple[str, ...] = (f"pipenv requirements --hash > {EXPORT}",)
    if facts.lockfile is None:  # allow_unlocked: resolve at build time, with a warning
        export = ("pipenv lock", *export)
    return _install_exported(facts, ctx, export, ctx.pin("pipenv"))


def _extras(facts: ProjectFacts, flag: str) -> str:
    """The configured extras as the manager's own option, one per extra."""
    return "".join(f" {flag} {q(extra)}" for extra in facts.config.extras)


def poetry(facts: ProjectFacts, ctx: Context) -> Install:
    # The export plugin reads poetry.lock offline and refuses a stale lock.
    export = (
        "poetry export --only main"
        f"{_extras(facts, '--extras')} --format requirements.txt --output {EXPORT}",
    )
    return _install_exported(facts, ctx, export, ctx.pin("poetry", "poetry-plugin-export"))


def pdm(facts: ProjectFacts, ctx: Context) -> Install:
    export = (f"pdm export --prod{_extras(facts, '-G')} --format requirements --output {EXPORT}",)
    # The builder never upgrades pdm: its update check only costs a request (and a warning).
    env = (("PDM_CHECK_UPDATE", "false"),)
    return _install_exported(facts, ctx, export, _tool(ctx, "pdm"), env)


def uv(facts: ProjectFacts, ctx: Context) -> Install:
    cache = _uv_cache(ctx)
    env = [
        *_uv_env(ctx),
        ("UV_PYTHON", "/usr/local/bin/python"),
        ("UV_PROJECT_ENVIRONMENT", ctx.venv),
    ]
    sync = f"uv sync --locked --no-default-groups{_extras(facts, '--extra')}"
    project: tuple[Run, ...] = ()
    if facts.install_project:
        project = (Run(commands=(f"{sync} --no-editable",), mounts=cache),)
    return Install(
        tool=ctx.pin("uv"),
        env=tuple(env),
        # The project, workspace members and local folders are sources: only third-party
        # packages come before the code.
        deps=(Run(commands=(f"{sync} --no-install-local",), mounts=cache),),
        project=project,
        lock_inputs=facts.lock_inputs,
    )


def pylock(facts: ProjectFacts, ctx: Context) -> Install:
    cache = _uv_cache(ctx)
    env = _uv_env(ctx)
    lock = q(facts.lockfile or "pylock.toml")
    commands = (_venv(ctx), f"uv pip install --python {ctx.venv}/bin/python -r {lock}")
    return Install(
        tool=ctx.pin("uv"),
        env=tuple(env),
        deps=(Run(commands=commands, mounts=cache),),
        project=_project_from_source(facts, ctx),
        lock_inputs=facts.lock_inputs,
    )
