"""Opt-in look-up of the file names behind a hash-only lock (Pipfile.lock, hashed requirements).

``--online`` asks the index's PEP 691 JSON API which files carry the locked hashes, caches the
answers on disk, and records what it learned in ``pydocker-gen.files.json`` beside the lock.
Readers use that record offline, so ``check`` sees the same result whether or not the network
answers, and the Dockerfile never depends on the network.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from pydocker_gen import fs
from pydocker_gen.errors import UserError
from pydocker_gen.facts import LockedPackage

RECORD = "pydocker-gen.files.json"
INDEX = "https://pypi.org/simple"
ACCEPT = "application/vnd.pypi.simple.v1+json"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pydocker-gen" / "simple"


def _key(pkg: LockedPackage) -> str:
    return f"{pkg.name}=={pkg.version}"


def load_record(root: Path) -> dict[str, list[str]]:
    path = root / RECORD
    if not fs.is_file(path):
        return {}
    try:
        data = json.loads(fs.read_text(path))
    except json.JSONDecodeError as exc:
        raise UserError(
            RECORD,
            f"is not valid JSON ({exc.msg}).",
            fix="Delete it and run `pydocker-gen generate --online`.",
        ) from None
    return {str(k): [str(f) for f in v] for k, v in data.get("files", {}).items()}


def apply_record(root: Path, packages: Iterable[LockedPackage]) -> list[LockedPackage]:
    """Give hash-only packages the file names an earlier look-up recorded."""
    record = load_record(root)
    return [
        replace(p, files=tuple(record[_key(p)])) if not p.files and _key(p) in record else p
        for p in packages
    ]


def _fetch(name: str, index: str, timeout: float) -> dict[str, object]:
    import urllib.request  # only with --online: keeps plain runs from loading http and ssl

    cached = cache_dir() / f"{name}.json"
    if fs.is_file(cached):
        return json.loads(fs.read_text(cached))  # type: ignore[no-any-return]
    request = urllib.request.Request(f"{index}/{name}/", headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = json.loads(response.read().decode())
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(data), encoding="utf-8")
    return data  # type: ignore[no-any-return]


def look_up(
    root: Path, packages: Iterable[LockedPackage], index: str = INDEX, timeout: float = 15.0
) -> tuple[int, list[str]]:
    """Record the file names of every hash-only package; return (learned, problems)."""
    record = load_record(root)
    problems: list[str] = []
    learned = 0
    for pkg in packages:
        if pkg.files or not pkg.hashes or pkg.version is None or _key(pkg) in record:
            continue
        try:
            data = _fetch(pkg.name, index, timeout)
        except (TimeoutError, OSError, ValueError) as exc:  # URLError is an OSError
            problems.append(f"{pkg.name}: {exc}")
            continue
        wanted = {h.split(":", 1)[-1] for h in pkg.hashes}
        files = sorted(
            str(f["filename"])
            for f in data.get("files", [])  # type: ignore[attr-defined]
            if isinstance(f, dict) and f.get("hashes", {}).get("sha256") in wanted
        )
        if files:
            record[_key(pkg)] = files
            learned += 1
    if learned:
        text = json.dumps({"index": index, "files": dict(sorted(record.items()))}, indent=1)
        tmp = root / f".{RECORD}.tmp"
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(root / RECORD)
    return learned, problems
