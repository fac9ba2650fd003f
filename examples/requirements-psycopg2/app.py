"""Tiny Flask app that reports the libpq version psycopg2 was built against."""
import psycopg2
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return {
        "psycopg2": psycopg2.__version__,
        "libpq": psycopg2.__libpq_version__,
    }


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8000)
