"""PEP 751 ``pylock.toml`` (or ``pylock.<name>.toml``), read with ``packaging.pylock``.

``pip lock`` resolves for the interpreter it runs on and lists only the wheel that interpreter
installs, without sdists: the Pythons that can install such a lock follow from its wheel tags,
and become a pin (one minor) or a range, so that a conflicting pin is an error here rather
than a "compile" of a package that has no source to compile.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError
from packaging.specifiers import SpecifierSet

from pydocker_gen.config import read_toml
from pydocker_gen.errors import UserError
from pydocker_gen.facts import LockedPackage, Source
from pydocker_gen.markers import TARGET_PYTHONS
from pydocker_gen.reader.common import ManagerRead, all_hashed
from pydocker_gen.reader.python_version import Pin, Range, parse_range

LOCK = "pylock.toml"


def wheel_pythons(wheels: Iterable[str]) -> frozenset[str]:
    """The CPython minors (of TARGET_PYTHONS) on which one of these wheels installs."""
    from packaging.tags import compatible_tags, cpython_tags
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    out: set[str] = set()
    for name in wheels:
        try:
            tags = parse_wheel_filename(name)[3]
        except InvalidWheelFilename:
            continue
        platforms = sorted({t.platform for t in tags})  # the wheel's own: only Python varies
        for minor in TARGET_PYTHONS:
            version = (3, int(minor.split(".")[1]))
            interpreter = f"cp3{version[1]}"
            accepted = {*cpython_tags(version, platforms=platforms)}
            accepted |= {*compatible_tags(version, interpreter, platforms=platforms)}
            if tags & accepted:
                out.add(minor)
    return frozenset(out)


def _tags(wheel: str) -> str:
    return wheel.removesuffix(".whl").split("-", 2)[-1]


def wheel_only_python(
    packages: list[LockedPackage], lock_name: str
) -> tuple[list[Pin], list[Range]]:
    """A pin (or a range) from the packages that have wheels and no sdist: no other Python
    can install them."""
    limits = []
    for pkg in packages:
        wheels = [f for f in pkg.files if f.endswith(".whl")]
        if pkg.source is not Source.REGISTRY or not wheels or len(wheels) < len(pkg.files):
            continue
        pythons = wheel_pythons(wheels)
        if pythons != frozenset(TARGET_PYTHONS):
            limits.append((pkg, wheels, pythons))
    if not limits:
        return [], []
    common = frozenset.intersection(*(p for _, _, p in limits))
    named = [f"{pkg.name} ({', '.join(_tags(w) for w in wheels)})" for pkg, wheels, _ in limits]
    why = f"{lock_name}: wheels of {'; '.join(named[:3])}{' …' if len(named) > 3 else ''}, no sdist"
    if not common:
        raise UserError(
            lock_name,
            f"lists packages that no single CPython can install: {'; '.join(named)}, none with "
            "an sdist.",
            fix="Regenerate the lock on the Python the image runs (e.g. `pip lock` there).",
        )
    if len(common) == 1:
        return [Pin(next(iter(common)), why)], []
    ordered = sorted(common, key=lambda m: int(m.split(".")[1]))
    upper = f"3.{int(ordered[-1].split('.')[1]) + 1}"
    return [], [Range(SpecifierSet(f">={ordered[0]},<{upper}"), why)]


def read(root: Path, lock_name: str = LOCK) -> ManagerRead:
    data = read_toml(root / lock_name, root)
    try:
        lock = Pylock.from_dict(data)
    except PylockUnsupportedVersionError as exc:
        raise UserError(
            lock_name, f"uses an unsupported lock-version ({exc}).", field="lock-version"
        ) from None
    except PylockValidationError as exc:
        # packaging names the key path, as reader.shape does for the other locks.
        raise UserError(
            lock_name,
            f"is not a valid PEP 751 lock: {exc.message.rstrip('.')}.",
            field=exc.context,
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
                marker_groups=tuple(lock.default_groups or ()),
                hashes=tuple(hashes),
                files=tuple(f for f in files if f),
                source=kind,
                path=str(local) if local else None,
            )
        )
    ranges = []
    if lock.requires_python is not None:
        ranges.append(parse_range(str(lock.requires_python), f"{lock_name}: requires-python"))
    pins, wheel_ranges = wheel_only_python(packages, lock_name)
    return ManagerRead(
        manifest=lock_name,
        lockfile=lock_name,
        lock_inputs=[lock_name],
        packages=packages,
        hashed=all_hashed(packages),
        pinned=True,
        pins=pins,
        ranges=ranges + wheel_ranges,
    )
