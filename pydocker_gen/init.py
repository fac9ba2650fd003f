"""Write the user's answers into their configuration, keeping pyproject.toml's layout."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import tomlkit
import tomlkit.items

from pydocker_gen.config import CONFIG_FILE
from pydocker_gen.errors import UserError

HEADER = "pydocker-gen: see docs/configuration.md for every key."


def write_config(root: Path, answers: Mapping[str, object]) -> Path:
    """Add ``answers`` to ``[tool.pydocker-gen]`` (or pydocker-gen.toml); return the file.

    tomlkit round-trips the file: comments, ordering and formatting elsewhere stay as they were.
    """
    standalone = root / CONFIG_FILE
    pyproject = root / "pyproject.toml"
    path = standalone if standalone.is_file() or not pyproject.is_file() else pyproject
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise UserError(path.name, f"is not valid TOML ({exc}).") from None
    if path == pyproject:
        tool = doc.get("tool")
        if tool is None:
            tool = tomlkit.table(is_super_table=True)
            doc.add("tool", tool)
        table = tool.get("pydocker-gen")
        if table is None:
            table = tomlkit.table()
            table.add(tomlkit.comment(HEADER))
            tool.add("pydocker-gen", table)
    else:
        table = doc
        if not text:
            doc.add(tomlkit.comment(HEADER))
    for key, value in answers.items():
        table[key] = value
    new = tomlkit.dumps(doc)
    if new != text:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(path)
    return path
