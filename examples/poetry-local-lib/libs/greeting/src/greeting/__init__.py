from markupsafe import escape


def hello(name: str) -> str:
    return f"hello, {escape(name)}"
