"""Tiny WSGI app that reports the MIME type of the request body (libmagic via python-magic)."""
import magic


def sniff(data: bytes) -> str:
    return magic.from_buffer(data, mime=True)


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b"%PDF-1.4"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [sniff(body).encode()]
