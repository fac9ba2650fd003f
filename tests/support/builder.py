"""Real image builders for the end-to-end tests and the benchmarks.

Two implementations behind one interface: Docker (BuildKit, when a daemon answers) and
buildah (rootful, chroot isolation: what works on machines without a daemon). Nothing here
imports pydocker_gen or pytest.

Environment:
  PYDOCKER_GEN_BUILDER        force "docker", "buildah" or "none" (default: auto-detect)
  STORAGE_DRIVER              buildah storage driver (vfs, overlay); default: buildah's own
                              choice, i.e. the store the stand-in bases were built in
  BUILDAH_ISOLATION           buildah isolation, default "chroot"
  BUILDAH_FORMAT              buildah image format, default "docker" (OCI drops HEALTHCHECK)
  PYDOCKER_GEN_PULL           buildah pull policy for bases, default "never" (no registry here)
  PYDOCKER_GEN_BUILD_TIMEOUT  seconds per build, default 1800
  PYDOCKER_GEN_RUN_TIMEOUT    seconds per run() in an image, default 300
  PYDOCKER_GEN_SETUP_TIMEOUT  seconds for .ci/setup-builder.sh (stand-in bases), default 3600
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tarfile
import tempfile
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tests.support.buildlog import Step, steps

BUILD_TIMEOUT: Final = float(os.environ.get("PYDOCKER_GEN_BUILD_TIMEOUT", "1800"))
RUN_TIMEOUT: Final = float(os.environ.get("PYDOCKER_GEN_RUN_TIMEOUT", "300"))
SETUP_TIMEOUT: Final = float(os.environ.get("PYDOCKER_GEN_SETUP_TIMEOUT", "3600"))
SETUP_SCRIPT: Final = Path(__file__).resolve().parents[2] / ".ci" / "setup-builder.sh"
QUERY_TIMEOUT: Final = 120.0  # inspect/from/mount/rm: vfs copies a whole rootfs on `from`
PROBE_TIMEOUT: Final = 20.0
LOG_TAIL_LINES: Final = 60

# The image-config keys the tests look at; absent ones come back as None ("" for User/WorkingDir).
CONFIG_KEYS: Final = (
    "User",
    "Cmd",
    "Entrypoint",
    "Env",
    "ExposedPorts",
    "WorkingDir",
    "StopSignal",
    "Healthcheck",
)

PYTHON_VERSIONS: Final = ("3.11", "3.12", "3.13")
SUITES: Final = ("bookworm", "trixie")
# The bases the generator targets; on buildah machines these are local stand-ins.
BASE_IMAGES: Final = tuple(f"python:{v}-slim-{s}" for v in PYTHON_VERSIONS for s in SUITES)


class BuildError(RuntimeError):
    """A build that exited non-zero or timed out; `log` holds everything, str() the tail."""

    def __init__(self, tag: str, returncode: int, log: str) -> None:
        self.tag = tag
        self.returncode = returncode
        self.log = log
        self.tail = "\n".join(log.splitlines()[-LOG_TAIL_LINES:])
        super().__init__(f"build of {tag} failed (exit {returncode}):\n{self.tail}")


@dataclass(frozen=True)
class BuildResult:
    tag: str
    seconds: float
    log: str
    steps: tuple[Step, ...]  # as the builder reported them, FROM included, timed on buildah

    @property
    def after_from(self) -> list[Step]:
        return [s for s in self.steps if s.verb != "FROM"]

    @property
    def steps_total(self) -> int:
        return len(self.after_from)

    @property
    def steps_cached(self) -> int:
        return sum(s.cached for s in self.after_from)

    @property
    def steps_run(self) -> int:
        return self.steps_total - self.steps_cached


def _exec(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """subprocess.run with a timeout that also kills grandchildren (buildah re-execs itself)."""
    with subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=dict(env) if env is not None else None,
        start_new_session=True,  # own process group, so a timeout can kill the whole tree
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:  # a setsid'd grandchild still holds the pipe
                out, err = "", ""
            raise subprocess.TimeoutExpired(proc.args, timeout, output=out, stderr=err) from None
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err or "")
    if check and result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, argv, out, err)
    return result


def _stream(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, list[str], list[float]]:
    """Run argv, stdout and stderr merged; each line with the seconds since the start."""
    lines: list[str] = []
    stamps: list[float] = []
    start = time.monotonic()
    with subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=dict(env),
        start_new_session=True,  # own process group, so the timeout can kill the whole tree
    ) as proc:
        watchdog = threading.Timer(BUILD_TIMEOUT, _kill_group, args=(proc,))
        watchdog.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                stamps.append(time.monotonic() - start)
                lines.append(line.rstrip("\n"))
        finally:
            watchdog.cancel()
        returncode = proc.wait()
    if time.monotonic() - start >= BUILD_TIMEOUT:
        lines.append(f"[timed out after {BUILD_TIMEOUT:.0f}s]")
    return returncode, lines, stamps


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def tree_bytes(root: Path) -> int:
    """Apparent size of the regular files under root, each inode once (docker/buildah agree)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    pending = [str(root)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                st = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode):
                    continue
                if st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                total += st.st_size
    return total


class Builder(ABC):
    """One real image builder. Tags are full references, e.g. localhost/x/y:z."""

    name: str

    def build(
        self,
        context: Path,
        tag: str,
        dockerfile: Path | None = None,
        target: str | None = None,
        secrets: dict[str, Path] | None = None,
        build_args: dict[str, str] | None = None,
        no_cache: bool = False,
    ) -> BuildResult:
        """Build context into tag; no_cache ignores the layer cache (not cache mounts)."""
        argv = self._build_argv(context, tag, dockerfile, target, secrets or {}, build_args or {})
        if no_cache:
            argv.insert(2, "--no-cache")  # after "buildah bud" / "docker build"
        start = time.monotonic()
        returncode, lines, stamps = _stream(argv, self._env())
        seconds = time.monotonic() - start
        log = "\n".join(lines)
        if returncode != 0:
            raise BuildError(tag, returncode, log)
        return BuildResult(tag, seconds, log, tuple(steps(log, stamps)))

    def missing(self, tags: Sequence[str]) -> list[str]:
        return [t for t in tags if not self.exists(t)]

    def _env(self) -> dict[str, str]:
        return dict(os.environ)

    def _query(self, argv: Sequence[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        return _exec(argv, timeout=QUERY_TIMEOUT, env=self._env(), check=check)

    @abstractmethod
    def _build_argv(
        self,
        context: Path,
        tag: str,
        dockerfile: Path | None,
        target: str | None,
        secrets: dict[str, Path],
        build_args: dict[str, str],
    ) -> list[str]: ...

    @abstractmethod
    def run(
        self,
        tag: str,
        argv: list[str],
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = RUN_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """Run argv directly (no entrypoint, no shell) in a throwaway container of tag."""

    @abstractmethod
    def image_config(self, tag: str) -> dict[str, Any]: ...

    @abstractmethod
    def rootfs_bytes(self, tag: str) -> int: ...

    @abstractmethod
    def layers(self, tag: str) -> int: ...

    @abstractmethod
    def remove(self, tag: str) -> None: ...

    @abstractmethod
    def exists(self, tag: str) -> bool: ...


def _common_build_flags(
    dockerfile: Path | None,
    target: str | None,
    secrets: dict[str, Path],
    build_args: dict[str, str],
) -> list[str]:
    """The flags docker build and buildah bud spell alike."""
    argv = ["-f", str(dockerfile)] if dockerfile is not None else []
    if target is not None:
        argv += ["--target", target]
    for sid, src in secrets.items():
        argv += ["--secret", f"id={sid},src={src}"]
    return argv + _env_flags("--build-arg", build_args)


def _normalise_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    out = {key: cfg.get(key) for key in CONFIG_KEYS}
    out["User"] = out["User"] or ""
    out["WorkingDir"] = out["WorkingDir"] or ""
    return out


def _env_flags(flag: str, env: Mapping[str, str] | None) -> list[str]:
    return [arg for k, v in (env or {}).items() for arg in (flag, f"{k}={v}")]


STORAGE_CONF: Final = """\
[storage]
driver = "{driver}"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
"""


def storage_conf(driver: str) -> Path:
    """A storage.conf selecting driver; buildah 1.28 ignores the STORAGE_DRIVER variable."""
    if not re.fullmatch(r"[a-z0-9]+", driver):
        raise ValueError(f"bad STORAGE_DRIVER {driver!r}")
    conf = Path(tempfile.gettempdir()) / f"pydocker-gen-storage-{driver}.conf"
    text = STORAGE_CONF.format(driver=driver)
    if not conf.is_file() or conf.read_text() != text:
        tmp = conf.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(conf)  # atomic, several test processes may race here
    return conf


def buildah_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for buildah: chroot isolation, STORAGE_DRIVER made effective if set."""
    env = dict(os.environ if base is None else base)
    env.setdefault("BUILDAH_ISOLATION", "chroot")
    driver = env.get("STORAGE_DRIVER", "").strip()
    if driver and "CONTAINERS_STORAGE_CONF" not in env:
        env["CONTAINERS_STORAGE_CONF"] = str(storage_conf(driver))
    return env


class BuildahBuilder(Builder):
    name = "buildah"

    def __init__(self) -> None:
        self._environ = buildah_env()

    def _env(self) -> dict[str, str]:
        return self._environ

    def _build_argv(
        self,
        context: Path,
        tag: str,
        dockerfile: Path | None,
        target: str | None,
        secrets: dict[str, Path],
        build_args: dict[str, str],
    ) -> list[str]:
        argv = [
            "buildah",
            "bud",
            "--layers",
            "--force-rm",  # a failed build otherwise leaks its working container
            f"--pull={os.environ.get('PYDOCKER_GEN_PULL', 'never')}",
            f"--format={os.environ.get('BUILDAH_FORMAT', 'docker')}",
            "-t",
            tag,
        ]
        return [*argv, *_common_build_flags(dockerfile, target, secrets, build_args), str(context)]

    def _from(self, tag: str) -> str:
        name = f"pdg-{uuid.uuid4().hex[:12]}"
        self._query(["buildah", "from", "--pull=never", "--quiet", "--name", name, tag])
        return name

    def _rm(self, ctr: str) -> None:
        self._query(["buildah", "rm", ctr], check=False)

    def run(
        self,
        tag: str,
        argv: list[str],
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = RUN_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        ctr = self._from(tag)
        try:
            cmd = ["buildah", "run", *(["--user", user] if user else []), *_env_flags("--env", env)]
            return _exec([*cmd, ctr, "--", *argv], timeout=timeout, env=self._env())
        finally:
            self._rm(ctr)

    def _inspect(self, tag: str) -> dict[str, Any]:
        out = self._query(["buildah", "inspect", "--type", "image", tag]).stdout
        data: dict[str, Any] = json.loads(out)
        return data

    def image_config(self, tag: str) -> dict[str, Any]:
        data = self._inspect(tag)
        # the Docker view carries Healthcheck; buildah fills it for OCI-format images too
        return _normalise_config(data.get("Docker", {}).get("config") or data["OCIv1"]["config"])

    def rootfs_bytes(self, tag: str) -> int:
        ctr = self._from(tag)
        try:
            mountpoint = self._query(["buildah", "mount", ctr]).stdout.strip().splitlines()[-1]
            try:
                return tree_bytes(Path(mountpoint))
            finally:
                self._query(["buildah", "umount", ctr], check=False)
        finally:
            self._rm(ctr)

    def layers(self, tag: str) -> int:
        return len(self._inspect(tag)["OCIv1"]["rootfs"]["diff_ids"])

    def remove(self, tag: str) -> None:
        self._query(["buildah", "rmi", "-f", tag], check=False)

    def exists(self, tag: str) -> bool:
        return (
            self._query(["buildah", "inspect", "--type", "image", tag], check=False).returncode == 0
        )


class DockerBuilder(Builder):
    name = "docker"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_BUILDKIT": "1"}

    def _build_argv(
        self,
        context: Path,
        tag: str,
        dockerfile: Path | None,
        target: str | None,
        secrets: dict[str, Path],
        build_args: dict[str, str],
    ) -> list[str]:
        argv = ["docker", "build", "--progress=plain", "-t", tag]
        return [*argv, *_common_build_flags(dockerfile, target, secrets, build_args), str(context)]

    def run(
        self,
        tag: str,
        argv: list[str],
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = RUN_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        name = f"pdg-{uuid.uuid4().hex[:12]}"
        cmd = ["docker", "run", "--rm", "--name", name, "--entrypoint", argv[0]]
        cmd += [*(["--user", user] if user else []), *_env_flags("--env", env), tag, *argv[1:]]
        try:
            return _exec(cmd, timeout=timeout, env=self._env())
        except subprocess.TimeoutExpired:
            # killing the CLI leaves the container running
            self._query(["docker", "rm", "-f", name], check=False)
            raise

    def _inspect(self, tag: str) -> dict[str, Any]:
        out = self._query(["docker", "image", "inspect", tag]).stdout
        data: list[dict[str, Any]] = json.loads(out)
        return data[0]

    def image_config(self, tag: str) -> dict[str, Any]:
        return _normalise_config(self._inspect(tag).get("Config") or {})

    def rootfs_bytes(self, tag: str) -> int:
        # never started, so the command need not exist in the image
        cid = self._query(["docker", "create", "--entrypoint", "", tag, "true"]).stdout.strip()
        try:
            return self._export_bytes(cid)
        finally:
            self._query(["docker", "rm", "-f", cid], check=False)

    def _export_bytes(self, cid: str) -> int:
        with subprocess.Popen(
            ["docker", "export", cid],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self._env(),
            start_new_session=True,
        ) as proc:
            watchdog = threading.Timer(QUERY_TIMEOUT * 5, _kill_group, args=(proc,))
            watchdog.start()
            try:
                assert proc.stdout is not None
                with tarfile.open(fileobj=proc.stdout, mode="r|*") as tar:
                    # hard-link members have size 0, so each inode counts once
                    total = sum(m.size for m in tar if m.isreg())
            finally:
                watchdog.cancel()
            if proc.wait(timeout=QUERY_TIMEOUT) != 0:
                raise RuntimeError(f"docker export {cid} failed (exit {proc.returncode})")
        return total

    def layers(self, tag: str) -> int:
        return len(self._inspect(tag)["RootFS"]["Layers"])

    def remove(self, tag: str) -> None:
        self._query(["docker", "image", "rm", "-f", tag], check=False)

    def exists(self, tag: str) -> bool:
        return self._query(["docker", "image", "inspect", tag], check=False).returncode == 0


def _docker_answers() -> tuple[bool, str]:
    if shutil.which("docker") is None:
        return False, "no docker CLI on PATH"
    try:
        proc = _exec(["docker", "info"], timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"`docker info` did not answer within {PROBE_TIMEOUT:.0f}s"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"`docker info` failed: {last}"
    return True, ""


@functools.cache
def _probe() -> tuple[Builder | None, str]:
    forced = os.environ.get("PYDOCKER_GEN_BUILDER", "").strip().lower()
    if forced == "none":
        return None, "PYDOCKER_GEN_BUILDER=none"
    if forced not in ("", "docker", "buildah"):
        return None, f"PYDOCKER_GEN_BUILDER={forced!r} is not docker, buildah or none"
    docker_ok, docker_why = (False, "not requested") if forced == "buildah" else _docker_answers()
    if docker_ok:
        return DockerBuilder(), ""
    if forced == "docker":
        return None, f"PYDOCKER_GEN_BUILDER=docker but {docker_why}"
    if shutil.which("buildah") is not None:
        return BuildahBuilder(), ""
    return None, f"no image builder: {docker_why}, and buildah is not on PATH"


def detect() -> Builder | None:
    """Docker when a daemon answers, else buildah when installed, else None (cached)."""
    return _probe()[0]


def why_unavailable() -> str:
    """Why detect() returned None; "" when a builder is available."""
    return _probe()[1]


def ensure_bases(builder: Builder, bases: Sequence[str] = BASE_IMAGES) -> str:
    """Run .ci/setup-builder.sh once if buildah lacks one of bases (docker pulls on demand).

    Returns "" when every base is there, else why not (the script's exit and output tail)."""
    if builder.name != "buildah" or not builder.missing(bases):
        return ""
    try:
        proc = _exec(["bash", str(SETUP_SCRIPT)], timeout=SETUP_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"{SETUP_SCRIPT} did not finish within {SETUP_TIMEOUT:.0f}s"
    still = builder.missing(bases)
    if proc.returncode == 0 and not still:
        return ""
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
    return f"{SETUP_SCRIPT} exit {proc.returncode}; missing bases {still}:\n{tail}"
