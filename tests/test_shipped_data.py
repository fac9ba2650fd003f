"""The knowledge table ships as JSON generated from the TOML people edit; they must agree."""

from __future__ import annotations

import json
import tomllib

from tests.conftest import ROOT

DATA = ROOT / "pydocker_gen" / "data"


def render_json() -> str:
    table = tomllib.loads((DATA / "native.toml").read_text(encoding="utf-8"))
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def test_native_json_is_generated_from_the_toml(update_golden: bool) -> None:
    shipped = DATA / "native.json"
    expected = render_json()
    if update_golden:
        shipped.write_text(expected, encoding="utf-8")
    assert shipped.read_text(encoding="utf-8") == expected, (
        "pydocker_gen/data/native.json is not native.toml's content: "
        "run `pytest tests/test_shipped_data.py --update-golden`"
    )
