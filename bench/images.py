"""What the benchmarks measure in a built image: size and layers over its base, what the
installed packages weigh, whether a command runs and whether the image's CMD serves HTTP."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any, Final

from common import Session, last_line

# Runs inside an image with its `python`: regular-file bytes (each inode once, as
# builder.tree_bytes counts them) of the virtualenv and /app, and per installed
# distribution of that interpreter the bytes of the files its RECORD lists.
PROBE: Final = r"""
import importlib.metadata as md, json, os, stat, sysconfig
def tree(root):
    seen, total = set(), 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            if not stat.S_ISREG(st.st_mode):
                continue
            if st.st_nlink > 1:
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
            total += st.st_size
    return total
venv = os.environ.get("VIRTUAL_ENV", "")
site = sysconfig.get_paths()["purelib"]
dists = {}
for dist in md.distributions(path=[site]):
    size, seen = 0, set()
    for f in dist.files or ():
        p = str(dist.locate_file(f))
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and p not in seen:
            seen.add(p)
            size += st.st_size
    dists[dist.metadata["Name"].lower()] = size
print(json.dumps({
    "site_packages": site,
    "venv": venv,
    "venv_bytes": tree(venv) if venv and os.path.isdir(venv) else None,
    "app_bytes": tree("/app") if os.path.isdir("/app") else None,
    "dists": dists,
}))
"""

# Starts the CMD in the background and polls http://127.0.0.1:PORT/ for up to 30 s.
SERVE: Final = r"""
{cmd} > /tmp/serve.log 2>&1 &
pid=$!
for i in $(seq 1 60); do
  body=$(python -c "import urllib.request as u
print(u.urlopen('http://127.0.0.1:{port}/', timeout=2).read().decode()[:80])" 2>/dev/null) && {{
    echo "served: $body"; kill $pid 2>/dev/null; exit 0; }}
  kill -0 $pid 2>/dev/null || {{
    echo "exited: $(tail -n 3 /tmp/serve.log | tr '\n' ' ')"; exit 1; }}
  sleep 0.5
done
echo "no answer in 30s: $(tail -n 3 /tmp/serve.log | tr '\n' ' ')"; kill $pid 2>/dev/null; exit 1
"""

TOOLING: Final = ("pip", "setuptools", "wheel")  # installer baggage, not the app's packages
NOT_FOUND: Final = re.compile(r"(exec: \S+: executable file not found in \$PATH)")
PORT_IN_CMD: Final = re.compile(r"(?:^|[\s:=])(\d{4,5})\b")


def size_over_base(session: Session, tag: str, base: str) -> dict[str, int]:
    b = session.builder
    return {
        "over_base_bytes": b.rootfs_bytes(tag) - b.rootfs_bytes(base),
        "layers_over_base": b.layers(tag) - b.layers(base),
    }


def probe(session: Session, tag: str) -> dict[str, Any]:
    proc = session.builder.run(tag, ["python", "-c", PROBE])
    if proc.returncode != 0:
        return {"error": last_line(proc.stderr)}
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    data["packages_bytes"] = sum(v for k, v in data["dists"].items() if k not in TOOLING)
    return data


def command_runs(session: Session, tag: str, argv: list[str]) -> dict[str, Any]:
    """Run argv directly (no shell, no entrypoint) as the image's user."""
    proc = session.builder.run(tag, argv, timeout=120)
    if proc.returncode == 0:
        return {"ok": True, "detail": last_line(proc.stdout)[:160]}
    # buildah: 'process failed to start with error: exec: "uwsgi": executable file not
    # found in $PATHprocess exited ...' (no newlines between its messages)
    missing = NOT_FOUND.search(proc.stderr)
    detail = missing.group(1) if missing else last_line(proc.stderr) or last_line(proc.stdout)
    return {"ok": False, "detail": detail[:160]}


def cmd_serves(session: Session, tag: str, config: dict[str, Any]) -> dict[str, Any]:
    """Does the image's own CMD start a server answering HTTP on its port?"""
    cmd = config.get("Cmd") or []
    entry = config.get("Entrypoint") or []
    full = [*entry, *cmd]
    if not full:
        return {"ok": False, "detail": "no CMD"}
    ports = [p.split("/")[0] for p in (config.get("ExposedPorts") or {})]
    found = PORT_IN_CMD.search(" ".join(full))
    port = ports[0] if ports else (found.group(1) if found else None)
    workdir = config.get("WorkingDir") or "/"
    shown = shlex.join(full)
    if port is None:
        # not a server command: say what it does instead
        proc = session.builder.run(
            tag, ["sh", "-c", f"cd {shlex.quote(workdir)} && {shown}"], timeout=120
        )
        first = (proc.stdout.strip().splitlines() or [""])[0]
        return {
            "ok": False,
            "detail": f"CMD `{shown}` is no server: exits {proc.returncode} ({first[:60]})",
        }
    script = SERVE.format(cmd=shown, port=port)
    proc = session.builder.run(
        tag, ["sh", "-c", f"cd {shlex.quote(workdir)} && {script}"], timeout=120
    )
    detail = last_line(proc.stdout) or last_line(proc.stderr)
    return {"ok": proc.returncode == 0, "detail": f"CMD `{shown}` on :{port}: {detail[:100]}"}
