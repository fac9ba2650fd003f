"""Tiny FastAPI app. Run with: uvicorn main:app --host 0.0.0.0 --port 8000"""
from fastapi import FastAPI

app = FastAPI(title="poetry-fastapi example")


@app.get("/")
def index() -> dict:
    return {"hello": "from poetry-fastapi"}
