"""Tiny WSGI app that draws a PNG with pycairo."""
import io

import cairo


def render(width: int = 120, height: int = 40) -> bytes:
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, width, height)
    ctx = cairo.Context(surface)
    ctx.set_source_rgb(0.2, 0.4, 0.8)
    ctx.rectangle(0, 0, width, height)
    ctx.fill()
    ctx.set_source_rgb(1, 1, 1)
    ctx.arc(height / 2, height / 2, height / 3, 0, 6.2832)
    ctx.fill()
    buf = io.BytesIO()
    surface.write_to_png(buf)
    return buf.getvalue()


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "image/png")])
    return [render()]
