"""How the application starts: read (never run) Procfiles, Django settings and app modules.

Order: Procfile ``web:`` > Django (``manage.py``) > an application object found with ``ast`` >
the project's console script > a package ``__main__``. The server comes from the
dependencies. A migration is never part of the command.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from pydocker_gen import fs
from pydocker_gen.facts import AppCommand

DEFAULT_PORT = 8000


class Server(NamedTuple):
    """One way to serve an application object: the distributions that must all be locked, and
    the command. ``{target}`` is ``module:attr``, ``{call}`` the same with ``()`` for a factory,
    ``{attr}``/``{path}`` its parts, ``{port}`` and ``{bind}`` (0.0.0.0:port) where it listens.
    A factory's flags go right after the program name (waitress reads options first)."""

    name: str
    interface: str  # "asgi" or "wsgi"
    needs: frozenset[str]
    argv: tuple[str, ...]
    factory: tuple[str, ...] | None  # added for a create_app() factory; None: cannot serve one
    unless: frozenset[str] = frozenset()  # a row further down serves better when these are locked


# Preference order within an interface: the first row whose distributions are locked wins.
SERVERS: tuple[Server, ...] = (
    Server(
        "uvicorn",
        "asgi",
        frozenset({"uvicorn"}),
        ("uvicorn", "{target}", "--host", "0.0.0.0", "--port", "{port}"),
        factory=("--factory",),
        unless=frozenset({"gunicorn"}),  # gunicorn supervises uvicorn workers
    ),
    Server(
        "gunicorn",
        "asgi",
        frozenset({"gunicorn", "uvicorn"}),
        (
            "gunicorn",
            "--bind",
            "{bind}",
            "--worker-class",
            "uvicorn.workers.UvicornWorker",
            "{call}",
        ),
        factory=(),
    ),
    Server(
        "hypercorn",
        "asgi",
        frozenset({"hypercorn"}),
        ("hypercorn", "--bind", "{bind}", "{call}"),
        factory=(),
    ),
    Server(
        "granian",
        "asgi",
        frozenset({"granian"}),
        ("granian", "--interface", "asgi", "--host", "0.0.0.0", "--port", "{port}", "{target}"),
        factory=("--factory",),
    ),
    Server(
        "daphne",
        "asgi",
        frozenset({"daphne"}),
        ("daphne", "--bind", "0.0.0.0", "--port", "{port}", "{target}"),
        factory=None,
    ),
    Server(
        "gunicorn", "wsgi", frozenset({"gunicorn"}), ("gunicorn", "--bind", "{bind}", "{call}"), ()
    ),
    # --die-on-term: uWSGI 2.0 reloads on SIGTERM, which `docker stop` sends.
    *(
        Server(
            "uwsgi",
            "wsgi",
            frozenset({dist}),
            (
                "uwsgi",
                "--http-socket",
                ":{port}",
                "--master",
                "--die-on-term",
                "--wsgi-file",
                "{path}",
                "--callable",
                "{attr}",
            ),
            factory=None,
        )
        for dist in ("uwsgi", "pyuwsgi")
    ),
    Server(
        "granian",
        "wsgi",
        frozenset({"granian"}),
        ("granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "{port}", "{target}"),
        factory=("--factory",),
    ),
    Server(
        "waitress",
        "wsgi",
        frozenset({"waitress"}),
        ("waitress-serve", "--listen={bind}", "{target}"),
        factory=("--call",),
    ),
    Server(
        "hypercorn",
        "wsgi",
        frozenset({"hypercorn"}),
        ("hypercorn", "--bind", "{bind}", "{call}"),
        factory=(),
    ),
)
SERVER_COMMANDS = frozenset(s.argv[0] for s in SERVERS)


def servers_for(interface: str) -> tuple[str, ...]:
    """The servers that could serve an application of this interface, in preference order."""
    return tuple(dict.fromkeys(s.name for s in SERVERS if s.interface == interface))


def best_server(interface: str, deps: Collection[str], factory: bool) -> Server | None:
    for server in SERVERS:
        if (
            server.interface == interface
            and server.needs <= set(deps)
            and not (server.unless & set(deps))
            and not (factory and server.factory is None)
        ):
            return server
    return None


ASGI_CLASSES = {
    "FastAPI": "fastapi",
    "Starlette": "starlette",
    "Quart": "quart",
    "Litestar": "litestar",
}
WSGI_CLASSES = {"Flask": "flask", "Bottle": "bottle", "Falcon": "falcon", "App": "falcon"}
_CANDIDATE_FILES = ("main.py", "app.py", "wsgi.py", "asgi.py", "application.py", "server.py")
_PORT_HINT = re.compile(
    r"(?:--bind[= ]|-b |--http[= ]|--http-socket[= ]|--port[= ]|-p )\S*?:?(\d{2,5})\b"
)
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "tests", "test", "docs", "build", "dist"}


class AppObject(NamedTuple):
    module: str  # dotted, importable from the working directory (or src/)
    attr: str  # "app", "application", "create_app()"
    interface: str  # "asgi" or "wsgi"
    path: str  # file, relative to the root
    framework: str


def detect(root: Path, dependencies: Collection[str], scripts: Mapping[str, str]) -> AppCommand:
    deps = set(dependencies)
    procfile = _procfile(root)
    if procfile is not None:
        return procfile
    django = _django(root, deps)
    if django is not None:
        return django
    obj = find_app_object(root)
    if obj is not None:
        served = serve(obj, deps, DEFAULT_PORT)
        if served is not None:
            return _with_src(served, obj.path)
    if len(scripts) == 1:
        name = next(iter(scripts))
        return AppCommand(cmd=(name,), reason=f"the project's only console script, {name!r}")
    main = _package_main(root)
    if main is not None:
        found = AppCommand(cmd=("python", "-m", main), reason=f"{main}/__main__.py exists")
        return _with_src(found, "src/" if fs.is_dir(root / "src" / main) else "")
    script = _main_script(root)
    if script is not None:
        return AppCommand(cmd=("python", script), reason=f"{script} runs as a script (__main__)")
    if obj is not None:
        return AppCommand(
            reason=f"{obj.path} defines {_article(obj.framework)} application, but no server "
            f"({', '.join(servers_for(obj.interface))}) is a dependency"
        )
    return AppCommand()


def _with_src(app: AppCommand, path: str) -> AppCommand:
    # A module under src/ imports from there: the project's own folder, not the working one.
    return replace(app, pythonpath=("src",)) if path.startswith("src/") else app


def _procfile(root: Path) -> AppCommand | None:
    path = root / "Procfile"
    if not fs.is_file(path):
        return None
    for line in fs.read_text(path).splitlines():
        kind, sep, command = line.partition(":")
        if sep and kind.strip() == "web" and command.strip():
            port = _port_hint(command) or DEFAULT_PORT
            # Exec form cannot expand $PORT: substitute the port the image exposes.
            text = re.sub(r"\$\{?PORT\}?", str(port), command.strip())
            words = tuple(shlex.split(text))
            server = words[0] if words and words[0] in SERVER_COMMANDS else None
            return AppCommand(cmd=words, port=port, server=server, reason="Procfile: web")
    return None


def _port_hint(command: str) -> int | None:
    match = _PORT_HINT.search(command)
    return int(match.group(1)) if match else None


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(fs.read_text(path), filename=str(path))
    except (SyntaxError, fs.NotText, ValueError):  # not Python we can read: not the app
        return None


def _django(root: Path, deps: set[str]) -> AppCommand | None:
    manage = root / "manage.py"
    if "django" not in deps or not fs.is_file(manage):
        return None
    settings_module = _django_settings_module(manage)
    target: str | None = None
    interface = "wsgi"
    if settings_module:
        settings = root / (settings_module.replace(".", "/") + ".py")
        names = _string_assignments(settings) if fs.is_file(settings) else {}
        asgi = names.get("ASGI_APPLICATION")
        wsgi = names.get("WSGI_APPLICATION")
        # ASGI when a server for it is locked, unless plain gunicorn serves the WSGI app.
        wsgi_server = best_server("wsgi", deps, factory=False)
        if (
            asgi
            and best_server("asgi", deps, factory=False) is not None
            and not (wsgi and wsgi_server is not None and wsgi_server.name == "gunicorn")
        ):
            target, interface = asgi, "asgi"
        elif wsgi:
            target = wsgi
    if target is None:
        found = fs.children_with(root, "wsgi.py")
        if not found:
            return None
        target = f"{found[0].parent.name}.wsgi.application"
    module, _, attr = target.rpartition(".")
    obj = AppObject(module, attr, interface, module.replace(".", "/") + ".py", "Django")
    return serve(obj, deps, DEFAULT_PORT)


def _django_settings_module(manage: Path) -> str | None:
    tree = _parse(manage)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and len(node.args) == 2
            and all(isinstance(a, ast.Constant) for a in node.args)
            and getattr(node.args[0], "value", None) == "DJANGO_SETTINGS_MODULE"
        ):
            value = node.args[1].value  # type: ignore[attr-defined]
            return str(value)
    return None


def _string_assignments(path: Path) -> dict[str, str]:
    tree = _parse(path)
    out: dict[str, str] = {}
    if tree is None:
        return out
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = node.value.value
    return out


def _candidate_files(root: Path) -> list[tuple[Path, str]]:
    """(file, dotted module) pairs in the order an application is looked for."""
    out: list[tuple[Path, str]] = [(root / n, n[:-3]) for n in _CANDIDATE_FILES]
    for base, prefix in ((root / "src", ""), (root, "")):
        if not fs.is_dir(base):
            continue
        for pkg in sorted(p for p in fs.iterdir(base) if fs.is_file(p / "__init__.py")):
            if pkg.name in _SKIP_DIRS:
                continue
            for n in (*_CANDIDATE_FILES, "__init__.py"):
                mod = pkg.name if n == "__init__.py" else f"{pkg.name}.{n[:-3]}"
                out.append((pkg / n, prefix + mod))
    # Non-package folders (namespace style, as in app/wsgi.py).
    for d in sorted(p for p in fs.iterdir(root) if fs.is_dir(p) and p.name not in _SKIP_DIRS):
        if not d.name.startswith(".") and not fs.exists(d / "__init__.py"):
            out.extend(
                (d / n, f"{d.name}.{n[:-3]}") for n in ("wsgi.py", "asgi.py", "app.py", "main.py")
            )
    return [(p, m) for p, m in out if fs.is_file(p)]


def find_app_object(root: Path) -> AppObject | None:
    for path, module in _candidate_files(root):
        tree = _parse(path)
        if tree is None:
            continue
        found = _app_in_tree(tree)
        if found is not None:
            attr, interface, framework = found
            return AppObject(module, attr, interface, path.relative_to(root).as_posix(), framework)
    return None


def _app_in_tree(tree: ast.Module) -> tuple[str, str, str] | None:
    factory: tuple[str, str, str] | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            target = node.targets[0]
            if isinstance(target, ast.Name) and name in ASGI_CLASSES:
                return target.id, "asgi", ASGI_CLASSES[name]
            if isinstance(target, ast.Name) and name in WSGI_CLASSES:
                return target.id, "wsgi", WSGI_CLASSES[name]
        if isinstance(node, ast.FunctionDef):
            if node.name == "application" and len(node.args.args) == 2:
                return "application", "wsgi", "plain"
            if node.name in ("create_app", "make_app") and factory is None:
                factory = (f"{node.name}()", "wsgi", "Flask")
    return factory


def _package_main(root: Path) -> str | None:
    for base in (root / "src", root):
        if fs.is_dir(base):
            for main in fs.children_with(base, "__main__.py"):
                if main.parent.name not in _SKIP_DIRS:
                    return main.parent.name
    return None


def _main_script(root: Path) -> str | None:
    """A top-level script with an ``if __name__ == "__main__":`` block."""
    for name in ("main.py", "app.py", "run.py", "server.py", "worker.py"):
        tree = _parse(root / name) if fs.is_file(root / name) else None
        if tree is None:
            continue
        for node in tree.body:
            test = node.test if isinstance(node, ast.If) else None
            if (
                isinstance(test, ast.Compare)
                and isinstance(test.left, ast.Name)
                and test.left.id == "__name__"
                and any(
                    isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators
                )
            ):
                return name
    return None


def serve(obj: AppObject, deps: set[str], port: int) -> AppCommand | None:
    """The command that serves ``obj`` with the best server among the dependencies."""
    factory = obj.attr.endswith("()")
    server = best_server(obj.interface, deps, factory)
    if server is None:
        return None
    attr = obj.attr.removesuffix("()")
    target = f"{obj.module}:{attr}"
    values = {
        "target": target,
        "call": f"{target}()" if factory else target,
        "attr": attr,
        "path": obj.path,
        "port": str(port),
        "bind": f"0.0.0.0:{port}",
    }
    flags = server.factory if factory and server.factory else ()
    cmd = [server.argv[0], *flags, *(a.format(**values) for a in server.argv[1:])]
    kind = f"{_article(obj.framework)} {obj.interface.upper()}"
    reason = f"{obj.path} defines {kind} application {obj.attr!r}, served by {server.name}"
    return AppCommand(cmd=tuple(cmd), port=port, server=server.name, reason=reason)


def _article(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word
