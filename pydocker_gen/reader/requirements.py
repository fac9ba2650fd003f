"""pip requirements files: ``-r``/``-c`` includes, hashes, markers, indexes, direct references.

The line syntax (options, continuations, comments) is pip's; each requirement itself is parsed
by ``packaging.requirements``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from pydocker_gen import fs
from pydocker_gen.errors import UserError
from pydocker_gen.facts import Index, LockedPackage, Source

_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")


@dataclass
class RequirementsSet:
    """All requirements reachable from one top-level file."""

    files: list[str] = field(default_factory=list)  # every file read, top-level first
    packages: list[LockedPackage] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    editable_project: bool = False  # ``-e .`` installs the project itself
    find_links: list[str] = field(default_factory=list)

    @property
    def hashed(self) -> bool:
        return bool(self.packages) and all(p.hashes for p in self.packages)

    @property
    def pinned(self) -> bool:
        return all(p.version is not None or p.source is not Source.REGISTRY for p in self.packages)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join backslash continuations and drop comments; keep the first physical line number."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = number
        line = raw
        if line.lstrip().startswith("#"):
            line = ""
        elif " #" in line or "\t#" in line:
            line = line[: min(i for i in (line.find(" #"), line.find("\t#")) if i >= 0)]
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip():
            out.append((start, buf.strip()))
        buf = ""
    if buf.strip():
        out.append((start, buf.strip()))
    return out


def check_url_credentials(url: str, where: str, line: int | None = None) -> None:
    """URLs with a password embedded would land in an image layer: refuse them."""
    parts = urlsplit(url)
    if parts.password or (parts.username and not parts.username.startswith("${")):
        raise UserError(
            where,
            f"the index URL {parts.scheme}://***@{parts.hostname}{parts.path} embeds "
            "credentials, which would be stored in the image.",
            field=f"line {line}" if line else None,
            fix="Remove them from the URL; pydocker-gen passes index credentials as a build "
            "secret (see docs/configuration.md, private indexes).",
        )


def read(root: Path, top: str) -> RequirementsSet:
    """Read ``top`` (relative to ``root``) and everything it includes."""
    result = RequirementsSet()
    _read_file(root, top, result)
    return result


def _read_file(root: Path, rel: str, result: RequirementsSet) -> None:
    if rel in result.files:
        return
    path = root / rel
    if not fs.is_file(path):
        including = result.files[-1] if result.files else rel
        raise UserError(including, f"includes {rel!r}, which does not exist.")
    if not fs.resolve(path).is_relative_to(fs.resolve(root)):
        raise UserError(rel, "is outside the project, so it is not in the build context.")
    result.files.append(rel)
    for number, line in _logical_lines(fs.read_text(path)):
        _read_line(root, rel, number, line, result)


def _include_target(rel: str, target: str) -> str:
    return (Path(rel).parent / target).as_posix()


def _read_line(root: Path, rel: str, number: int, line: str, result: RequirementsSet) -> None:
    where = f"line {number}"
    if not line.startswith("-"):
        _add_requirement(rel, where, line, result)
        return
    try:
        words = shlex.split(line, posix=True)
    except ValueError:
        raise UserError(
            rel, "cannot be split into words (unbalanced quotes).", field=where
        ) from None
    head = words[0]
    option, _, inline = head.partition("=")
    value = inline or (words[1] if len(words) > 1 else "")
    if option in ("-r", "--requirement", "-c", "--constraint"):
        target = _include_target(rel, value)
        if option in ("-c", "--constraint"):
            # Constraints restrict versions but install nothing: copy the file, skip its lines.
            if not fs.is_file(root / target):
                raise UserError(
                    rel, f"constrains with {value!r}, which does not exist.", field=where
                )
            if target not in result.files:
                result.files.append(target)
            return
        _read_file(root, target, result)
        return
    if option in ("-i", "--index-url", "--extra-index-url"):
        check_url_credentials(value, rel, number)
        name = "default" if option != "--extra-index-url" else f"extra-{len(result.indexes)}"
        result.indexes.append(Index(name=name, url=value, source=rel))
        return
    if option in ("-f", "--find-links"):
        check_url_credentials(value, rel, number)
        result.find_links.append(value)
        return
    if option in ("-e", "--editable"):
        if value in (".", "./"):
            result.editable_project = True
            return
        raise UserError(
            rel,
            f"installs {value!r} in editable mode, which an image cannot keep up to date.",
            field=where,
            fix="Use a non-editable requirement.",
        )
    # Other global options (--no-binary, --prefer-binary, --trusted-host, ...) pass to pip.


_HASH = re.compile(r"\s--hash[=\s]+(\S+)")
_OPTION = re.compile(r"\s--[a-z-]+(?:[=\s]+\S+)?")


def _add_requirement(rel: str, where: str, line: str, result: RequirementsSet) -> None:
    if line in (".", "./"):
        result.editable_project = True
        return
    # Per-requirement options follow the requirement; quotes in markers must stay intact.
    hashes = _HASH.findall(" " + line)
    text = _OPTION.sub("", _HASH.sub("", " " + line)).strip()
    bare = "@" not in text and "://" not in text  # not `name @ url`, not a URL
    if bare and (
        text.startswith(("./", "../", "/", "~")) or text.endswith((".whl", ".tar.gz", ".zip"))
    ):
        # pip's own form for a local folder or archive; no PEP 508 name to read.
        raise UserError(
            rel,
            f"installs the local source {text!r}: pydocker-gen installs local sources for "
            "uv, Pipenv and Poetry projects only, so far.",
            field=where,
            fix="Use uv with a [tool.uv.sources] path source (examples/uv-local-libs), or "
            "publish the package to an index.",
        )
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise UserError(rel, f"{text!r} is not a valid requirement ({exc}).", field=where) from None
    source = Source.REGISTRY
    version: str | None = None
    files: tuple[str, ...] = ()
    if req.url:
        check_url_credentials(req.url.split("+", 1)[-1], rel)
        source = Source.VCS if req.url.startswith(_VCS_PREFIXES) else Source.URL
        if req.url.startswith("file:"):
            # An absolute path of this machine: the image's build sees only its context.
            raise UserError(
                rel,
                f"installs {req.name} from a local path ({req.url}), which a Docker build "
                "cannot reach.",
                field=where,
                fix="Publish it to an index, or use uv with a [tool.uv.sources] path source "
                "inside the project.",
            )
        files = (req.url.rsplit("/", 1)[-1].split("#")[0],) if source is Source.URL else ()
    else:
        pinned = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
        version = pinned[0].version if len(pinned) == 1 else None
    result.packages.append(
        LockedPackage(
            name=canonicalize_name(req.name),
            version=version,
            marker=str(req.marker) if req.marker else None,
            hashes=tuple(hashes),
            source=source,
            extras=tuple(sorted(req.extras)),
            files=files,
        )
    )
