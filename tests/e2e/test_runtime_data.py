"""Run-time data packages in a built image: what the stdlib and libldap read from /etc."""

from __future__ import annotations

import shutil
from pathlib import Path

from builder import Builder

from pydocker_gen.cli import main

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


def test_python_ldap_on_bookworm_trusts_the_system_cas(
    builder: Builder, unique_tag: str, tmp_path: Path
) -> None:
    # Bookworm's libldap (GnuTLS) knows the CA bundle only from /etc/ldap/ldap.conf
    # (libldap-common); the example itself targets trixie, where OpenSSL needs no file.
    ctx = tmp_path / "native-python-ldap"
    shutil.copytree(EXAMPLES_DIR / "native-python-ldap", ctx)
    assert (
        main(["generate", "--force", "--profile", "portable", "--debian", "bookworm", str(ctx)])
        == 0
    )
    builder.build(ctx, unique_tag)
    probe = (
        "import ldap; ca = ldap.get_option(ldap.OPT_X_TLS_CACERTFILE); print(ca); "
        "assert ca == '/etc/ssl/certs/ca-certificates.crt', ca"
    )
    proc = builder.run(unique_tag, ["sh", "-c", "test -f /etc/ldap/ldap.conf"])
    assert proc.returncode == 0, "no /etc/ldap/ldap.conf in the image"
    proc = builder.run(unique_tag, ["python", "-c", probe])
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
