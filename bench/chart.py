"""docs/benchmarks.png: three bar charts (sizes over the base, build times, generator speed).

matplotlib is not a project dependency: when it cannot be imported it is pip-installed into
a folder under the temporary directory, used for this run only (and reused by later runs).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from common import TIMES, log, mb

MPL_DIR: Final = Path(tempfile.gettempdir()) / "pydocker-gen-bench-matplotlib"
OURS: Final = "#2b7bba"
BASELINE: Final = "#b0b0b0"
FAILED: Final = "#d9534f"


def _pyplot() -> ModuleType | None:
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        if not MPL_DIR.is_dir():
            log(f"chart: installing matplotlib into {MPL_DIR} (for this benchmark only)")
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--target",
                    str(MPL_DIR),
                    "matplotlib",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                log(f"chart: pip failed, no PNG: {proc.stderr.strip().splitlines()[-1:]}")
                return None
        sys.path.insert(0, str(MPL_DIR))
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def _sizes(ax: Any, sections: dict[str, Any]) -> None:
    labels, values, colors, notes = [], [], [], []
    for r in sections.get("sizes", {}).get("rows", []):
        labels.append(f"uwsgi: {r['name']}")
        ok = r.get("status") == "ok"
        values.append(mb(r["over_base_bytes"]) if ok else 0)
        colors.append((OURS if r["slug"].startswith("ours") else BASELINE) if ok else FAILED)
        notes.append(f"{mb(r['over_base_bytes'])} MB" if ok else r.get("status", "failed"))
        if ok and r["slug"] == "ours-bookworm" and "packages_bytes" in r:
            labels.append("uwsgi: installed files alone (lower bound)")
            values.append(mb(r["packages_bytes"]))
            colors.append("#8fc98f")
            notes.append(f"{mb(r['packages_bytes'])} MB")
    for r in sections.get("docker-init", {}).get("rows", []):
        labels.append(f"psycopg2: {r['name']}")
        ok = r.get("status") == "ok"
        values.append(mb(r["over_base_bytes"]) if ok else 0)
        colors.append((OURS if r["name"] == "ours" else BASELINE) if ok else FAILED)
        notes.append(f"{mb(r['over_base_bytes'])} MB" if ok else r.get("status", "failed"))
    y = list(range(len(labels)))[::-1]
    ax.barh(y, [max(v, 0.1) for v in values], color=colors)
    ax.set_xscale("log")
    ax.set_xlim(0.05, max([*values, 1.0]) * 6)  # room for the value labels
    ax.set_yticks(y, labels)
    for yi, v, note in zip(y, values, notes, strict=True):
        ax.text(max(v, 0.1) * 1.1, yi, note, va="center", fontsize=8)
    ax.set_xlabel("MB over the base image (log scale)")
    ax.set_title("Image size over the base")


def _builds(ax: Any, sections: dict[str, Any]) -> None:
    rows = [r for r in sections.get("builds", {}).get("rows", []) if r.get("status") == "ok"]
    kinds = [
        ("cold", "cold (--no-cache)"),
        ("noop", "no-op"),
        ("code_only", "code-only"),
        ("lock_change", "lock change"),
    ]
    width = 0.8 / len(kinds)
    for i, (key, label) in enumerate(kinds):
        xs = [j + i * width for j in range(len(rows))]
        vals = [r[key]["seconds"] for r in rows]
        bars = ax.bar(xs, vals, width, label=label)
        for b, r in zip(bars, rows, strict=True):
            pct = "" if key == "cold" else f"\n{r[key]['pct_of_cold']}%"
            ax.text(
                b.get_x() + width / 2,
                b.get_height(),
                f"{r[key]['seconds']}s{pct}",
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(rows))], [r["name"] for r in rows])
    ax.set_ylabel("seconds")
    ax.set_title("Build times (% of cold)")
    ax.legend(fontsize=8)


def _generator(ax: Any, sections: dict[str, Any]) -> None:
    gen = sections.get("generator")
    if not gen:
        return
    warm = {r["project"]: r for r in gen["rows"] if r["kind"] == "plan" and "ratio" in r}
    cold = {r["project"]: r for r in gen["rows"] if r["kind"] == "generate" and "ratio" in r}
    names = list(warm)
    y = [2 * i for i in range(len(names))][::-1]
    height = 0.8
    ax.barh(
        [v + height / 2 for v in y],
        [warm[n]["ratio"] for n in names],
        height,
        color=OURS,
        label="plan",
    )
    ax.barh(
        [v - height / 2 for v in y],
        [cold[n]["ratio"] if n in cold else 0 for n in names],
        height,
        color=BASELINE,
        label="generate --stdout",
    )
    ax.set_yticks(y, names, fontsize=8)
    for yi, n in zip(y, names, strict=True):
        for row, dy in ((warm[n], height / 2), (cold.get(n), -height / 2)):
            if row is not None:
                label = f"{row['ratio']}{TIMES} ({row['median_ms']:.0f} ms)"
                ax.text(row["ratio"] + 0.05, yi + dy, label, va="center", fontsize=6)
    ratios = [r["ratio"] for r in [*warm.values(), *cold.values()]]
    ax.axvline(1.0, color="black", linestyle="-", linewidth=0.8)
    ax.axvline(gen["goal_plan_ratio"], color=FAILED, linestyle="--")
    ax.set_xlim(0, max([*ratios, gen["goal_plan_ratio"]]) * 1.25)
    ax.set_xlabel("`pydocker-gen plan` median ÷ `python -c pass` median")
    ax.set_title(
        f"Generator speed (black: python -c pass = {gen['baseline_ms']} ms; "
        f"red dashed: goal {gen['goal_plan_ratio']:g}{TIMES})"
    )
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)


def write(sections: dict[str, Any], path: Path) -> bool:
    plt = _pyplot()
    if plt is None:
        return False
    fig, axes = plt.subplots(3, 1, figsize=(10, 13))
    _sizes(axes[0], sections)
    _builds(axes[1], sections)
    _generator(axes[2], sections)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return True
