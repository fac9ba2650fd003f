"""Tiny WSGI app using python-ldap's C extension to parse a DN from the query string."""
import ldap
import ldap.dn


def parse_dn(dn: str) -> list:
    return [rdn[0][:2] for rdn in ldap.dn.str2dn(dn)]


def application(environ, start_response):
    dn = environ.get("QUERY_STRING") or "cn=admin,dc=example,dc=org"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"python-ldap {ldap.__version__}: {parse_dn(dn)}".encode()]
