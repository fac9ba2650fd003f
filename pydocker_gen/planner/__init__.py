"""Planner: ``plan(facts, options) -> Plan``. Every decision is made here, with its reason."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet

from pydocker_gen import __version__
from pydocker_gen.dockerignore import excluded
from pydocker_gen.facts import ProjectFacts
from pydocker_gen.planner import native
from pydocker_gen.planner.installers import STRATEGIES, Context
from pydocker_gen.planner.model import Compiled, Plan, Profile, Reason, Run
from pydocker_gen.reader.python_version import admits_minor

# CPython minors with official python:X.Y-slim-<debian> images; newest last.
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
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


@dataclass(frozen=True, kw_only=True, slots=True)
class Options:
    """Command-line choices; the configuration file wins over none of them but detection."""

    debian: str | None = None
    profile: str | None = None
    platforms: tuple[str, ...] = ()


def plan(facts: ProjectFacts, options: Options | None = None) -> Plan:
    options = options or Options()
    cfg = facts.config
    reasons: list[Reason] = [
        Reason(topic="installer", decision=str(facts.installer), why=facts.installer_reason)
    ]
    warnings = list(facts.warnings)

    debian = options.debian or cfg.debian or DEFAULT_DEBIAN
    platforms = options.platforms or cfg.platforms or DEFAULT_PLATFORMS
    why = (
        "--debian"
        if options.debian
        else f"{cfg.source}: debian"
        if cfg.debian
        else ("current Debian stable (default)")
    )
    reasons.append(Reason(topic="debian", decision=debian, why=why))

    assessed: dict[str, list[tuple[str, native.Need]]] = {}  # per Python, computed once
    python, why = _choose_python(facts, debian, platforms, assessed)
    reasons.append(Reason(topic="python", decision=python, why=why))
    if python not in PYTHONS:
        warnings.append(
            f"Python {python} has no maintained official image; consider {PYTHONS[-2]}."
        )

    base_image = cfg.base_image or f"python:{python}-slim-{debian}"
    why = f"{cfg.source}: base_image; " if cfg.base_image else ""
    reasons.append(Reason(topic="base_image", decision=base_image, why=why + NOT_ALPINE))

    needs = assessed.get(python) or _needs(facts, python, debian, platforms)
    compiled, build_needed, runtime_needed, unknown = _summarise(needs, debian)
    present = frozenset(p.name for p in facts.packages)
    data_packages, data_reasons = native.runtime_data(present, debian)
    build_packages = tuple(sorted(set(build_needed) | set(cfg.build_packages)))
    runtime_packages = tuple(
        sorted(set(runtime_needed) | set(cfg.runtime_packages) | set(data_packages))
    )
    for c in compiled:
        reasons.append(
            Reason(topic=f"compile {c.name}", decision=c.version or "unpinned", why=c.why)
        )
    pure_builds = native.pure_builds(needs)
    reasons += pure_builds + data_reasons
    reasons += _platform_differences(needs, platforms)
    if unknown:
        warnings.append(
            f"{', '.join(sorted(unknown))} compile from source and pydocker-gen does not know "
            "their system libraries: the builder gets a C compiler only. Add what they need as "
            "packages.build / packages.runtime in the configuration."
        )
    builder = bool(build_packages)
    no_compiler = "every package installs from a wheel" + (native.OR_PURE if pure_builds else "")
    reasons.append(
        Reason(
            topic="builder",
            decision=str(builder).lower(),
            why="a toolchain is needed to compile " + ", ".join(c.name for c in compiled)
            if compiled
            else f"{no_compiler}: no compiler anywhere",
        )
    )

    profile = Profile(options.profile or cfg.builder_profile or Profile.BUILDKIT)
    secret_id = cfg.index_secret or DEFAULT_SECRET
    private = [ix for ix in facts.indexes if not _is_public(ix.url)]
    secret_mounts: tuple[str, ...] = ()
    build_command = "docker build ."
    if private and profile is Profile.BUILDKIT:
        # pip, uv and the exporters read ~/.netrc: credentials never enter ARG, ENV or a layer.
        secret_mounts = (f"type=secret,id={secret_id},target=/root/.netrc",)
        build_command = f"docker build --secret id={secret_id},src=$HOME/.netrc ."
        reasons.append(
            Reason(
                topic="private indexes",
                decision=f"secret {secret_id!r} mounted as /root/.netrc",
                why=", ".join(f"{ix.url} ({ix.source})" for ix in private),
            )
        )
    elif private:
        warnings.append(
            "The project declares private indexes but the portable profile cannot mount "
            "secrets; use the buildkit profile to pass their credentials."
        )
    ctx = Context(
        venv=VENV,
        profile=profile,
        python=python,
        tools=cfg.tools,
        backend=cfg.backend or "pip",
        base_image_id=re.sub(r"[^A-Za-z0-9_.-]+", "-", base_image.removeprefix("python:"))[:100],
        secret_mounts=secret_mounts,
    )
    install = STRATEGIES[facts.installer](facts, ctx)
    if cfg.extras and facts.installer.value not in ("uv", "poetry", "pdm"):
        warnings.append(
            f"extras apply only to uv, Poetry and PDM locks; {facts.installer} installs the "
            f"locked set as it is, so extras = {list(cfg.extras)} changes nothing."
        )

    cmd = cfg.cmd if cfg.cmd is not None else facts.app.cmd
    port = cfg.port if cfg.port is not None else facts.app.port
    reasons.append(
        Reason(
            topic="cmd",
            decision=" ".join(cmd) if cmd else "none",
            why=f"{cfg.source}: cmd" if cfg.cmd else facts.app.reason,
        )
    )
    if cmd is None:
        warnings.append(
            f"No start command found ({facts.app.reason}); set cmd in the configuration."
        )
    env = [
        ("PYTHONDONTWRITEBYTECODE", "1"),
        ("PYTHONUNBUFFERED", "1"),
        ("VIRTUAL_ENV", VENV),
        ("PATH", f"{VENV}/bin:{BASE_PATH}"),
    ]
    env += [(k, v) for k, v in cfg.env if k not in {e[0] for e in env}]
    workdir = cfg.workdir or WORKDIR
    lock_inputs = set(install.lock_inputs)
    healthcheck = _healthcheck(cfg.healthcheck, port, warnings)
    ignore = [
        p for p in (*DOCKERIGNORE, *cfg.exclude) if not any(excluded(f, [p]) for f in lock_inputs)
    ]
    ignore += [f"!{p}" for p in cfg.include]
    return Plan(
        generator=f"pydocker-gen {__version__}",
        python=python,
        debian=debian,
        base_image=base_image,
        installer=str(facts.installer),
        lockfile=facts.lockfile,
        profile=profile,
        builder=builder,
        compile=tuple(c.name for c in compiled),
        compiled=tuple(compiled),
        build_packages=build_packages,
        runtime_packages=runtime_packages,
        install=install,
        venv=VENV,
        workdir=workdir,
        user=cfg.user or USER,
        uid=cfg.uid if cfg.uid is not None else UID,
        env=tuple(env),
        cmd=tuple(cmd) if cmd is not None else None,
        port=port,
        stopsignal=_stopsignal(cmd, reasons),
        healthcheck=healthcheck,
        copy_app=(".",),
        writable=cfg.writable,
        steps_before_deps=_steps(cfg.steps_before_deps),
        steps_after_deps=_steps(cfg.steps_after_deps),
        steps_final=_steps(cfg.steps_final),
        platforms=tuple(platforms),
        build_command=build_command,
        dockerignore=tuple(ignore),
        reasons=tuple(reasons),
        warnings=tuple(warnings),
    )


def _stopsignal(cmd: tuple[str, ...] | None, reasons: list[Reason]) -> str | None:
    """uWSGI 2.0 reloads on SIGTERM (what `docker stop` sends) unless told --die-on-term."""
    if cmd and Path(cmd[0]).name == "uwsgi" and "--die-on-term" not in cmd:
        reasons.append(
            Reason(
                topic="stopsignal",
                decision="SIGINT",
                why="uWSGI reloads on SIGTERM; SIGINT stops it",
            )
        )
        return "SIGINT"
    return None


def _is_public(url: str) -> bool:
    return url.rstrip("/") in PUBLIC_INDEXES


def _steps(commands: tuple[str, ...]) -> tuple[Run, ...]:
    # The user's own shell, from the configuration, as they wrote it.
    return (Run(commands=commands),) if commands else ()


def _healthcheck(
    setting: bool | str | tuple[str, ...] | None, port: int | None, warnings: list[str]
) -> tuple[str, ...] | None:
    if setting is None or setting is False:
        return None
    if isinstance(setting, tuple):
        return setting
    if port is None:
        warnings.append("healthcheck needs a port to probe; set port in the configuration.")
        return None
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
    return ("python", "-c", probe)


def _choose_python(
    facts: ProjectFacts,
    debian: str,
    platforms: Iterable[str],
    assessed: dict[str, list[tuple[str, native.Need]]],
) -> tuple[str, str]:
    pin = facts.python
    if pin.pin is not None:
        return pin.pin, f"pinned by {pin.pin_source}"
    spec = SpecifierSet(pin.range or "")
    candidates = [p for p in PYTHONS if admits_minor(spec, p)]
    if not candidates:
        return PYTHONS[-1], f"no maintained CPython satisfies {pin.range!r}; newest chosen"
    # Newest first; keep the one that compiles the fewest packages.
    for p in candidates:
        assessed[p] = _needs(facts, p, debian, platforms)
    scored = [(sum(n.compiles for _, n in assessed[p]), p) for p in reversed(candidates)]
    best = min(scored, key=lambda s: s[0])
    where = f"{pin.range_source} {pin.range!r}" if pin.range else "no pin or range"
    pure = any(n.pure_build for _, n in assessed[best[1]])
    compiles = (
        "every locked package has a wheel" + (native.OR_PURE if pure else "")
        if best[0] == 0
        else (f"{best[0]} package(s) compile, the fewest of {', '.join(candidates)}")
    )
    return best[1], f"newest CPython allowed by {where} where {compiles}"


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
