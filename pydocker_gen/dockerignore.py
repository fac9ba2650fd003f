"""The .dockerignore rules as the builder applies them, to keep every copied file in."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    """Docker's matching: Go's filepath.Match per segment, ``**`` for any number of them."""
    pattern = pattern.strip().lstrip("/").removeprefix("./").rstrip("/")
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i)
            if end == -1:
                out.append(re.escape(c))
            else:
                out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    # A pattern that names a folder excludes everything below it.
    return re.compile("^" + "".join(out) + "(?:/.*)?$")


def excluded(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` (context-relative) is left out; later lines win, ``!`` re-includes."""
    result = False
    for raw in patterns:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if _regex(line.removeprefix("!")).match(path.removeprefix("./")):
            result = not negate
    return result
