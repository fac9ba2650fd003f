"""The real-builder layer itself: builds, runs, inspects and measures tiny images."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.support.builder import BuildahBuilder, Builder, BuildError

BASE = "python:3.12-slim-trixie"


def two_stage(payload: str = "x", app: bool = False) -> str:
    """The tiny two-stage Dockerfile; payload is the content of /x, copied between stages."""
    copy_app = "COPY app.txt /app/app.txt\n" if app else ""
    return (
        f"FROM {BASE} AS b\n"
        f"RUN echo {payload} > /x\n"
        f"FROM {BASE}\n"
        "COPY --from=b /x /x\n"
        f"{copy_app}"
        "USER 10001\n"
        'CMD ["python","-c","print(1)"]\n'
    )


@pytest.fixture
def nonce() -> str:
    """Unique per test: the layer cache outlives sessions and is keyed by content."""
    return uuid.uuid4().hex[:12]


def _context(tmp_path: Path, dockerfile: str, **files: str) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (ctx / name).write_text(text)
    return ctx


def test_two_stage_build_runs_and_inspects(
    builder: Builder, unique_tag: str, tmp_path: Path
) -> None:
    result = builder.build(_context(tmp_path, two_stage()), unique_tag)

    assert result.tag == unique_tag
    assert result.seconds > 0
    assert builder.exists(unique_tag)
    assert builder.run(unique_tag, ["python", "-c", "print(1)"]).stdout == "1\n"
    assert builder.run(unique_tag, ["cat", "/x"]).stdout == "x\n"
    assert builder.run(unique_tag, ["id", "-u"]).stdout.strip() == "10001"
    assert builder.run(unique_tag, ["id", "-u"], user="0").stdout.strip() == "0"

    config = builder.image_config(unique_tag)
    assert config["User"] == "10001"
    assert config["Cmd"] == ["python", "-c", "print(1)"]
    assert config["Entrypoint"] in (None, [])

    grown = builder.rootfs_bytes(unique_tag) - builder.rootfs_bytes(BASE)
    assert 0 < grown < 64 * 1024, grown  # just /x (2 bytes)
    # one layer for the COPY; USER and CMD only change the config
    assert builder.layers(unique_tag) == builder.layers(BASE) + 1


def test_rebuild_reuses_cache_until_the_changed_file(
    builder: Builder, unique_tag: str, nonce: str, tmp_path: Path
) -> None:
    ctx = _context(tmp_path, two_stage(f"x-{nonce}", app=True), **{"app.txt": "one\n"})
    first = builder.build(ctx, unique_tag)
    assert (first.steps_cached, first.steps_run) == (0, first.steps_total), first.log
    if isinstance(builder, BuildahBuilder):
        assert first.steps_total == 5  # RUN, COPY --from, COPY, USER, CMD

    again = builder.build(ctx, unique_tag)
    assert again.steps_total == first.steps_total
    assert (again.steps_cached, again.steps_run) == (again.steps_total, 0), again.log

    (ctx / "app.txt").write_text("two\n")
    changed = builder.build(ctx, unique_tag)
    # RUN echo and COPY --from precede the changed COPY and stay cached
    assert changed.steps_cached == 2, changed.log
    assert changed.steps_run == changed.steps_total - 2 >= 1
    if isinstance(builder, BuildahBuilder):
        assert changed.steps_run == 3  # COPY app.txt, USER, CMD: buildah counts metadata steps
    assert builder.run(unique_tag, ["cat", "/app/app.txt"]).stdout == "two\n"


def test_changed_stage_invalidates_copy_from(
    builder: Builder, unique_tag: str, nonce: str, tmp_path: Path
) -> None:
    ctx = _context(tmp_path, two_stage(f"x-{nonce}", app=True), **{"app.txt": "same\n"})
    builder.build(ctx, unique_tag)
    (ctx / "Dockerfile").write_text(two_stage(f"y-{nonce}", app=True))

    rebuilt = builder.build(ctx, unique_tag)

    assert rebuilt.steps_cached == 0, rebuilt.log
    assert builder.run(unique_tag, ["cat", "/x"]).stdout == f"y-{nonce}\n"


def test_copy_from_cache_is_keyed_by_content(
    builder: Builder, unique_tag: str, nonce: str, tmp_path: Path
) -> None:
    # the stage reruns (new command) but produces the same /x: everything after stays cached
    ctx = _context(tmp_path, two_stage(f"x-{nonce}", app=True), **{"app.txt": "same\n"})
    builder.build(ctx, unique_tag)
    (ctx / "Dockerfile").write_text(two_stage(f"x-{nonce}", app=True).replace(" > /x", ">/x"))

    rebuilt = builder.build(ctx, unique_tag)

    assert rebuilt.steps_run == 1, rebuilt.log  # only the RUN in stage b
    assert rebuilt.steps_cached == rebuilt.steps_total - 1


def test_secrets_build_args_and_config(builder: Builder, unique_tag: str, tmp_path: Path) -> None:
    dockerfile = f"""\
# syntax=docker/dockerfile:1
FROM {BASE}
ARG GREETING=unset
WORKDIR /srv
RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /srv/token-bytes \\
 && echo "$GREETING" > /srv/greeting
RUN --mount=type=cache,target=/root/.cache/probe touch /root/.cache/probe/used
EXPOSE 8000
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s CMD ["python","-c","print(1)"]
ENTRYPOINT ["python"]
CMD ["-V"]
"""
    ctx = _context(tmp_path, dockerfile)
    token = tmp_path / "token"
    token.write_text("s3cret")

    builder.build(ctx, unique_tag, secrets={"token": token}, build_args={"GREETING": "hi"})

    out = builder.run(unique_tag, ["sh", "-c", "cat token-bytes greeting; ls /run/secrets 2>&1"])
    assert out.stdout.splitlines()[:2] == ["6", "hi"]
    assert "token" not in out.stdout.splitlines()[2:]  # secrets are not left in the image
    config = builder.image_config(unique_tag)
    assert config["WorkingDir"] == "/srv"
    assert config["ExposedPorts"] == {"8000/tcp": {}}
    assert config["StopSignal"] == "SIGINT"
    assert config["Entrypoint"] == ["python"]
    assert config["Cmd"] == ["-V"]
    assert config["Healthcheck"]["Test"] == ["CMD", "python", "-c", "print(1)"]
    assert any(e.startswith("PATH=") for e in config["Env"])


def test_run_passes_env_and_exit_status(builder: Builder) -> None:
    proc = builder.run(BASE, ["sh", "-c", 'echo "$FOO"; exit 4'], env={"FOO": "bar"})
    assert (proc.returncode, proc.stdout) == (4, "bar\n")


def test_failed_build_raises_with_log_tail(
    builder: Builder, unique_tag: str, tmp_path: Path
) -> None:
    ctx = _context(tmp_path, f"FROM {BASE}\nRUN echo marker-before-failure && exit 3\n")
    with pytest.raises(BuildError) as info:
        builder.build(ctx, unique_tag)
    assert info.value.returncode != 0
    assert "marker-before-failure" in info.value.tail
    assert not builder.exists(unique_tag)


def test_remove(builder: Builder, unique_tag: str, tmp_path: Path) -> None:
    builder.build(_context(tmp_path, f"FROM {BASE}\nLABEL x=1\n"), unique_tag)
    assert builder.exists(unique_tag)
    builder.remove(unique_tag)
    assert not builder.exists(unique_tag)
    builder.remove(unique_tag)  # removing twice is not an error
