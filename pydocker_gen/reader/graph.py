"""Which locked packages the main dependencies reach, and under which environment markers.

Locks that do not tag packages with groups (uv.lock, poetry.lock 2.0) are walked from the
project's main dependencies; each package's marker is the ``or`` of the paths that reach it
(``None`` when some path has no marker: it is always installed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from pydocker_gen import markers


class Edge(NamedTuple):
    name: str  # normalized
    marker: str | None = None
    extras: tuple[str, ...] = ()


def reach(
    roots: Iterable[Edge],
    edges_of: Mapping[str, Iterable[Edge]],
    extra_edges_of: Mapping[tuple[str, str], Iterable[Edge]] | None = None,
) -> dict[str, str | None]:
    """Map each reachable package to the marker under which it is installed.

    Paths are followed as sets of image targets (markers.targets), so a lock's markers for
    other systems drop out and the walk stays linear in the lock's size."""
    active: dict[tuple[str, tuple[str, ...]], frozenset[markers.Target]] = {}
    stack = [(e, markers.targets(e.marker)) for e in roots]
    while stack:
        edge, selected = stack.pop()
        key = (edge.name, edge.extras)
        new = selected - active.get(key, frozenset())
        if not new:
            continue
        active[key] = active.get(key, frozenset()) | new
        nexts = list(edges_of.get(edge.name, ()))
        for extra in edge.extras:
            nexts += list((extra_edges_of or {}).get((edge.name, extra), ()))
        for child in nexts:
            stack.append((child, new & markers.targets(child.marker)))
    by_name: dict[str, frozenset[markers.Target]] = {}
    for (name, _), selected in active.items():
        by_name[name] = by_name.get(name, frozenset()) | selected
    return {name: markers.marker_for(s) for name, s in by_name.items() if s}
