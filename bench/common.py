"""Shared plumbing of the benchmarks: a session (builder, scratch folder, tags to remove),
the generator CLI, hadolint, sizes over the base and what the installed packages weigh.

The builder, build-log steps and in-image probes are tests/support's, shared with the e2e
tests (run from the repository root: `python -m bench.run`).
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

from tests.support.builder import Builder, BuildResult, detect, ensure_bases, why_unavailable
from tests.support.probes import json_probe, last_line

REPO: Final = Path(__file__).resolve().parents[1]
EXAMPLES: Final = REPO / "examples"
SHARED: Final = Path(os.environ.get("PYDOCKER_GEN_SHARED", REPO.parent / "shared"))
MB: Final = 1_000_000  # decimal megabytes, as `docker images` and `buildah images` print them

# Bytes of the regular files (each inode once) of the venv and /app, and per installed
# distribution of the image's Python the bytes of the files its RECORD lists.
INSTALLED: Final = r"""
import importlib.metadata as md, json, os, stat, sysconfig
def tree(root):
    seen, total = set(), 0
    for d, _, files in os.walk(root):
        for f in files:
            st = os.lstat(os.path.join(d, f))
            key = (st.st_dev, st.st_ino)
            if stat.S_ISREG(st.st_mode) and (st.st_nlink == 1 or key not in seen):
                seen.add(key)
                total += st.st_size
    return total
def size(dist):
    files = {str(dist.locate_file(f)) for f in dist.files or ()}
    return sum(os.lstat(p).st_size for p in files if os.path.isfile(p) and not os.path.islink(p))
venv = os.environ.get("VIRTUAL_ENV", "")
print(json.dumps({
    "venv_bytes": tree(venv) if venv and os.path.isdir(venv) else None,
    "app_bytes": tree("/app") if os.path.isdir("/app") else None,
    "dists": {d.metadata["Name"].lower(): size(d)
              for d in md.distributions(path=[sysconfig.get_paths()["purelib"]])},
}))
"""
TOOLING: Final = ("pip", "setuptools", "wheel")  # installer baggage, not the app's packages


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def log(msg: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def mb(n: float) -> float:
    return round(n / MB, 1)


class GeneratorFailed(RuntimeError):
    """pydocker-gen exited non-zero; str() is the command, exit code and its error line."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        self.error = last_line(stderr) or "(no output)"
        shown = " ".join(a.replace(str(REPO) + "/", "") for a in args)
        super().__init__(f"`pydocker-gen {shown}` exit {returncode}: {self.error}")


def pydocker_gen(*args: str) -> str:
    """The console script beside this interpreter (a pyenv shim would add a bash hop)."""
    exe = Path(sys.executable).parent / "pydocker-gen"
    argv = [str(exe)] if exe.is_file() else [sys.executable, "-m", "pydocker_gen"]
    proc = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise GeneratorFailed(args, proc.returncode, proc.stderr)
    return proc.stdout


def generate(ctx: Path, *options: str) -> Path:
    """Write ctx/Dockerfile and ctx/.dockerignore with the current generator."""
    pydocker_gen("generate", "--force", *options, str(ctx))
    return ctx / "Dockerfile"


def final_base(dockerfile: Path) -> str:
    """The image of the last FROM (the final stage's base)."""
    froms = [ln.split() for ln in dockerfile.read_text().splitlines() if ln.startswith("FROM ")]
    return next(a for a in froms[-1][1:] if not a.startswith("--"))


def hadolint(dockerfile: Path) -> dict[str, Any]:
    """Finding count and codes; run in an empty folder so no project .hadolint.yaml applies."""
    exe = shutil.which("hadolint")
    if exe is None:
        return {"count": None, "codes": [], "error": "hadolint not on PATH"}
    with tempfile.TemporaryDirectory() as empty:
        argv = [exe, "--no-fail", "--no-color", "-f", "json", str(dockerfile)]
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=empty, check=False)
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

    def tag(self, name: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        tag = f"localhost/pydocker-gen-bench/{slug}:{self.run_id}-{len(self.tags) + 1}"
        self.tags.append(tag)
        return tag

    def copy_example(self, name: str, as_name: str) -> Path:
        dest = self.scratch / as_name
        shutil.copytree(EXAMPLES / name, dest, symlinks=True)
        return dest

    def build(self, ctx: Path, tag: str, dockerfile: Path, no_cache: bool = False) -> BuildResult:
        return self.builder.build(ctx, tag, dockerfile=dockerfile, no_cache=no_cache)

    def bases(self, bases: Sequence[str]) -> None:
        problem = ensure_bases(self.builder, bases)
        if problem:
            raise SystemExit(f"bench: {problem}")

    def close(self) -> None:
        if not self.keep_images and self.builder is not None:
            for tag in self.tags:
                self.builder.remove(tag)
            for cache_id in self.cache_ids:  # buildah keeps them in $TMPDIR or /var/tmp
                for tmp in {os.environ.get("TMPDIR") or "/var/tmp", "/var/tmp"}:
                    shutil.rmtree(Path(tmp) / "buildah-cache" / cache_id, ignore_errors=True)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def isolate_cache_mounts(self, dockerfile: Path, name: str) -> int:
        """Give each `RUN --mount=type=cache` of dockerfile an id of its own for this run.

        A cache mount outlives `--no-cache` (its id is shared by every build on the machine),
        so a cold build would still find pip's wheels from earlier builds. A fresh id makes it
        start empty; the later rebuilds of the same file reuse it, as on a real machine."""
        count = len(self.cache_ids)

        def own_id(m: re.Match[str]) -> str:
            opts = [o for o in m.group(1).split(",") if not o.startswith("id=")]
            target = next(o.split("=", 1)[1] for o in opts if o.startswith("target="))
            cache_id = f"pdg-bench-{self.run_id}-{name}-{re.sub(r'[^a-z0-9]+', '-', target)}"
            self.cache_ids.append(cache_id)
            return f"--mount=type=cache,id={cache_id},{','.join(opts)}"

        text = re.sub(r"--mount=type=cache,(\S+)", own_id, dockerfile.read_text())
        dockerfile.write_text(text)
        return len(self.cache_ids) - count

    def size_over_base(self, tag: str, base: str) -> dict[str, int]:
        b = self.builder
        return {
            "over_base_bytes": b.rootfs_bytes(tag) - b.rootfs_bytes(base),
            "layers_over_base": b.layers(tag) - b.layers(base),
        }

    def installed(self, tag: str) -> dict[str, Any]:
        """INSTALLED's findings and packages_bytes: the app's packages alone (no tooling)."""
        found = json_probe(self.builder, tag, INSTALLED)
        if "dists" in found:
            found["packages_bytes"] = sum(v for k, v in found["dists"].items() if k not in TOOLING)
        return found


def open_session(keep_images: bool, needs_builder: bool) -> Session:
    builder = detect()
    if builder is None and needs_builder:
        raise SystemExit(f"bench: no image builder ({why_unavailable()})")
    return Session(builder=builder, keep_images=keep_images)  # type: ignore[arg-type]


def _out(argv: Sequence[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def machine_info(builder: Builder | None) -> dict[str, Any]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "",
    )
    name = builder.name if builder else None
    version = {"buildah": ["buildah", "--version"], "docker": ["docker", "--version"]}
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": _out(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        # --no-optional-locks: a read-only status that never refreshes the index
        "worktree_dirty": bool(
            _out(["git", "-C", str(REPO), "--no-optional-locks", "status", "--porcelain"])
        ),
        "builder": name,
        "builder_version": _out(version[name]) if name else "",
    }
