"""Reproducible benchmarks: `python -m bench.run` from the repository root."""
