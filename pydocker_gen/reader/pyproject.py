"""pyproject.toml: PEP 621 ``[project]``, ``[tool.*]`` tables, and setup.cfg's static metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from pydocker_gen import fs
from pydocker_gen.config import check_pyproject_shape, read_toml
from pydocker_gen.errors import UserError
from pydocker_gen.facts import LockedPackage
from pydocker_gen.reader.common import ManagerRead
from pydocker_gen.reader.python_version import Range, parse_range
from pydocker_gen.reader.shape import Node


@dataclass
class PyProject:
    """pyproject.toml as read (empty when absent), with setup.cfg as a fallback.

    ``data`` is the raw document, for the content hashes that must see it as written (Poetry,
    PDM); every other read goes through ``doc``.
    """

    data: dict[str, Any] = field(default_factory=dict)
    exists: bool = False
    requires_python: Range | None = None
    scripts: dict[str, str] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    source: str = "pyproject.toml"

    @property
    def doc(self) -> Node:
        """The document, read through typed accessors that name a wrong key's path."""
        return Node(self.data, self.source)

    @property
    def has_project(self) -> bool:
        return self.doc.has("project")

    @property
    def has_build_system(self) -> bool:
        return self.doc.has("build-system")

    def has_tool(self, name: str) -> bool:
        return self.doc.table("tool").has(name)


def load(root: Path) -> PyProject:
    path = root / "pyproject.toml"
    if not fs.is_file(path):
        return _setup_cfg(root)
    data = read_toml(path, root)
    check_pyproject_shape(data)
    project = Node(data, "pyproject.toml").table("project")
    rp = project.opt_text("requires-python")
    return PyProject(
        data=data,
        exists=True,
        requires_python=None
        if rp is None
        else parse_range(rp, "pyproject.toml: project.requires-python"),
        scripts={name: target.as_str() for name, target in project.table("scripts").items()},
        dependencies=list(project.texts("dependencies")),
    )


def _setup_cfg(root: Path) -> PyProject:
    path = root / "setup.cfg"
    if not fs.is_file(path):
        return PyProject()
    import configparser  # setup.cfg projects only

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(fs.read_text(path), source=str(path))
    except configparser.Error as exc:
        raise UserError("setup.cfg", f"cannot be parsed ({exc.message}).") from None
    options = parser["options"] if parser.has_section("options") else {}
    rp = options.get("python_requires")
    deps = [d.strip() for d in options.get("install_requires", "").splitlines() if d.strip()]
    scripts: dict[str, str] = {}
    if parser.has_section("options.entry_points"):
        for line in parser["options.entry_points"].get("console_scripts", "").splitlines():
            name, sep, target = line.partition("=")
            if sep:
                scripts[name.strip()] = target.strip()
    return PyProject(
        data={},
        exists=False,
        requires_python=parse_range(rp, "setup.cfg: options.python_requires") if rp else None,
        scripts=scripts,
        dependencies=deps,
        source="setup.cfg",
    )


def requirement_packages(deps: list[str], where: str) -> list[LockedPackage]:
    out = []
    for text in deps:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            file, _, fieldname = where.partition(": ")
            raise UserError(
                file, f"{text!r} is not a valid requirement ({exc}).", field=fieldname
            ) from None
        pins = [s.version for s in req.specifier if s.operator == "=="]
        out.append(
            LockedPackage(
                name=canonicalize_name(req.name),
                version=pins[0] if len(pins) == 1 else None,
                marker=str(req.marker) if req.marker else None,
                extras=tuple(sorted(req.extras)),
            )
        )
    return out


def read_as_pip(root: Path, pyproj: PyProject) -> ManagerRead:
    """A package with no lock at all: pip installs the project and resolves at build time."""
    where = f"{pyproj.source}: " + (
        "project.dependencies" if pyproj.source == "pyproject.toml" else "options.install_requires"
    )
    manifest = pyproj.source if fs.is_file(root / pyproj.source) else "setup.py"
    inputs = [f for f in ("pyproject.toml", "setup.cfg", "setup.py") if fs.is_file(root / f)]
    return ManagerRead(
        manifest=manifest,
        lockfile=None,
        lock_inputs=inputs,
        packages=requirement_packages(pyproj.dependencies, where),
        hashed=False,
        pinned=False,
        install_project=True,
        warnings=[
            f"{manifest} declares dependencies but nothing locks them: versions are resolved "
            "at build time. Lock them (uv lock, pip-compile --generate-hashes) for "
            "reproducible images."
        ],
    )
