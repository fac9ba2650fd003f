"""PEP 751 ``pylock.toml`` (or ``pylock.<name>.toml``), read with ``packaging.pylock``."""

from __future__ import annotations

from pathlib import Path

from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

from pydocker_gen.config import read_toml
from pydocker_gen.errors import UserError
from pydocker_gen.facts import LockedPackage, Source
from pydocker_gen.reader.common import ManagerRead, all_hashed
from pydocker_gen.reader.python_version import parse_range

LOCK = "pylock.toml"


def read(root: Path, lock_name: str = LOCK) -> ManagerRead:
    data = read_toml(root / lock_name, root)
    try:
        lock = Pylock.from_dict(data)
    except PylockUnsupportedVersionError as exc:
        raise UserError(
            lock_name, f"uses an unsupported lock-version ({exc}).", field="lock-version"
        ) from None
    except PylockValidationError as exc:
        raise UserError(
            lock_name,
            f"is not a valid PEP 751 lock ({exc}).",
            fix="Regenerate it with the tool that wrote it.",
        ) from None
    packages = []
    for p in lock.packages:
        files = [w.name or (w.url or w.path or "").rsplit("/", 1)[-1] for w in p.wheels or ()]
        hashes = [h for w in p.wheels or () for h in (f"{a}:{v}" for a, v in w.hashes.items())]
        if p.sdist is not None:
            files.append(p.sdist.name or (p.sdist.url or p.sdist.path or "").rsplit("/", 1)[-1])
            hashes += [f"{a}:{v}" for a, v in p.sdist.hashes.items()]
        local = p.directory.path if p.directory else p.archive.path if p.archive else None
        kind = (
            Source.VCS
            if p.vcs
            else Source.PATH
            if local
            else (Source.URL if p.archive else Source.REGISTRY)
        )
        packages.append(
            LockedPackage(
                name=str(p.name),
                version=str(p.version) if p.version else None,
                marker=str(p.marker) if p.marker else None,
                hashes=tuple(hashes),
                files=tuple(f for f in files if f),
                source=kind,
                path=str(local) if local else None,
            )
        )
    ranges = []
    if lock.requires_python is not None:
        ranges.append(parse_range(str(lock.requires_python), f"{lock_name}: requires-python"))
    return ManagerRead(
        manifest=lock_name,
        lockfile=lock_name,
        lock_inputs=[lock_name],
        packages=packages,
        hashed=all_hashed(packages),
        pinned=True,
        ranges=ranges,
    )
