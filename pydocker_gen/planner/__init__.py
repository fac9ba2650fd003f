"""Planner: ``plan(facts, options) -> Plan``. Every decision is made here, with its reasons.

Each decision is a small pure function that returns a ``Decision``: its value, the reasons
``plan --json`` shows, and any warnings. ``plan`` composes them in order; settings resolve once
as command line > configuration > detection.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

from packaging.specifiers import SpecifierSet

from pydocker_gen import __version__, managers
from pydocker_gen.config import Config, check_options
from pydocker_gen.dockerignore import excluded
from pydocker_gen.errors import UserError
from pydocker_gen.facts import ProjectFacts
from pydocker_gen.planner import native, pythons
from pydocker_gen.planner.installers import Context
from pydocker_gen.planner.model import Compiled, Install, Plan, Profile, Reason, Run
from pydocker_gen.reader.python_version import admits_minor

DEFAULT_DEBIAN = "trixie"  # Debian stable
DEFAULT_PLATFORMS = ("linux/amd64",)
DEFAULT_SECRET = "netrc"
PUBLIC_INDEXES = {"https://pypi.org/simple", "https://pypi.python.org/simple"}
VENV = "/opt/venv"
WORKDIR = "/app"
USER, UID = "app", 10001
BASE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"  # the python image's
NOT_ALPINE = (
    "Debian slim, never Alpine: musl has no manylinux wheels, so every C extension would "
    "compile from source (slower builds, bigger images, subtle musl differences)"
)
DOCKERIGNORE = (
    ".git",
    ".hg",
    ".svn",
    ".gitignore",
    ".venv",
    "venv",
    "env",
    "**/__pycache__",
    "**/*.py[cod]",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
    ".nox",
    ".coverage",
    "htmlcov",
    "build",
    "dist",
    "**/*.egg-info",
    ".idea",
    ".vscode",
    "**/.DS_Store",
    "node_modules",
    ".env",
    ".env.*",
    "**/*.pem",
    "**/*.key",
    "**/id_rsa*",
    "**/.ssh",
    ".dockerignore",
    "Dockerfile",
    "**/*.Dockerfile",
    "docker-compose*.yml",
    "compose*.yaml",
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Decision(Generic[T]):
    """One decision: its value, why (shown by `plan`), and what the user should know."""

    value: T
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Options:
    """Command-line choices; they win over the configuration, which wins over detection."""

    debian: str | None = None
    profile: str | None = None
    platforms: tuple[str, ...] = ()
    today: datetime.date | None = None  # for end-of-life warnings; None: the real date


class Setting(NamedTuple):
    value: str
    why: str


def _setting(
    flag: str, given: str | None, cfg: Config, key: str, configured: str | None, default: str
) -> Setting:
    if given is not None:
        return Setting(given, flag)
    if configured is not None:
        return Setting(configured, f"{cfg.source}: {key}")
    return Setting(default, "default")


def plan(facts: ProjectFacts, options: Options | None = None) -> Plan:
    options = options or Options()
    cfg = facts.config
    check_options({"debian": options.debian, "platforms": list(options.platforms)}, "--platform")
    platforms = options.platforms or cfg.platforms or DEFAULT_PLATFORMS
    profile = Profile(options.profile or cfg.builder_profile or Profile.BUILDKIT)
    manager = Decision(
        facts.manager,
        (Reason(topic="manager", decision=facts.manager.name, why=facts.manager_reason),),
    )
    debian = _debian(facts, options)
    python = _python(facts, debian.value, platforms, options.today or datetime.date.today())
    base_image = _base_image(cfg, python.value.minor, debian.value)
    built = _native(facts, python.value.needs, platforms, debian.value)
    access = _index_access(facts, profile)
    ctx = Context(
        venv=VENV,
        profile=profile,
        python=python.value.minor,
        tools=cfg.tools,
        backend=cfg.backend or "pip",
        base_image_id=re.sub(r"[^A-Za-z0-9_.-]+", "-", base_image.value.removeprefix("python:"))[
            :100
        ],
        secret_mounts=access.value.secret_mounts,
    )
    install = _install(facts, ctx)
    start = _start(facts)
    stopsignal = _stopsignal(start.value.cmd)
    import_path = _import_path(facts, cfg.workdir or WORKDIR)
    healthcheck = _healthcheck(cfg.healthcheck, start.value.port)
    ignore = _dockerignore(cfg, install.value.lock_inputs)
    decisions: tuple[Decision[Any], ...] = (
        manager,
        debian,
        python,
        base_image,
        built,
        access,
        install,
        start,
        stopsignal,
        import_path,
        healthcheck,
    )
    uid = cfg.uid if cfg.uid is not None else UID
    return Plan(
        generator=f"pydocker-gen {__version__}",
        python=python.value.minor,
        debian=debian.value,
        base_image=base_image.value,
        manager=facts.manager.name,
        lockfile=facts.lockfile,
        profile=profile,
        toolchain=built.value.toolchain,
        compiled=built.value.compiled,
        pure_builds=built.value.pure_builds,
        build_packages=built.value.build_packages,
        runtime_packages=built.value.runtime_packages,
        builder_setup=_builder_setup(built.value.build_packages, install.value.tool),
        install=install.value,
        venv=VENV,
        workdir=cfg.workdir or WORKDIR,
        user=cfg.user or USER,
        uid=uid,
        env=(*_final_env(cfg), *import_path.value),
        cmd=start.value.cmd,
        port=start.value.port,
        stopsignal=stopsignal.value,
        healthcheck=healthcheck.value,
        copy_app=(".",),
        writable=cfg.writable,
        steps_before_deps=_steps(cfg.steps_before_deps),
        final_setup=_final_setup(built.value.runtime_packages, cfg.user or USER, uid),
        final_steps=_final_steps(cfg.steps_final, cfg.writable, uid),
        platforms=tuple(platforms),
        build_command=access.value.build_command,
        dockerignore=ignore,
        dockerignore_kept=_kept_dockerignore(facts.dockerignore, ignore, install.value.lock_inputs),
        reasons=tuple(r for d in decisions for r in d.reasons),
        warnings=(*facts.warnings, *(w for d in decisions for w in d.warnings)),
    )


# -- base image ------------------------------------------------------------------------------


def _debian(facts: ProjectFacts, options: Options) -> Decision[str]:
    cfg = facts.config
    chosen = _setting("--debian", options.debian, cfg, "debian", cfg.debian, DEFAULT_DEBIAN)
    pin = facts.python.pin
    minor = pythons.known(pin) if pin else None
    if minor is None or chosen.value in minor.debian or cfg.base_image:
        why = "current Debian stable (default)" if chosen.why == "default" else chosen.why
        return Decision(chosen.value, (Reason(topic="debian", decision=chosen.value, why=why),))
    if chosen.why != "default":
        raise UserError(
            str(facts.python.pin_source).split(":")[0],
            f"pins Python {pin}, which has no official python:{pin}-slim-{chosen.value} image "
            f"({chosen.why} chooses {chosen.value}); it has images for "
            f"{', '.join(minor.debian)}.",
            fix="Choose one of those Debian releases, or set base_image.",
        )
    release = minor.debian[-1]
    why = (
        f"Python {pin} ({facts.python.pin_source}) has official images for {release}, "
        f"not {chosen.value}"
    )
    return Decision(release, (Reason(topic="debian", decision=release, why=why),))


class PythonChoice(NamedTuple):
    minor: str
    needs: list[tuple[str, native.Need]]  # what each locked package needs on that Python


def _python(
    facts: ProjectFacts, debian: str, platforms: Iterable[str], today: datetime.date
) -> Decision[PythonChoice]:
    req = facts.python
    warnings: list[str] = []
    available = pythons.with_image(debian)
    if req.pin is not None:
        minor, why = req.pin, f"pinned by {req.pin_source}"
        if req.pin not in available and not facts.config.base_image:
            newest = available[-1]
            warnings.append(
                f"Python {req.pin} has no official python:{req.pin}-slim-{debian} image; "
                f"consider {newest}."
            )
        needs = _needs(facts, minor, debian, platforms)
    else:
        minor, why, needs = _newest_fitting(facts, available, platforms, debian)
    known = pythons.known(minor)
    if known is not None and known.past_end_of_life(today):
        supported = [m.version for m in pythons.minors() if not m.past_end_of_life(today)]
        warnings.append(
            f"Python {minor} reached its end of life on {known.end_of_life.isoformat()}: it gets "
            f"no security fixes. Move to a supported version ({', '.join(supported)})."
        )
    return Decision(
        PythonChoice(minor, needs),
        (Reason(topic="python", decision=minor, why=why),),
        tuple(warnings),
    )


def _newest_fitting(
    facts: ProjectFacts, available: tuple[str, ...], platforms: Iterable[str], debian: str
) -> tuple[str, str, list[tuple[str, native.Need]]]:
    """The newest CPython the range allows, among those compiling the fewest packages."""
    range_ = facts.python.range
    candidates = [p for p in available if admits_minor(SpecifierSet(range_ or ""), p)]
    if not candidates:
        newest = available[-1]
        why = f"no CPython with an official image satisfies {range_!r}; newest chosen"
        return newest, why, _needs(facts, newest, debian, platforms)
    needs = {p: _needs(facts, p, debian, platforms) for p in candidates}
    scored = [(sum(n.compiles for _, n in needs[p]), p) for p in reversed(candidates)]
    fewest, best = min(scored, key=lambda s: s[0])
    where = f"{facts.python.range_source} {range_!r}" if range_ else "no pin or range"
    pure = any(n.pure_build for _, n in needs[best])
    compiles = (
        "every locked package has a wheel" + (native.OR_PURE if pure else "")
        if fewest == 0
        else f"{fewest} package(s) compile, the fewest of {', '.join(candidates)}"
    )
    return best, f"newest CPython allowed by {where} where {compiles}", needs[best]


def _base_image(cfg: Config, python: str, debian: str) -> Decision[str]:
    image = cfg.base_image or f"python:{python}-slim-{debian}"
    why = f"{cfg.source}: base_image; " if cfg.base_image else ""
    return Decision(image, (Reason(topic="base_image", decision=image, why=why + NOT_ALPINE),))


# -- what compiles ---------------------------------------------------------------------------


def _needs(
    facts: ProjectFacts, python: str, debian: str, platforms: Iterable[str]
) -> list[tuple[str, native.Need]]:
    out = []
    present = frozenset(p.name for p in facts.packages)
    for platform in platforms:
        t = native.target(python, debian, platform)
        out += [
            (t.arch, native.assess(p, t, present)) for p in facts.packages if native.applies(p, t)
        ]
    return out


class Built(NamedTuple):
    compiled: tuple[Compiled, ...]
    pure_builds: tuple[str, ...]
    build_packages: tuple[str, ...]
    runtime_packages: tuple[str, ...]
    toolchain: bool  # the build stage installs a compiler


def _native(
    facts: ProjectFacts,
    needs: list[tuple[str, native.Need]],
    platforms: tuple[str, ...],
    debian: str,
) -> Decision[Built]:
    cfg = facts.config
    compiled, build_needed, runtime_needed, unknown = _summarise(needs, debian)
    present = frozenset(p.name for p in facts.packages)
    data_packages, data_reasons = native.runtime_data(present, debian)
    build = tuple(sorted(set(build_needed) | set(cfg.build_packages)))
    runtime = tuple(sorted(set(runtime_needed) | set(cfg.runtime_packages) | set(data_packages)))
    reasons = [
        Reason(topic=f"compile {c.name}", decision=c.version or "unpinned", why=c.why)
        for c in compiled
    ]
    pure_builds = native.pure_builds(needs)
    reasons += pure_builds + data_reasons
    reasons += _platform_differences(needs, platforms)
    toolchain = bool(build)
    no_compiler = "every package installs from a wheel" + (native.OR_PURE if pure_builds else "")
    reasons.append(
        Reason(
            topic="toolchain",
            decision=str(toolchain).lower(),
            why="a toolchain is needed to compile " + ", ".join(c.name for c in compiled)
            if compiled
            else f"{no_compiler}: no compiler anywhere",
        )
    )
    warnings: tuple[str, ...] = ()
    if unknown:
        warnings = (
            f"{', '.join(sorted(unknown))} compile from source and pydocker-gen does not know "
            "their system libraries: the builder gets a C compiler only. Add what they need as "
            "packages.build / packages.runtime in the configuration.",
        )
    guessed = native.guessed_compiles(needs)
    if guessed is not None:
        warnings = (*warnings, guessed)
    pure = tuple(sorted({n.name for _, n in needs if n.pure_build is not None}))
    built = Built(tuple(compiled), pure, build, runtime, toolchain)
    return Decision(built, tuple(reasons), warnings)


def _platform_differences(
    needs: list[tuple[str, native.Need]], platforms: tuple[str, ...]
) -> list[Reason]:
    """Packages that compile on some of the target architectures only."""
    if len(platforms) < 2:
        return []
    arches = {native.arch_of(p) for p in platforms}
    where: dict[str, set[str]] = {}
    for arch, need in needs:
        if need.compiles:
            where.setdefault(need.name, set()).add(arch)
    return [
        Reason(
            topic=f"platforms: {name}",
            decision=f"compiles on {', '.join(sorted(on))} only",
            why=f"a wheel fits {', '.join(sorted(arches - on))}",
        )
        for name, on in sorted(where.items())
        if on != arches
    ]


def _summarise(
    needs: list[tuple[str, native.Need]], debian: str
) -> tuple[list[Compiled], list[str], list[str], set[str]]:
    compiled: dict[str, Compiled] = {}
    build: set[str] = set()
    runtime: set[str] = set()
    unknown: set[str] = set()
    arches: dict[str, set[str]] = {}
    for arch, need in needs:
        runtime.update(need.runtime)
        if not need.compiles:
            continue
        arches.setdefault(need.name, set()).add(arch)
        for lang in need.languages or ("c",):
            build.update(native.toolchain(lang, debian))
        build.update(need.build)
        if need.unknown:
            unknown.add(need.name)
        compiled[need.name] = Compiled(
            name=need.name,
            version=need.version,
            why=f"{need.why}, on {', '.join(sorted(arches[need.name]))}",
            build_packages=tuple(sorted(need.build)),
            runtime_packages=tuple(sorted(need.runtime)),
        )
    return sorted(compiled.values(), key=lambda c: c.name), sorted(build), sorted(runtime), unknown


# -- installing ------------------------------------------------------------------------------


class Access(NamedTuple):
    secret_mounts: tuple[str, ...]
    build_command: str


def _index_access(facts: ProjectFacts, profile: Profile) -> Decision[Access]:
    secret_id = facts.config.index_secret or DEFAULT_SECRET
    # An index no installed package comes from (the lock says so) needs no credentials.
    private = [
        ix
        for ix in facts.indexes
        if ix.url.rstrip("/") not in PUBLIC_INDEXES and ix.used is not False
    ]
    if not private:
        return Decision(Access((), "docker build ."))
    if profile is not Profile.BUILDKIT:
        return Decision(
            Access((), "docker build ."),
            warnings=(
                "The project declares private indexes but the portable profile cannot mount "
                "secrets; use the buildkit profile to pass their credentials.",
            ),
        )
    # pip, uv and the exporters read ~/.netrc: credentials never enter ARG, ENV or a layer.
    return Decision(
        Access(
            (f"type=secret,id={secret_id},target=/root/.netrc",),
            f"docker build --secret id={secret_id},src=$HOME/.netrc .",
        ),
        (
            Reason(
                topic="private indexes",
                decision=f"secret {secret_id!r} mounted as /root/.netrc",
                why=", ".join(f"{ix.url} ({ix.source})" for ix in private),
            ),
        ),
    )


def _install(facts: ProjectFacts, ctx: Context) -> Decision[Install]:
    cfg = facts.config
    install = _with_after_deps(facts.manager.strategy(facts, ctx), cfg.steps_after_deps)
    if cfg.extras and not facts.manager.extras:
        *most, last = [m.title for m in managers.MANAGERS if m.extras]
        takers = f"{', '.join(most)} and {last}" if most else last
        return Decision(
            install,
            warnings=(
                f"extras apply only to {takers} locks; {facts.manager.title} installs the "
                f"locked set as it is, so extras = {list(cfg.extras)} changes nothing.",
            ),
        )
    return Decision(install)


def _with_after_deps(install: Install, after: tuple[str, ...]) -> Install:
    """The configured after-deps steps join the last install RUN (the project's, else the
    dependencies'), so they see everything installed and add no layer of their own."""
    if not after:
        return install
    deps, project = list(install.deps), list(install.project)
    target = project if project else deps
    if target:
        last = target[-1]
        target[-1] = Run(commands=last.commands + after, mounts=last.mounts)
    else:
        deps.append(Run(commands=after))
    return replace(install, deps=tuple(deps), project=tuple(project))


def apt_install(packages: Iterable[str]) -> tuple[str, ...]:
    return (
        "apt-get update",
        f"apt-get install --yes --no-install-recommends {' '.join(sorted(packages))}",
        "rm -rf /var/lib/apt/lists/*",
    )


def _builder_setup(build_packages: tuple[str, ...], tool: str | None) -> tuple[Run, ...]:
    """The build stage's system packages and the pinned packaging tool, in one layer; the
    tool goes into the base image's Python, never into the venv the image ships."""
    commands: list[str] = list(apt_install(build_packages)) if build_packages else []
    if tool:
        commands.append(f"python -m pip install --no-cache-dir {tool}")
    return (Run(commands=tuple(commands)),) if commands else ()


# -- the final stage -------------------------------------------------------------------------


def _final_env(cfg: Config) -> tuple[tuple[str, str], ...]:
    env = [
        ("PYTHONDONTWRITEBYTECODE", "1"),
        ("PYTHONUNBUFFERED", "1"),
        ("VIRTUAL_ENV", VENV),
        ("PATH", f"{VENV}/bin:{BASE_PATH}"),
    ]
    ours = {k for k, _ in env}
    return (*env, *((k, v) for k, v in cfg.env if k not in ours))


def _final_setup(runtime_packages: tuple[str, ...], user: str, uid: int) -> tuple[Run, ...]:
    """Run-time libraries and the app's system user with a fixed UID, in one layer."""
    from pydocker_gen.planner.installers import q

    commands = list(apt_install(runtime_packages)) if runtime_packages else []
    commands += [
        f"groupadd --system --gid {uid} {q(user)}",
        f"useradd --system --uid {uid} --gid {uid} --no-create-home --home-dir /nonexistent "
        f"--shell /usr/sbin/nologin {q(user)}",
    ]
    return (Run(commands=tuple(commands)),)


def _final_steps(steps: tuple[str, ...], writable: tuple[str, ...], uid: int) -> tuple[Run, ...]:
    """The configured final steps (the user's own shell), then the folders the app may write,
    owned by its user; the code stays root's."""
    from pydocker_gen.planner.installers import q

    commands = list(steps)
    for folder in writable:
        commands += [f"mkdir -p {q(folder)}", f"chown {uid}:{uid} {q(folder)}"]
    return (Run(commands=tuple(commands)),) if commands else ()


class Start(NamedTuple):
    cmd: tuple[str, ...] | None
    port: int | None


def _start(facts: ProjectFacts) -> Decision[Start]:
    cfg = facts.config
    cmd = cfg.cmd if cfg.cmd is not None else facts.app.cmd
    port = cfg.port if cfg.port is not None else facts.app.port
    reason = Reason(
        topic="cmd",
        decision=" ".join(cmd) if cmd else "none",
        why=f"{cfg.source}: cmd" if cfg.cmd else facts.app.reason,
    )
    warnings: tuple[str, ...] = ()
    if cmd is None:
        warnings = (f"No start command found ({facts.app.reason}); set cmd in the configuration.",)
    return Decision(Start(tuple(cmd) if cmd is not None else None, port), (reason,), warnings)


def _import_path(facts: ProjectFacts, workdir: str) -> Decision[tuple[tuple[str, str], ...]]:
    """The command imports the app from src/ when the project is not installed as a package."""
    folders = facts.app.pythonpath
    if not folders or facts.install_project or facts.config.cmd is not None:
        return Decision(())
    value = ":".join(f"{workdir}/{f}" for f in folders)
    why = f"the application's module is under {', '.join(f + '/' for f in folders)} and the "
    why += "project is not installed as a package"
    return Decision(
        (("PYTHONPATH", value),), (Reason(topic="PYTHONPATH", decision=value, why=why),)
    )


def _stopsignal(cmd: tuple[str, ...] | None) -> Decision[str | None]:
    """uWSGI 2.0 reloads on SIGTERM (what `docker stop` sends) unless told --die-on-term."""
    if cmd and Path(cmd[0]).name == "uwsgi" and "--die-on-term" not in cmd:
        why = "uWSGI reloads on SIGTERM; SIGINT stops it"
        return Decision("SIGINT", (Reason(topic="stopsignal", decision="SIGINT", why=why),))
    return Decision(None)


def _healthcheck(
    setting: bool | str | tuple[str, ...] | None, port: int | None
) -> Decision[tuple[str, ...] | None]:
    if setting is None or setting is False:
        return Decision(None)
    if isinstance(setting, tuple):
        return Decision(setting)
    if port is None:
        return Decision(
            None, warnings=("healthcheck needs a port to probe; set port in the configuration.",)
        )
    path = setting if isinstance(setting, str) else "/"
    # Python's urllib, so the image needs no curl; any HTTP answer below 500 counts as alive.
    probe = (
        "import sys, urllib.request, urllib.error\n"
        "try:\n"
        f"    urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=4)\n"
        "except urllib.error.HTTPError as e:\n"
        "    sys.exit(e.code >= 500)\n"
        "except Exception:\n"
        "    sys.exit(1)"
    )
    return Decision(("python", "-c", probe))


def _steps(commands: tuple[str, ...]) -> tuple[Run, ...]:
    # The user's own shell, from the configuration, as they wrote it.
    return (Run(commands=commands),) if commands else ()


def _dockerignore(cfg: Config, lock_inputs: tuple[str, ...]) -> tuple[str, ...]:
    """Our defaults and the configured excludes, less any rule that would leave out a file
    the Dockerfile copies; the configured includes re-admit files."""
    ignore = [
        p for p in (*DOCKERIGNORE, *cfg.exclude) if not any(excluded(f, [p]) for f in lock_inputs)
    ]
    return (*ignore, *(f"!{p}" for p in cfg.include))


KEPT_MARKER = "# Kept from the project's .dockerignore:"
DROPPED = "  (dropped: it would exclude a file the Dockerfile copies)"


def _kept_dockerignore(
    existing: tuple[str, ...] | None, ours: tuple[str, ...], copied: tuple[str, ...]
) -> tuple[str, ...]:
    """The project's own .dockerignore lines stay below ours, except one that would leave
    out a file the Dockerfile copies (the build would fail): it stays as a comment."""
    kept: list[str] = []
    for line in existing or ():
        if line.endswith(DROPPED):  # dropped by an earlier run: stays dropped, said once
            kept.append(line)
        elif line.startswith("#") or not line.strip() or line in ours:
            continue  # our header and rules are written anew, not kept twice
        elif any(excluded(f, [line]) for f in copied):
            kept.append(f"#   {line}{DROPPED}")
        else:
            kept.append(line)
    return tuple(dict.fromkeys(kept))
