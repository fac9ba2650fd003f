"""Environment markers, evaluated for an image's target: the one way every lock's markers are
read (PEP 508 markers of requirements and locks, and PEP 751's lock-file markers, which test
the dependency groups and extras an install selects)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName

# The names a lock-file marker may test besides PEP 508's (PEP 751).
_LOCK_FILE_NAMES = ("dependency_groups", "extras")


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


def applies(marker: str | None, python: str, machine: str, groups: tuple[str, ...] = ()) -> bool:
    """Whether ``marker`` selects the package on that target, installing ``groups`` (a lock's
    default groups). An unreadable marker keeps the package: installing too much is safer."""
    if not marker:
        return True
    try:
        parsed = Marker(marker)
        env = environment(python, machine)
        if any(name in marker for name in _LOCK_FILE_NAMES):
            lock_env: dict[str, str | AbstractSet[str]] = {
                **env,
                "extras": frozenset(),
                "dependency_groups": frozenset(groups),
            }
            return parsed.evaluate(lock_env, context="lock_file")
        return parsed.evaluate({**env, "extra": ""})
    except (InvalidMarker, UndefinedEnvironmentName):
        return True
