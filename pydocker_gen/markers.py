"""Environment markers, evaluated for an image's target: the one way every lock's markers are
read (PEP 508 markers of requirements and locks, and PEP 751's lock-file markers, which test
the dependency groups and extras an install selects)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName

# The names a lock-file marker may test besides PEP 508's (PEP 751).
_LOCK_FILE_NAMES = ("dependency_groups", "extras")
# CPython minors an image may be built for (wider than the planner's list: narrowing it can
# only keep more packages), on the machines images run on.
TARGET_PYTHONS = tuple(f"3.{m}" for m in range(8, 16))
TARGET_MACHINES = ("x86_64", "aarch64")


def environment(python: str, machine: str) -> dict[str, str]:
    """CPython ``python`` ("3.12") on Linux ``machine`` ("x86_64", "aarch64")."""
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "implementation_version": f"{python}.0",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": machine,
        "platform_release": "",
        "platform_version": "",
    }


@functools.lru_cache(maxsize=4096)
def _parse(marker: str) -> Marker | None:
    try:
        return Marker(marker)
    except InvalidMarker:
        return None


@functools.lru_cache(maxsize=65536)
def applies(marker: str | None, python: str, machine: str, groups: tuple[str, ...] = ()) -> bool:
    """Whether ``marker`` selects the package on that target, installing ``groups`` (a lock's
    default groups). An unreadable marker keeps the package: installing too much is safer.
    Cached: locks repeat their markers, and the planner asks again per candidate Python."""
    parsed = _parse(marker) if marker else None
    if marker is None or parsed is None:
        return True
    env = environment(python, machine)
    try:
        if any(name in marker for name in _LOCK_FILE_NAMES):
            lock_env: dict[str, str | AbstractSet[str]] = {
                **env,
                "extras": frozenset(),
                "dependency_groups": frozenset(groups),
            }
            return parsed.evaluate(lock_env, context="lock_file")
        return parsed.evaluate({**env, "extra": ""})
    except UndefinedEnvironmentName:
        return True


Target = tuple[str, str]  # (CPython minor, machine)
ALL: frozenset[Target] = frozenset((py, m) for py in TARGET_PYTHONS for m in TARGET_MACHINES)
NEVER = "python_version < '0'"  # a marker no target satisfies


@functools.lru_cache(maxsize=16384)
def targets(marker: str | None) -> frozenset[Target]:
    """The image targets ``marker`` selects. Locks carry markers for other systems (Windows,
    macOS, conflicting extras); as a set of targets, and-ing and or-ing them along every path
    of a lock's graph stays cheap."""
    if not marker:
        return ALL
    return frozenset(t for t in ALL if applies(marker, *t))


def any_targets(markers: Iterable[str]) -> frozenset[Target]:
    out: frozenset[Target] = frozenset()
    for m in markers:
        out |= targets(m)
    return out


def marker_for(selected: frozenset[Target]) -> str | None:
    """A marker selecting exactly these targets (None: every one)."""
    if selected == ALL:
        return None
    if not selected:
        return NEVER
    parts = []
    for machine in TARGET_MACHINES:
        pythons = [py for py in TARGET_PYTHONS if (py, machine) in selected]
        if not pythons:
            continue
        versions = " or ".join(f"python_version == '{py}'" for py in pythons)
        if len(pythons) == len(TARGET_PYTHONS):
            parts.append(f"platform_machine == '{machine}'")
        else:
            parts.append(f"platform_machine == '{machine}' and ({versions})")
    return parts[0] if len(parts) == 1 else " or ".join(f"({p})" for p in parts)
