"""The article's example, built from its committed (buildkit-profile) Dockerfile."""

from __future__ import annotations

from pathlib import Path

from tests.support.builder import Builder

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pipenv-uwsgi"
MB = 1_000_000


def test_uwsgi_example_runs_as_non_root_and_adds_at_most_10_mb(
    builder: Builder, unique_tag: str
) -> None:
    dockerfile = (EXAMPLE / "Dockerfile").read_text()
    assert "--mount=type=cache" in dockerfile  # the committed, default profile
    base = next(line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM "))
    builder.build(EXAMPLE, unique_tag)

    proc = builder.run(unique_tag, ["sh", "-c", "id -u; uwsgi --version"])
    assert proc.returncode == 0, proc.stderr
    uid, version = proc.stdout.split()
    assert uid == "10001" and version.startswith("2.0.")

    proc = builder.run(unique_tag, ["sh", "-c", "command -v gcc cc pipenv virtualenv || true"])
    assert proc.stdout.strip() == "", f"found in the final image: {proc.stdout}"

    added = builder.rootfs_bytes(unique_tag) - builder.rootfs_bytes(base)
    print(f"pipenv-uwsgi adds {added / MB:.2f} MB over {base}")
    assert 0 < added <= 10 * MB
