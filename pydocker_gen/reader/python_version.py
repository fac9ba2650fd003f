"""Python version pins and ranges, from every place a project states them.

Precedence (documented in docs/readers.md): configuration ``python`` > ``.python-version`` >
``runtime.txt`` > Pipfile ``[requires]``; ranges come from ``requires-python``, Poetry's
``python`` constraint and the lock. Two pins that disagree, or a pin outside a range, are errors
naming both places.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from pydocker_gen import fs
from pydocker_gen.errors import UserError
from pydocker_gen.facts import PythonRequirement

_MINOR = re.compile(r"^(?:python-?|cpython-?)?(3)\.(\d+)(?:\.(?:\d+|x|\*))?(?:[a-z]+\d*)?$")


class Pin(NamedTuple):
    minor: str
    source: str


class Range(NamedTuple):
    spec: SpecifierSet
    source: str


def minor_of(text: str, source: str) -> str:
    """``"3.11.9"``, ``"python-3.11"``, ``"3.11"`` -> ``"3.11"``; anything else is an error."""
    match = _MINOR.match(text.strip())
    if not match:
        raise UserError(
            source.split(":")[0],
            f"{text.strip()!r} is not a CPython 3 version.",
            field=source.split(": ", 1)[1] if ": " in source else None,
            fix='Write a version like "3.12".',
        )
    return f"{match.group(1)}.{match.group(2)}"


def pins_from_files(root: Path) -> list[Pin]:
    """Pins in .python-version and runtime.txt, in precedence order."""
    pins = []
    pv = root / ".python-version"
    if fs.is_file(pv):
        lines = [x.strip() for x in fs.read_text(pv).splitlines()]
        first = next((x for x in lines if x and not x.startswith("#")), None)
        if first is not None:
            pins.append(Pin(minor_of(first, ".python-version"), ".python-version"))
    rt = root / "runtime.txt"
    if fs.is_file(rt):
        text = fs.read_text(rt).strip()
        if text:
            pins.append(Pin(minor_of(text, "runtime.txt"), "runtime.txt"))
    return pins


def parse_range(text: str, source: str) -> Range:
    if not isinstance(text, str):
        file, _, fieldname = source.partition(": ")
        raise UserError(
            file, f"must be a version specifier string, not {text!r}.", field=fieldname or None
        )
    try:
        return Range(SpecifierSet(text), source)
    except InvalidSpecifier:
        file, _, fieldname = source.partition(": ")
        raise UserError(
            file, f"{text!r} is not a valid version specifier.", field=fieldname or None
        ) from None


def resolve(pins: Iterable[Pin], ranges: Iterable[Range]) -> PythonRequirement:
    """Check pins against each other and against the ranges; return the winner."""
    pins = list(pins)
    ranges = list(ranges)
    for other in pins[1:]:
        if other.minor != pins[0].minor:
            raise UserError(
                pins[0].source.split(":")[0],
                f"pins Python {pins[0].minor} ({pins[0].source}) but {other.source} pins "
                f"Python {other.minor}.",
                fix="Make them agree, or remove one.",
            )
    pin = pins[0] if pins else None
    if pin is not None:
        for rng in ranges:
            if not admits_minor(rng.spec, pin.minor):
                raise UserError(
                    pin.source.split(":")[0],
                    f"pins Python {pin.minor}, outside {rng.source} {str(rng.spec)!r}.",
                    fix="Change the pin or widen the range.",
                )
    combined = SpecifierSet(",".join(str(r.spec) for r in ranges if str(r.spec)))
    return PythonRequirement(
        pin=pin.minor if pin else None,
        pin_source=pin.source if pin else None,
        range=str(combined) or None,
        range_source=", ".join(r.source for r in ranges) or None,
    )


def admits_minor(spec: SpecifierSet, minor: str) -> bool:
    """Whether some release 3.X.* of CPython ``minor`` satisfies ``spec``.

    A specifier can only change its answer at the patch versions it names, so testing those,
    their neighbours, 0 and a large patch covers every release of the minor.
    """
    patches = {0, 999}
    for s in spec:
        parts = s.version.removesuffix(".*").split(".")
        if ".".join(parts[:2]) == minor and len(parts) > 2 and parts[2].isdigit():
            p = int(parts[2])
            patches |= {max(p - 1, 0), p, p + 1}
    return any(spec.contains(Version(f"{minor}.{p}"), prereleases=True) for p in sorted(patches))
