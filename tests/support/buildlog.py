"""The steps a build log reports: instruction, stage, reused from the cache or run.

buildah prints "[1/2] STEP 5/9: RUN ..." (no "[n/m] " for one stage), then "--> Using cache
<id>" when the step is reused, and "--> <id>" once its layer is committed. BuildKit (plain
progress) prints "#7 [builder 3/5] RUN ...", then "#7 CACHED" when reused; it shows only
filesystem steps (no ENV/USER/CMD), so its totals are smaller than buildah's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

BUILDAH_STEP: Final = re.compile(r"^(?:\[(\d+)/\d+\] )?STEP \d+/\d+: (\w+)(.*)$")
KIT_STEP: Final = re.compile(r"^#(\d+) \[(?:([^\]\s]+) )?\d+/\d+\] (\w+)(.*)$")


@dataclass(frozen=True)
class Step:
    stage: str  # buildah: "1", "2", ...; BuildKit: the stage name ("" for an unnamed one)
    instruction: str  # "RUN uv sync --locked", FROM included
    cached: bool
    seconds: float | None = None  # buildah with per-line times only: STEP line to "--> "

    @property
    def verb(self) -> str:
        return self.instruction.split(" ", 1)[0]


def steps(log: str, stamps: Sequence[float] | None = None) -> list[Step]:
    """Every step of log, in order; stamps (seconds since start, one per line) time them."""
    lines = log.splitlines()
    if any(BUILDAH_STEP.match(line) for line in lines):
        return _buildah(lines, stamps)
    return _buildkit(log)


def _buildah(lines: list[str], stamps: Sequence[float] | None) -> list[Step]:
    out: list[Step] = []
    current: Step | None = None  # the open step; its seconds field holds its start time

    def at(i: int) -> float | None:
        return stamps[i] if stamps is not None and i < len(stamps) else None

    def close(end: float | None) -> None:
        assert current is not None
        start = current.seconds
        took = None if end is None or start is None else round(end - start, 1)
        out.append(Step(current.stage, current.instruction, current.cached, took))

    for i, line in enumerate(lines):
        m = BUILDAH_STEP.match(line)
        if m:
            if current is not None:
                close(at(i))
            instruction = f"{m.group(2).upper()}{m.group(3)}".strip()
            current = Step(m.group(1) or "1", instruction, False, at(i))
        elif current is not None and line.startswith("--> Using cache"):
            current = Step(current.stage, current.instruction, True, current.seconds)
        elif current is not None and line.startswith("--> "):
            close(at(i))  # the step's layer is committed
            current = None
    if current is not None:
        close(stamps[-1] if stamps else None)
    return out


def _buildkit(log: str) -> list[Step]:
    cached = set(re.findall(r"^#(\d+) CACHED\s*$", log, flags=re.MULTILINE))
    seen: dict[str, Step] = {}  # plain progress may repeat a vertex header: ids dedupe it
    for line in log.splitlines():
        m = KIT_STEP.match(line)
        if m and m.group(1) not in seen:
            vid, stage, verb, rest = m.groups()
            seen[vid] = Step(stage or "", f"{verb.upper()}{rest}".strip(), vid in cached)
    return list(seen.values())
