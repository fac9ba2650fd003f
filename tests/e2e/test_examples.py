"""Build every example's committed Dockerfile for real and check what is inside the image."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
from builder import Builder

from pydocker_gen.cli import main

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = sorted(p for p in EXAMPLES_DIR.iterdir() if (p / "verify").is_file())
TOOLS = ("gcc", "cc", "c++", "g++", "clang", "make", "pipenv", "poetry", "pdm", "uv", "pip-compile")

# Runs inside the image as its default user; prints one JSON object of findings.
PROBE = r"""
import json, os, shutil, subprocess, glob
found = {"uid": os.getuid(), "tools": [t for t in %(tools)r if shutil.which(t)]}
found["copied_secrets"] = [p for p in (".env", ".git", ".venv") if os.path.exists(p)]
found["writable_code"] = [
    os.path.join(d, f) for d, _, fs in os.walk(".") for f in fs
    if os.access(os.path.join(d, f), os.W_OK)
]
missing = []
for so in glob.glob(os.environ["VIRTUAL_ENV"] + "/**/*.so*", recursive=True):
    out = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
    missing += [so + ": " + l.strip() for l in out.splitlines() if "not found" in l]
found["unresolved"] = missing
found["packaging_modules"] = [
    m for m in ("pipenv", "poetry", "pdm", "uv", "piptools")
    if os.path.isdir(os.path.join(os.environ["VIRTUAL_ENV"], "lib")) and glob.glob(
        os.environ["VIRTUAL_ENV"] + "/lib/python*/site-packages/" + m)
]
print(json.dumps(found))
"""

SERVE = r"""
{cmd} > /tmp/server.log 2>&1 &
pid=$!
for i in $(seq 1 60); do
  if python -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=2)" 2>/dev/null; then
    echo served; kill $pid; exit 0
  fi
  python -c "import urllib.request, urllib.error
try: urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=2)
except urllib.error.HTTPError: raise SystemExit(0)
except Exception: raise SystemExit(1)" 2>/dev/null && {{ echo served with an HTTP error status; kill $pid; exit 0; }}
  sleep 0.5
done
cat /tmp/server.log; kill $pid; exit 1
"""


def _context(example: Path, tmp_path: Path) -> Path:
    """A copy of the example, its Dockerfile in the portable profile, and things that must
    never reach the image. (The committed buildkit Dockerfiles are checked statically, and the
    uwsgi one is built as it is in test_article.py.)"""
    ctx = tmp_path / example.name
    shutil.copytree(example, ctx)
    assert main(["generate", "--force", "--profile", "portable", str(ctx)]) == 0
    assert "--mount" not in (ctx / "Dockerfile").read_text()
    (ctx / ".env").write_text("SECRET_KEY=must-not-be-copied\n")
    (ctx / ".git").mkdir()
    (ctx / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (ctx / ".venv" / "bin").mkdir(parents=True)
    return ctx


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_builds_and_runs(
    builder: Builder, unique_tag: str, example: Path, tmp_path: Path
) -> None:
    ctx = _context(example, tmp_path)
    result = builder.build(ctx, unique_tag)
    print(f"{example.name}: built in {result.seconds:.0f}s, {result.steps_total} steps")

    config = builder.image_config(unique_tag)
    assert config["User"] == "10001:10001"

    for line in (example / "verify").read_text().splitlines():
        if not line.strip():
            continue
        proc = builder.run(unique_tag, ["sh", "-c", f"cd /app && {line}"])
        assert proc.returncode == 0, f"verify line failed: {line}\n{proc.stdout}\n{proc.stderr}"
        print(proc.stdout.strip())

    probe = PROBE % {"tools": TOOLS}
    proc = builder.run(unique_tag, ["sh", "-c", f"cd /app && python -c {shlex.quote(probe)}"])
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["uid"] == 10001
    assert found["tools"] == [], "compiler or packaging tool in the final image"
    assert found["packaging_modules"] == []
    assert found["copied_secrets"] == [], ".env / VCS / venv folder copied into the image"
    assert found["unresolved"] == [], "\n".join(found["unresolved"])
    assert found["writable_code"] == [], "the app user can rewrite its code"

    cmd, ports = config["Cmd"], config["ExposedPorts"]
    if cmd and ports:
        port = int(next(iter(ports)).split("/")[0])
        script = SERVE.format(cmd=shlex.join(cmd), port=port)
        proc = builder.run(unique_tag, ["sh", "-c", f"cd /app && {script}"], timeout=120)
        assert proc.returncode == 0, f"the server did not answer:\n{proc.stdout}\n{proc.stderr}"
