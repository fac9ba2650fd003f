"""Tiny WSGI app that parses an XML document with lxml and reports its items."""
from lxml import etree

SAMPLE = b"<catalog><item id='1'>tea</item><item id='2'>coffee</item></catalog>"


def items(xml: bytes = SAMPLE) -> list:
    root = etree.fromstring(xml)
    return [(el.get("id"), el.text) for el in root.xpath("//item")]


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [repr(items()).encode()]
