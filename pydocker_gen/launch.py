"""The console script: a repeated `plan` is answered from its memo (memo.py) before anything
heavy is imported; everything else, and every miss, goes to ``cli.main``."""

from __future__ import annotations

import sys

from pydocker_gen import memo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if memo.eligible(args):
        hit = memo.lookup(args)
        if hit is not None:
            stdout, stderr, code = hit
            sys.stdout.write(stdout)
            sys.stderr.write(stderr)
            return code
    from pydocker_gen import cli

    return cli.main(args, memoize=True)
