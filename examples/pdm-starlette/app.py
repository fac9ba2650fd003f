"""Tiny Starlette app. Run with: uvicorn app:app --host 0.0.0.0 --port 8000"""
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def index(request):
    return JSONResponse({"hello": "from pdm-starlette"})


app = Starlette(debug=False, routes=[Route("/", index)])
