"""Pipenv reader: Pipfiles as the pipenv release that locked them read them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pydocker_gen.errors import UserError
from pydocker_gen.reader import inspect

# A public project's Pipfile of 2020: its [[source]] has no name; pipenv of its time locked it.
UNNAMED = Path(__file__).resolve().parent / "fixtures" / "corpus" / "babybuddy-2020"


@pytest.fixture
def unnamed(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    for name in ("Pipfile", "Pipfile.lock"):
        shutil.copy(UNNAMED / name, root / name)
    return root


def test_a_source_without_name_is_read_as_old_pipenv_did(unnamed: Path) -> None:
    facts = inspect(unnamed)
    assert (str(facts.manager), facts.lockfile) == ("pipenv", "Pipfile.lock")
    assert [(ix.name, ix.url) for ix in facts.indexes] == [("", "https://pypi.python.org/simple")]
    assert "django" in {p.name for p in facts.packages}
    assert any("source[0] has no `name`" in w for w in facts.warnings)


def test_a_source_without_name_still_has_its_hash_checked(unnamed: Path) -> None:
    pipfile = unnamed / "Pipfile"
    pipfile.write_text(pipfile.read_text().replace('django = "*"', 'django = "<3"'))
    with pytest.raises(UserError) as caught:
        inspect(unnamed)
    assert (caught.value.problem.file, caught.value.problem.field) == (
        "Pipfile.lock",
        "_meta.hash.sha256",
    )


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("verify_ssl = true", 'verify_ssl = "yes"', "source[0]"),
        ('url = "https://pypi.python.org/simple"', "", "source[0].url"),
    ],
)
def test_a_source_without_name_is_still_validated(
    unnamed: Path, old: str, new: str, field: str
) -> None:
    pipfile = unnamed / "Pipfile"
    pipfile.write_text(pipfile.read_text().replace(old, new, 1))
    with pytest.raises(UserError) as caught:
        inspect(unnamed)
    assert (caught.value.problem.file, caught.value.problem.field) == ("Pipfile", field)
