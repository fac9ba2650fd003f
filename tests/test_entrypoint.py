from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pydocker_gen.reader import entrypoint

Tree = Callable[[Mapping[str, str]], Path]


@pytest.mark.parametrize(
    ("files", "deps", "cmd"),
    [
        (
            {"main.py": "from fastapi import FastAPI\napi = FastAPI()\n"},
            {"fastapi", "uvicorn"},
            ("uvicorn", "main:api", "--host", "0.0.0.0", "--port", "8000"),
        ),
        (
            {
                "src/shop/__init__.py": "",
                "src/shop/app.py": "import flask\napp = flask.Flask(__name__)\n",
            },
            {"flask", "gunicorn"},
            ("gunicorn", "--bind", "0.0.0.0:8000", "shop.app:app"),
        ),
        (
            {"wsgi.py": "def application(environ, start_response):\n    return []\n"},
            {"uwsgi"},
            (
                "uwsgi",
                "--http-socket",
                ":8000",
                "--master",
                "--die-on-term",
                "--wsgi-file",
                "wsgi.py",
                "--callable",
                "application",
            ),
        ),
        (
            {
                "Procfile": "release: python manage.py migrate\nweb: gunicorn app:app -b 0.0.0.0:$PORT\n"
            },
            {"gunicorn"},
            ("gunicorn", "app:app", "-b", "0.0.0.0:8000"),
        ),
        (
            {
                "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site1.settings')\n",
                "site1/__init__.py": "",
                "site1/settings.py": "WSGI_APPLICATION = 'site1.wsgi.application'\n",
            },
            {"django", "gunicorn"},
            ("gunicorn", "--bind", "0.0.0.0:8000", "site1.wsgi:application"),
        ),
        (
            {"app.py": "from starlette.applications import Starlette\napp = Starlette()\n"},
            {"starlette", "granian"},
            ("granian", "--interface", "asgi", "--host", "0.0.0.0", "--port", "8000", "app:app"),
        ),
        (
            {"src/tool/__init__.py": "", "src/tool/__main__.py": "print(1)\n"},
            set(),
            ("python", "-m", "tool"),
        ),
    ],
)
def test_detects_command(
    tree: Tree, files: Mapping[str, str], deps: set[str], cmd: tuple[str, ...]
) -> None:
    app = entrypoint.detect(tree(files), deps, {})
    assert app.cmd == cmd
    assert "migrate" not in " ".join(app.cmd or ())


def test_app_without_server_has_no_command_but_says_why(tree: Tree) -> None:
    app = entrypoint.detect(
        tree({"app.py": "from flask import Flask\napp = Flask(__name__)\n"}), {"flask"}, {}
    )
    assert app.cmd is None
    assert "no server" in app.reason


def test_procfile_port_hint(tree: Tree) -> None:
    app = entrypoint.detect(
        tree({"Procfile": "web: hypercorn main:app --bind 0.0.0.0:9000\n"}), set(), {}
    )
    assert app.port == 9000


DJANGO_ASGI = {
    "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site1.settings')\n",
    "site1/__init__.py": "",
    "site1/settings.py": "ASGI_APPLICATION = 'site1.asgi.application'\n"
    "WSGI_APPLICATION = 'site1.wsgi.application'\n",
}


def test_django_served_by_daphne_gets_a_command(tree: Tree) -> None:
    app = entrypoint.detect(tree(DJANGO_ASGI), {"django", "daphne", "channels"}, {})
    assert app.cmd == ("daphne", "--bind", "0.0.0.0", "--port", "8000", "site1.asgi:application")
    assert app.server == "daphne"


@pytest.mark.parametrize(
    ("deps", "cmd"),
    [
        ({"waitress"}, ("waitress-serve", "--call", "--listen=0.0.0.0:8000", "app:create_app")),
        ({"gunicorn"}, ("gunicorn", "--bind", "0.0.0.0:8000", "app:create_app()")),
    ],
)
def test_a_factory_is_called_the_way_each_server_calls_one(
    tree: Tree, deps: set[str], cmd: tuple[str, ...]
) -> None:
    files = {"app.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n"}
    assert entrypoint.detect(tree(files), {"flask", *deps}, {}).cmd == cmd


def test_uwsgi_cannot_serve_a_factory_so_none_is_planned(tree: Tree) -> None:
    files = {"app.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n"}
    app = entrypoint.detect(tree(files), {"flask", "uwsgi"}, {})
    assert (
        app.cmd is None
        and "no server (gunicorn, uwsgi, granian, waitress, hypercorn)" in app.reason
    )


def test_every_server_in_the_table_is_recognised_in_a_procfile(tree: Tree) -> None:
    for server in entrypoint.SERVERS:
        root = tree({"Procfile": f"web: {server.argv[0]} x\n"})
        assert entrypoint.detect(root, set(), {}).server == server.argv[0]
