#!/bin/sh
# Regenerate poetry.lock for a Poetry 2 example on a machine whose package index
# answers 404 on the per-version JSON API that Poetry's default PyPI source uses.
#
# Usage: POETRY=/path/to/poetry sh examples/poetry-lock.sh examples/<name>
#
# 1. add a temporary primary source pointing at the simple API (https://pypi.org/simple/),
# 2. `poetry lock`,
# 3. remove that source again, drop the [package.source] tables it added to poetry.lock,
# 4. recompute content-hash with Poetry's own Locker so `poetry check --lock` passes.
# The resulting lock is exactly what `poetry lock` writes against the default PyPI source.
set -eu
POETRY=${POETRY:-poetry}
cd "$1"
cp pyproject.toml pyproject.toml.orig
trap 'mv -f pyproject.toml.orig pyproject.toml' EXIT
"$POETRY" source add --priority=primary pypi-simple https://pypi.org/simple/
"$POETRY" lock
mv -f pyproject.toml.orig pyproject.toml
trap - EXIT
# Python of Poetry's own environment (it has tomlkit and poetry importable).
PY=$(dirname "$(command -v "$POETRY")")/python
"$PY" - <<'PYEOF'
from pathlib import Path

import tomlkit
from poetry.factory import Factory

lock_path = Path("poetry.lock")
doc = tomlkit.parse(lock_path.read_text())
for pkg in doc["package"]:
    if "source" in pkg:
        del pkg["source"]
doc["metadata"]["content-hash"] = (
    Factory().create_poetry(Path.cwd()).locker._get_content_hash()
)
lock_path.write_text(tomlkit.dumps(doc))
PYEOF
"$POETRY" check --lock
