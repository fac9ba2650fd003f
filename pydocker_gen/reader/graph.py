"""Which locked packages the main dependencies reach, and under which environment markers.

Locks that do not tag packages with groups (uv.lock, poetry.lock 2.0) are walked from the
project's main dependencies; each package's marker is the ``or`` of the paths that reach it
(``None`` when some path has no marker: it is always installed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple


class Edge(NamedTuple):
    name: str  # normalized
    marker: str | None = None
    extras: tuple[str, ...] = ()


def _and(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return f"({a}) and ({b})"


def reach(
    roots: Iterable[Edge],
    edges_of: Mapping[str, Iterable[Edge]],
    extra_edges_of: Mapping[tuple[str, str], Iterable[Edge]] | None = None,
) -> dict[str, str | None]:
    """Map each reachable package to the marker under which it is installed."""
    markers: dict[str, set[str | None]] = {}
    stack = [(e, e.marker) for e in roots]
    while stack:
        edge, marker = stack.pop()
        seen = markers.setdefault(edge.name, set())
        if marker in seen or None in seen:
            continue
        seen.add(marker)
        nexts = list(edges_of.get(edge.name, ()))
        for extra in edge.extras:
            nexts += list((extra_edges_of or {}).get((edge.name, extra), ()))
        for child in nexts:
            stack.append((child, _and(marker, child.marker)))
    out: dict[str, str | None] = {}
    for name, ms in markers.items():
        if None in ms:
            out[name] = None
        else:
            out[name] = " or ".join(f"({m})" for m in sorted(m for m in ms if m is not None))
    return out
