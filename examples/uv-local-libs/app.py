from flask import Flask
from greeting import hello
from shout import shout

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return shout(hello("docker"))
