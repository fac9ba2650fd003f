"""pydocker-gen: declarative Dockerfiles for Python applications."""

__version__ = "0.1.0"
