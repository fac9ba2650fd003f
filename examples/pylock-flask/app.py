"""Tiny Flask app. Serve with: gunicorn --bind 0.0.0.0:8000 app:app"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return {"hello": "from pylock-flask"}
