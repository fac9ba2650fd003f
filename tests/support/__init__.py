"""Real-builder support shared by the e2e tests and the benchmarks (bench/).

- builder: docker build (BuildKit) where a daemon answers, buildah otherwise; builds (cached or
  cold), runs a command in an image, inspects and measures it;
- buildlog: the steps a build log reports, each cached or run (buildah and BuildKit);
- probes: what is checked inside a built image as its app user: the example's verify lines,
  the hygiene probe (no tools, no secrets, read-only code, ldd finds every library) and
  whether the image's CMD answers HTTP on its port.

Imported as `tests.support.*` from the repository root (pytest's rootdir; `python -m bench.run`).
Nothing here imports pytest.
"""
