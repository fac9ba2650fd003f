"""Errors a user can fix. The CLI prints them as one paragraph and exits 2."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """Where a problem is (file and field or line), what it is, and how to fix it."""

    file: str
    message: str
    field: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = self.file if self.field is None else f"{self.file}: {self.field}"
        text = f"{where}: {self.message}"
        if self.fix:
            text += f" {self.fix}"
        return text


class UserError(Exception):
    """A problem in the user's project or command line; never shown with a traceback."""

    def __init__(
        self, file: str, message: str, *, field: str | None = None, fix: str | None = None
    ) -> None:
        self.problem = Problem(file=file, message=message, field=field, fix=fix)
        super().__init__(str(self.problem))
