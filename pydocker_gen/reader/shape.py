"""Typed reading of parsed TOML and JSON documents (locks and manifests).

A value of the wrong type or a missing required key raises ``ShapeError``: one user error that
names the file and the key path (``package[3].files[0].hash``), as ``packaging.pylock`` does.
Readers read documents only through ``Node``; any other exception a reader raises is a bug in
pydocker-gen and is reported as one (exit 3, a traceback with ``--debug``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from pydocker_gen.errors import UserError

T = TypeVar("T")
_MISSING: Any = object()
_KINDS = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    dict: "a table",
    list: "an array",
}


class ShapeError(UserError):
    """A document of the right syntax that is not the shape its tool writes."""

    def __init__(self, file: str, path: str, message: str, fix: str | None) -> None:
        super().__init__(file, message, field=path or None, fix=fix)


class Node:
    """A value inside a document, with where it is."""

    __slots__ = ("file", "fix", "path", "value")

    def __init__(self, value: Any, file: str, path: str = "", fix: str | None = None) -> None:
        self.value = value
        self.file = file
        self.path = path
        self.fix = fix

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def error(self, message: str, key: str | int | None = None) -> ShapeError:
        path = self.path if key is None else self._child_path(key)
        return ShapeError(self.file, path, message, self.fix)

    def _get(self, key: str, default: Any) -> Any:
        table = self.as_table()
        if key in table:
            return table[key]
        if default is _MISSING:
            raise self.error("is missing.", key)
        return default

    def _typed(self, key: str, kind: type[T], value: Any) -> T:
        # bool is an int in Python; a TOML true is never a valid integer here.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(f"must be {_KINDS.get(kind, kind.__name__)}, not {_show(value)}.", key)
        return value

    # -- this node -------------------------------------------------------------------------
    def as_table(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.error(f"must be a table, not {_show(self.value)}.")
        return self.value

    def as_str(self) -> str:
        if not isinstance(self.value, str):
            raise self.error(f"must be a string, not {_show(self.value)}.")
        return self.value

    def as_nodes(self) -> list[Node]:
        """This array's items as Nodes (of any type)."""
        if not isinstance(self.value, list):
            raise self.error(f"must be an array, not {_show(self.value)}.")
        return [Node(v, self.file, f"{self.path}[{i}]", self.fix) for i, v in enumerate(self.value)]

    def as_parsed(self, parse: Callable[[str], T], what: str) -> T:
        """This string parsed by a packaging class (``Requirement``, ``Marker``,
        ``SpecifierSet``, ``Version``): the ValueError it raises is about the text."""
        text = self.as_str()
        try:
            return parse(text)
        except ValueError as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise self.error(f"{_show(text)} is not a valid {what} ({detail}).") from None

    def has(self, key: str) -> bool:
        return key in self.as_table()

    # -- children --------------------------------------------------------------------------
    def node(self, key: str, default: Any = _MISSING) -> Node:
        """The child as a Node, of any type (``default`` when absent)."""
        return Node(self._get(key, default), self.file, self._child_path(key), self.fix)

    def table(self, key: str, *, required: bool = False) -> Node:
        """A sub-table; an absent one reads as empty unless required."""
        value = self._get(key, _MISSING if required else {})
        return Node(self._typed(key, dict, value), self.file, self._child_path(key), self.fix)

    def text(self, key: str) -> str:
        """A required string."""
        return self._typed(key, str, self._get(key, _MISSING))

    def opt_text(self, key: str) -> str | None:
        """A string, or None when absent."""
        value = self._get(key, None)
        return None if value is None else self._typed(key, str, value)

    def text_or(self, key: str, default: str) -> str:
        return self._typed(key, str, self._get(key, default))

    def flag(self, key: str, default: bool) -> bool:
        return self._typed(key, bool, self._get(key, default))

    def opt_flag(self, key: str) -> bool | None:
        """true or false, or None when absent."""
        value = self._get(key, None)
        return None if value is None else self._typed(key, bool, value)

    def int_or(self, key: str, default: int) -> int:
        return self._typed(key, int, self._get(key, default))

    def texts(self, key: str) -> list[str]:
        """An array of strings; absent reads as empty."""
        items = self._typed(key, list, self._get(key, []))
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.error(f"must be a string, not {_show(item)}.", f"{key}[{i}]")
        return items

    def nodes(self, key: str) -> list[Node]:
        """An array's items as Nodes (of any type); absent reads as empty."""
        self._typed(key, list, self._get(key, []))
        return self.node(key, []).as_nodes()

    def tables(self, key: str) -> list[Node]:
        """An array of tables; absent reads as empty."""
        out = self.nodes(key)
        for item in out:
            item.as_table()
        return out

    def items(self) -> Iterator[tuple[str, Node]]:
        """A table's entries, each as a Node."""
        for key, value in self.as_table().items():
            yield key, Node(value, self.file, self._child_path(key), self.fix)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
