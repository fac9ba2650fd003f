"""Native knowledge in built images: pure sdists without a compiler, run-time data files."""

from __future__ import annotations

import shutil
from pathlib import Path

from pydocker_gen.cli import main
from tests.support.builder import Builder

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "projects"


def test_pure_sdists_build_without_a_compiler(
    builder: Builder, unique_tag: str, tmp_path: Path
) -> None:
    ctx = tmp_path / "pure-sdists-uv"
    shutil.copytree(FIXTURES_DIR / "pure-sdists-uv", ctx)
    # The stand-in bases stop at 3.13; the fixture's range would pick 3.14.
    with (ctx / "pyproject.toml").open("a") as f:
        f.write('\n[tool.pydocker-gen]\npython = "3.12"\n')
    assert main(["generate", "--force", "--profile", "portable", str(ctx)]) == 0
    assert "gcc" not in (ctx / "Dockerfile").read_text()
    builder.build(ctx, unique_tag)
    probe = (
        "import shutil, crontab, dkim, flask_mail, html2text, jstyleson, langdetect, promise; "
        "print(langdetect.detect('Bonjour tout le monde, comment allez-vous')); "
        "assert shutil.which('gcc') is None"
    )
    proc = builder.run(unique_tag, ["python", "-c", probe])
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"


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
