"""Index credentials reach the install through a secret mount and no layer keeps them."""

from __future__ import annotations

from pathlib import Path

from pydocker_gen.cli import main
from tests.support.builder import Builder

SECRET = "s3cr3t-token-for-the-test"


def test_secret_mount_and_no_credential_in_any_layer(
    builder: Builder, unique_tag: str, tmp_path: Path
) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    # A private index beside PyPI (unreachable here: pip warns and goes on with PyPI).
    (ctx / "requirements.txt").write_text(
        "--extra-index-url https://pypi.invalid/simple\n"
        "six==1.17.0 --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n"
    )
    (ctx / ".python-version").write_text("3.12\n")
    (ctx / "pydocker-gen.toml").write_text('cmd = ["python", "-c", "import six"]\n')
    assert main(["generate", str(ctx)]) == 0
    dockerfile = (ctx / "Dockerfile").read_text()
    assert "--mount=type=secret,id=netrc,target=/root/.netrc" in dockerfile
    assert SECRET not in dockerfile

    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine pypi.invalid login user password {SECRET}\n")
    # The secret is visible to the installing RUN only: prove it, then prove nothing kept it.
    probe = dockerfile.replace(
        "python -m venv --without-pip /opt/venv",
        "grep -q pypi.invalid /root/.netrc && python -m venv --without-pip /opt/venv",
    )
    (ctx / "Dockerfile").write_text(probe)
    builder.build(ctx, unique_tag, secrets={"netrc": netrc})
    builder.build(ctx, unique_tag + "-builder", target="builder", secrets={"netrc": netrc})
    try:
        for tag in (unique_tag, unique_tag + "-builder"):
            proc = builder.run(
                tag,
                [
                    "sh",
                    "-c",
                    f"grep -rl --exclude-dir=proc --exclude-dir=sys {SECRET} / 2>/dev/null; test ! -s /root/.netrc",
                ],
                user="0",
            )
            assert SECRET not in proc.stdout, f"credential found in {tag}: {proc.stdout}"
            assert proc.returncode == 0, f"/root/.netrc left in {tag}"
            config = builder.image_config(tag)
            assert SECRET not in str(config)
    finally:
        builder.remove(unique_tag + "-builder")
