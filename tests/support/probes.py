"""What the e2e tests and the benchmarks check inside a built image, as its own user.

Every check runs the image's USER (the app user) unless told otherwise, from the image's
working folder, and returns findings rather than asserting: the tests assert, the benchmarks
tabulate.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tests.support.builder import RUN_TIMEOUT, Builder

# compilers and packaging tools that must not reach a final image
TOOLS: Final = ("gcc", "cc", "c++", "g++", "clang", "make")
TOOLS_PACKAGING: Final = ("pipenv", "poetry", "pdm", "uv", "pip-compile")
PACKAGING_MODULES: Final = ("pipenv", "poetry", "pdm", "uv", "piptools")

# Prints one JSON object: uid, tools on PATH, secrets copied in, code the user can rewrite,
# and every shared library of the virtualenv's extensions that ldd cannot resolve.
HYGIENE: Final = r"""
import glob, json, os, shutil, subprocess
venv = os.environ.get("VIRTUAL_ENV", "/opt/venv")
found = {"uid": os.getuid(), "tools": [t for t in %(tools)r if shutil.which(t)]}
found["copied_secrets"] = [p for p in (".env", ".git", ".venv") if os.path.exists(p)]
found["writable_code"] = [
    os.path.join(d, f) for d, _, fs in os.walk(".") for f in fs
    if os.access(os.path.join(d, f), os.W_OK)
]
missing = []
for so in glob.glob(venv + "/**/*.so*", recursive=True):
    out = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
    missing += [so + ": " + l.strip() for l in out.splitlines() if "not found" in l]
found["unresolved"] = missing
found["packaging_modules"] = [
    m for m in %(modules)r if glob.glob(venv + "/lib/python*/site-packages/" + m)
]
print(json.dumps(found))
"""

# Starts a command in the background and polls http://127.0.0.1:PORT/ for up to 30 s. Any
# HTTP answer counts (an error status too: the server is up); a server that exits fails.
SERVE: Final = r"""
{cmd} > /tmp/serve.log 2>&1 &
pid=$!
for i in $(seq 1 60); do
  python -c "import sys, urllib.request as u, urllib.error as e
try: print(u.urlopen('http://127.0.0.1:{port}/', timeout=2).status)
except e.HTTPError as err: print(err.code)
except Exception: sys.exit(1)" 2>/dev/null && {{ echo "HTTP answer"; kill $pid 2>/dev/null; exit 0; }}
  kill -0 $pid 2>/dev/null || {{ echo "exited: $(tail -n 3 /tmp/serve.log | tr '\n' ' ')"; exit 1; }}
  sleep 0.5
done
echo "no answer in 30s: $(tail -n 3 /tmp/serve.log | tr '\n' ' ')"; kill $pid 2>/dev/null; exit 1
"""
PORT_IN_CMD: Final = re.compile(r"(?:^|[\s:=])(\d{4,5})\b")


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def in_image(
    builder: Builder,
    tag: str,
    line: str,
    workdir: str = "/app",
    user: str | None = None,
    timeout: float = RUN_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """One shell line in a throwaway container of tag, from workdir, as user (default: the
    image's USER)."""
    argv = ["sh", "-c", f"cd {shlex.quote(workdir)} && {line}"]
    return builder.run(tag, argv, user=user, timeout=timeout)


def json_probe(builder: Builder, tag: str, script: str) -> dict[str, Any]:
    """Run a Python script in the image; its last output line is a JSON object."""
    proc = in_image(builder, tag, f"python -c {shlex.quote(script)}")
    if proc.returncode != 0:
        return {"error": last_line(proc.stderr) or f"exit {proc.returncode}"}
    found: dict[str, Any] = json.loads(last_line(proc.stdout))
    return found


def hygiene(builder: Builder, tag: str) -> dict[str, Any]:
    """uid, tools, packaging_modules, copied_secrets, writable_code, unresolved (ldd)."""
    return json_probe(
        builder, tag, HYGIENE % {"tools": TOOLS + TOOLS_PACKAGING, "modules": PACKAGING_MODULES}
    )


@dataclass(frozen=True)
class Verified:
    lines: int
    failed: tuple[str, ...]  # "line: its last output line"
    output: str


def verify(builder: Builder, tag: str, verify_file: Path) -> Verified:
    """Each line of an example's `verify` file, run in the image from /app."""
    lines = [ln for ln in verify_file.read_text().splitlines() if ln.strip()]
    failed, output = [], []
    for line in lines:
        proc = in_image(builder, tag, line)
        output.append(proc.stdout.strip())
        if proc.returncode != 0:
            failed.append(f"{line}: {last_line(proc.stderr) or last_line(proc.stdout)}")
    return Verified(len(lines), tuple(failed), "\n".join(output))


def port_of(config: dict[str, Any]) -> int | None:
    """The first EXPOSEd port, else a port-like number in the ENTRYPOINT + CMD."""
    exposed = [p.split("/")[0] for p in (config.get("ExposedPorts") or {})]
    command = " ".join([*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])])
    found = PORT_IN_CMD.search(command)
    port = exposed[0] if exposed else (found.group(1) if found else None)
    return None if port is None else int(port)


def serves(builder: Builder, tag: str, config: dict[str, Any]) -> tuple[bool, str]:
    """Does the image's own ENTRYPOINT + CMD start a server answering HTTP on its port?"""
    command = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    port = port_of(config)
    if not command or port is None:
        return False, "no command" if not command else f"`{shlex.join(command)}` has no port"
    script = SERVE.format(cmd=shlex.join(command), port=port)
    proc = in_image(builder, tag, script, workdir=config.get("WorkingDir") or "/", timeout=120)
    detail = last_line(proc.stdout) or last_line(proc.stderr)
    return proc.returncode == 0, f"CMD `{shlex.join(command)}` on :{port}: {detail[:100]}"
