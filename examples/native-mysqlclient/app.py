"""Tiny WSGI app reporting the MySQL client library mysqlclient was built against."""
import MySQLdb


def client_info() -> str:
    return f"mysqlclient {MySQLdb.version_info} client library {MySQLdb.get_client_info()}"


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [client_info().encode()]
