"""{{ cookiecutter.project_name }}."""
{% if cookiecutter.framework == "fastapi" %}
from fastapi import FastAPI

app = FastAPI(title="{{ cookiecutter.project_name }}")


@app.get("/")
def index() -> dict[str, str]:
    return {"service": "{{ cookiecutter.project_slug }}"}
{%- else %}
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> dict[str, str]:
    return {"service": "{{ cookiecutter.project_slug }}"}
{%- endif %}
