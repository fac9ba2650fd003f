"""Shared plumbing for the benchmarks: the real builder, contexts, tags, the generator CLI.

The builder comes from tests/e2e/builder.py (docker with BuildKit when a daemon answers, else
buildah); nothing here re-implements it. The one addition is a cold build: builder.py has no
"ignore the layer cache" option, so `no_cache_builder()` returns a subclass whose build
command carries `--no-cache` (buildah bud / docker build both accept it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parents[1]
E2E_DIR: Final = REPO / "tests" / "e2e"
EXAMPLES: Final = REPO / "examples"
SHARED: Final = Path(os.environ.get("PYDOCKER_GEN_SHARED", REPO.parent / "shared"))
SEED_UWSGI: Final = SHARED / "seed" / "uwsgi-pipenv"
SETUP_SCRIPT: Final = REPO / ".ci" / "setup-builder.sh"
TIMES: Final = "\N{MULTIPLICATION SIGN}"
MB: Final = 1_000_000  # decimal megabytes, as `docker images` and `buildah images` print them

if str(E2E_DIR) not in sys.path:
    sys.path.insert(0, str(E2E_DIR))

from builder import (  # noqa: E402  (tests/e2e is put on sys.path just above)
    BuildahBuilder,
    Builder,
    BuildError,
    BuildResult,
    DockerBuilder,
    detect,
    why_unavailable,
)

__all__ = ["BuildError", "BuildResult", "Builder"]


class NoCacheBuildah(BuildahBuilder):
    def _build_argv(self, *args: Any) -> list[str]:
        argv = super()._build_argv(*args)
        return [*argv[:2], "--no-cache", *argv[2:]]  # after "buildah bud"


class NoCacheDocker(DockerBuilder):
    def _build_argv(self, *args: Any) -> list[str]:
        argv = super()._build_argv(*args)
        return [*argv[:2], "--no-cache", *argv[2:]]  # after "docker build"


def no_cache_builder(builder: Builder) -> Builder:
    """The same builder, but every build ignores the layer cache (a cold build)."""
    if isinstance(builder, BuildahBuilder):
        return NoCacheBuildah()
    if isinstance(builder, DockerBuilder):
        return NoCacheDocker()
    raise TypeError(f"unknown builder {type(builder).__name__}")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def log(msg: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def mb(n: float) -> float:
    return round(n / MB, 1)


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def pydocker_gen_exe() -> list[str]:
    """The console script beside this interpreter (not a pyenv shim, which adds a bash hop)."""
    here = Path(sys.executable).parent / "pydocker-gen"
    if here.is_file():
        return [str(here)]
    found = shutil.which("pydocker-gen")
    return [found] if found else [sys.executable, "-m", "pydocker_gen"]


class GeneratorFailed(RuntimeError):
    """pydocker-gen exited non-zero; str() is the command, exit code and its error line."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        self.returncode = returncode
        self.error = last_line(stderr) or "(no output)"
        super().__init__(f"`{' '.join(argv)}` exit {returncode}: {self.error}")


def pydocker_gen(*args: str, timeout: float = 120) -> str:
    argv = [*pydocker_gen_exe(), *args]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        shown = ["pydocker-gen", *(a.replace(str(REPO) + "/", "") for a in args)]
        raise GeneratorFailed(shown, proc.returncode, proc.stderr)
    return proc.stdout


def generate(ctx: Path, *options: str) -> Path:
    """Write ctx/Dockerfile and ctx/.dockerignore with the current generator."""
    pydocker_gen("generate", "--force", *options, str(ctx))
    return ctx / "Dockerfile"


def hadolint(dockerfile: Path) -> dict[str, Any]:
    """Finding count and codes; run in an empty folder so no project .hadolint.yaml applies."""
    exe = shutil.which("hadolint")
    if exe is None:
        return {"count": None, "codes": [], "error": "hadolint not on PATH"}
    with tempfile.TemporaryDirectory() as empty:
        proc = subprocess.run(
            [exe, "--no-fail", "--no-color", "-f", "json", str(dockerfile)],
            capture_output=True,
            text=True,
            cwd=empty,
            timeout=60,
            check=False,
        )
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return {"count": None, "codes": [], "error": last_line(proc.stderr or proc.stdout)}
    return {"count": len(findings), "codes": sorted(f["code"] for f in findings)}


@dataclass
class Session:
    """One benchmark run: the builder, a scratch folder, and the tags to remove at the end."""

    builder: Builder
    keep_images: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    scratch: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pdg-bench-")))
    tags: list[str] = field(default_factory=list)
    cache_ids: list[str] = field(default_factory=list)
    _counter: int = field(default=0, init=False)

    def tag(self, name: str) -> str:
        self._counter += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        tag = f"localhost/pydocker-gen-bench/{slug}:{self.run_id}-{self._counter}"
        self.tags.append(tag)
        return tag

    def copy_example(self, name: str, as_name: str | None = None) -> Path:
        dest = self.scratch / (as_name or name)
        shutil.copytree(EXAMPLES / name, dest, symlinks=True)
        return dest

    def build(
        self, ctx: Path, tag: str, dockerfile: Path | None = None, *, no_cache: bool = False
    ) -> BuildResult:
        builder = no_cache_builder(self.builder) if no_cache else self.builder
        return builder.build(ctx, tag, dockerfile=dockerfile)

    def close(self) -> None:
        if not self.keep_images and self.builder is not None:
            for tag in self.tags:
                self.builder.remove(tag)
            for cache_id in self.cache_ids:
                remove_buildah_cache(cache_id)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def isolate_cache_mounts(self, dockerfile: Path, name: str) -> list[str]:
        """Give each `RUN --mount=type=cache` of dockerfile an id of its own for this run.

        A cache mount outlives `--no-cache` (buildah keeps it in /var/tmp/buildah-cache/<id>,
        where id defaults to the target path and is shared by every build on the machine),
        so a cold build would still find pip's wheels from earlier builds. A fresh id makes
        it start empty; the later rebuilds of the same file reuse it, as on a real machine.
        """
        ids: list[str] = []

        def add_id(m: re.Match[str]) -> str:
            opts = m.group(1)
            target = re.search(r"(?:target|dst|destination)=([^,\s]+)", opts)
            if target is None:
                return m.group(0)
            slug = re.sub(r"[^a-z0-9]+", "-", target.group(1).lower()).strip("-")
            cache_id = f"pdg-bench-{self.run_id}-{name}-{slug}"
            ids.append(cache_id)
            # The generated id (one per base image) gives way to one of this run's own.
            opts = ",".join(o for o in opts.split(",") if not o.startswith("id="))
            return f"--mount=type=cache,id={cache_id},{opts}"

        text = re.sub(r"--mount=type=cache,(\S+)", add_id, dockerfile.read_text())
        dockerfile.write_text(text)
        self.cache_ids += ids
        return ids


def remove_buildah_cache(cache_id: str) -> None:
    """Remove the folder of one cache mount id this run created (buildah keeps them in
    $TMPDIR or /var/tmp, under buildah-cache/; BuildKit's are garbage-collected by docker)."""
    if not cache_id.startswith("pdg-bench-"):
        raise ValueError(cache_id)
    for tmp in {os.environ.get("TMPDIR") or "/var/tmp", "/var/tmp"}:
        shutil.rmtree(Path(tmp) / "buildah-cache" / cache_id, ignore_errors=True)


def open_session(keep_images: bool = False) -> Session:
    builder = detect()
    if builder is None:
        raise SystemExit(f"bench: no image builder ({why_unavailable()})")
    return Session(builder=builder, keep_images=keep_images)


def ensure_bases(session: Session, bases: Sequence[str]) -> None:
    """Stand-in bases for buildah come from .ci/setup-builder.sh (idempotent)."""
    missing = session.builder.missing(bases)
    if missing and session.builder.name == "buildah":
        log(f"missing bases {missing}: running {SETUP_SCRIPT.relative_to(REPO)}")
        subprocess.run(["bash", str(SETUP_SCRIPT)], check=True, timeout=3600)
        missing = session.builder.missing(bases)
    if missing:
        raise SystemExit(f"bench: base images missing: {missing}")


def _cmd_out(argv: Sequence[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def machine_info(builder: Builder | None) -> dict[str, Any]:
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as fh:  # noqa: PTH123
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem / 1024**3, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pydocker_gen": _cmd_out([*pydocker_gen_exe(), "--version"]),
        "commit": _cmd_out(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        # --no-optional-locks: a read-only status that never refreshes the index
        "worktree_dirty": bool(
            _cmd_out(["git", "-C", str(REPO), "--no-optional-locks", "status", "--porcelain"])
        ),
        "builder": builder.name if builder else None,
    }
    if isinstance(builder, BuildahBuilder):
        info["builder_version"] = _cmd_out(["buildah", "--version"])
        raw = subprocess.run(
            ["buildah", "info"],
            capture_output=True,
            text=True,
            env=builder._env(),
            timeout=60,
            check=False,
        ).stdout
        try:
            info["storage_driver"] = json.loads(raw)["store"]["GraphDriverName"]
        except (json.JSONDecodeError, KeyError):
            info["storage_driver"] = "?"
        info["isolation"] = builder._env().get("BUILDAH_ISOLATION", "")
    elif isinstance(builder, DockerBuilder):
        info["builder_version"] = _cmd_out(["docker", "version", "--format", "{{.Server.Version}}"])
        info["storage_driver"] = _cmd_out(["docker", "info", "--format", "{{.Driver}}"])
    return info


def final_base(dockerfile: Path) -> str:
    """The image of the last FROM (the final stage's base), without `AS name`."""
    froms = [
        line.split()[1:]
        for line in dockerfile.read_text().splitlines()
        if line.strip().upper().startswith("FROM ")
    ]
    if not froms:
        raise ValueError(f"no FROM in {dockerfile}")
    args = [a for a in froms[-1] if not a.startswith("--")]
    return args[0]
