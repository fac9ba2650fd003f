from flask import Flask
from greeting import hello

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return hello("poetry")
