"""Tiny Flask app shipped as a package.

Serve with: gunicorn --bind 0.0.0.0:8000 uv_flask:app
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return {"hello": "from uv-flask"}


def main() -> None:
    """Console script `uv-flask`: serve with gunicorn on 0.0.0.0:8000."""
    from gunicorn.app.wsgiapp import run

    import sys

    sys.argv = ["gunicorn", "--bind", "0.0.0.0:8000", "uv_flask:app", *sys.argv[1:]]
    run()
