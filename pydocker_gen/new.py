"""``pydocker-gen new``: start a project from the shipped cookiecutter template."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydocker_gen.errors import UserError
from pydocker_gen.render import templates_dir


def create(output_dir: Path, context: Mapping[str, str], *, no_input: bool) -> Path:
    """Render the template into ``output_dir``; return the new project's folder."""
    try:
        from cookiecutter.exceptions import CookiecutterException
        from cookiecutter.main import cookiecutter
    except ImportError:
        raise UserError(
            "pydocker-gen new",
            "needs cookiecutter, which is not installed.",
            fix="Install it with `pip install 'pydocker-gen[new]'`.",
        ) from None
    try:
        path = cookiecutter(
            str(templates_dir() / "cookiecutter"),
            output_dir=str(output_dir),
            no_input=no_input,
            extra_context=dict(context),
        )
    except CookiecutterException as exc:
        raise UserError("pydocker-gen new", f"the template failed ({exc}).") from None
    return Path(path)
