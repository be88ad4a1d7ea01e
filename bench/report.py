#!/usr/bin/env python3
"""docs/benchmarks.md and docs/benchmarks.png from bench/results/*.json.

    bench/report.py                    # the newest file in bench/results, then older ones
    bench/report.py A.json B.json      # each size from the first file that has it

By default the newest results file gives the machine and every size it ran; a size it lacks
is taken from the newest earlier file of the same host that has it (so S and M can run
separately), and so is a workload a size's file lacks (so one workload can run alone). Files named on the command line are used in that order instead (to pick, say,
the run least disturbed by other work on a shared machine).
The text between the `profile:begin` and `profile:end` markers of an existing
docs/benchmarks.md is kept: that is where profile findings are written by hand.
"""
import json
import math
import pathlib
import sys

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent
PROFILE_BEGIN = "<!-- profile:begin (kept by bench/report.py) -->"
PROFILE_END = "<!-- profile:end -->"
NOTES_BEGIN = "<!-- runs:begin (kept by bench/report.py) -->"
NOTES_END = "<!-- runs:end -->"
SIZE_ORDER = ["tiny", "XS", "S", "M", "L"]

WORKLOADS = {
    "pit": ("1. Point-in-time historical retrieval",
            "one view, 5 features, ttl 30 d; rows/s = entity rows per second"),
    "window": ("2. Windowed aggregation backfill",
               "count, sum and avg of the amount (f1) over 1 d, 7 d and 30 d windows, 9 "
               "features per entity row; rows/s = entity rows per second"),
    "materialize": ("3. Materialization offline → online",
                    "latest row per key over a 30-day window into the online store; "
                    "rows/s = offline feature rows per second"),
    "online": ("4. Online lookup, a batch of 1000 entities",
               "per entity = median / entities in the call"),
    "ingest": ("5. Ingest CSV → Parquet",
               "rows/s = input rows per second"),
}


def _read_results(path):
    """A results file of bench/run.py, or None (other tools may write to bench/results too)."""
    try:
        data = json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and all(k in data for k in ("machine", "config", "sizes")):
        return data
    return None


def load(latest=None, results_dir=BENCH / "results", chosen=None):
    """(main results, [(size, size results, file name)]). With `chosen` (a list of files),
    each size comes from the first of them that has it, and the machine from the first;
    otherwise from `latest` (default: the newest file) and then the newest others."""
    files = sorted((p for p in pathlib.Path(results_dir).glob("*.json") if _read_results(p)),
                   key=lambda p: p.stat().st_mtime)
    if chosen:
        latest = pathlib.Path(chosen[0])
        files = [pathlib.Path(f) for f in reversed(chosen)]
    if latest is None:
        if not files:
            raise SystemExit(f"no results in {results_dir}")
        latest = files[-1]
    latest = pathlib.Path(latest)
    main = _read_results(latest)
    if main is None:
        raise SystemExit(f"{latest} is not a results file of bench/run.py")
    main["_sources"] = {latest.name: main}
    main["_others"] = {}
    sizes = {k: (v, latest.name) for k, v in main["sizes"].items()}
    host = main["machine"].get("hostname")
    for f in reversed(files):
        if f.resolve() == latest.resolve():
            continue
        other = _read_results(f)
        if other is None or other["machine"].get("hostname") != host or other.get("failures"):
            continue
        for k, v in other.get("sizes", {}).items():
            if k not in sizes:
                sizes[k] = (v, f.name)
                main["_sources"][f.name] = other
        main["_others"][f.name] = other
    # Runs that failed a gate are never used; the others are searched for figures the tables
    # lack (see other_runs).
    for f in pathlib.Path(results_dir).glob("*.json"):
        if f.name in main["_others"] or f.name == latest.name:
            continue
        other = _read_results(f)
        if other and other["machine"].get("hostname") == host and not other.get("failures"):
            main["_others"][f.name] = other
    # A workload a size's file did not run (say a run of one workload) comes from the newest
    # other gate-passing file of the host that ran it at that size.
    by_age = [latest] + [f for f in reversed(files) if f.resolve() != latest.resolve()]
    for size, (res, src) in list(sizes.items()):
        merged = dict(res, workloads=dict(res.get("workloads", {})))
        for f in by_age:
            other = main if f.resolve() == latest.resolve() else _read_results(f)
            if other is None or other["machine"].get("hostname") != host or other.get("failures"):
                continue
            for wname, w in other.get("sizes", {}).get(size, {}).get("workloads", {}).items():
                if wname not in merged["workloads"] and f.name != src:
                    merged["workloads"][wname] = dict(w, _from=f.name)
                    main["_sources"].setdefault(f.name, other)
        sizes[size] = (merged, src)
    order = sorted(sizes, key=lambda s: SIZE_ORDER.index(s) if s in SIZE_ORDER else 99)
    return main, [(s, sizes[s][0], sizes[s][1]) for s in order]


def _fmt_s(x):
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _fmt_rate(x):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.2f} {unit}"
    return f"{x:.0f}"


def _fmt_mib(x):
    """A peak RSS in MiB ("–" for results recorded before it was)."""
    if x is None:
        return "–"
    return f"{x / 1024:.2f} GiB" if x >= 1024 else f"{x:.0f} MiB"


def _fmt_us(x):
    return f"{x * 1e6:.0f} µs" if x < 1e-3 else f"{x * 1e3:.2f} ms"


def _baseline(results, entry):
    """Featherstone's result on the same data variant (the ratio's denominator), else its
    first result in the workload."""
    for r in results:
        if r["system"] == "featherstone" and r["data"] == entry["data"]:
            return r
    for r in results:
        if r["system"] == "featherstone":
            return r
    return None


def table(workload, sizes):
    lines = []
    online = workload == "online"
    head = ["system", "data", "size", "min (s)", "median (s)", "peak RSS"]
    head += ["per entity", "lookups/s"] if online else ["rows/s"]
    head += ["time ÷ Featherstone's"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    notes = []
    for size, res, _ in sizes:
        w = res.get("workloads", {}).get(workload)
        if not w:
            continue
        results = w.get("results", [])
        for r in results:
            base = _baseline(results, r)
            ratio = r["median"] / base["median"] if base else None
            row = [r["system"], r["data"], size, _fmt_s(r["min"]), _fmt_s(r["median"]),
                   _fmt_mib(r.get("peak_rss_mib"))]
            if online:
                row += [_fmt_us(r["median"] / r["rows"]), _fmt_rate(r["rows"] / r["median"])]
            else:
                row += [_fmt_rate(r["rows"] / r["median"])]
            if r is base:
                row.append("1")
            elif r["system"].startswith("featherstone") or base is None:
                row.append("–")
            else:
                row.append(f"{ratio:.2f}× ({'slower' if ratio > 1 else 'faster'})")
            lines.append("| " + " | ".join(row) + " |")
            if r.get("note"):
                notes.append(f"{r['system']}: {r['note']}")
        if w.get("featherstone_ingest_parquet_s") is not None:
            rss = w.get("featherstone_ingest_parquet_peak_rss_mib")
            notes.append(f"{size}: Featherstone's one-time load of the Parquet input "
                         f"(ingest, not included above): {w['featherstone_ingest_parquet_s']:.2f} s"
                         + (f", peak RSS {_fmt_mib(rss)}" if rss is not None else ""))
        for g in w.get("gates", []):
            if not g["ok"]:
                notes.append(f"{size}: GATE FAILED: {g['what']}")
        for e in w.get("errors", []):
            notes.append(f"{size}: ERROR: {e.splitlines()[0]}")
    uniq = list(dict.fromkeys(notes))
    return lines, uniq


def growth(sizes):
    """Markdown lines: per workload and (system, data), the median time and peak RSS at each
    size and their growth per 10× feature rows between consecutive sizes (1 = flat, 10 =
    proportional to the data). Online lookups (a fixed batch) are left out."""
    series = {}
    for size, res, _ in sizes:
        for wname, w in res.get("workloads", {}).items():
            if wname == "online":
                continue
            for r in w.get("results", []):
                series.setdefault((wname, r["system"], r["data"]), []).append(
                    (size, res["dims"]["feature_rows"], r["median"], r.get("peak_rss_mib")))
    lines = ["| workload | system (data) | sizes | median (s) | time × per 10× data | "
             "peak RSS | RSS × per 10× data |", "|---|---|---|---|---|---|---|"]
    order = list(WORKLOADS)
    for (wname, system, data), pts in sorted(series.items(),
                                             key=lambda kv: order.index(kv[0][0])):
        if len(pts) < 2:
            continue

        def per10(i, k):
            a, b = pts[i - 1], pts[i]
            if a[k] is None or b[k] is None or a[k] <= 0:
                return "–"
            return f"{(b[k] / a[k]) ** (1 / math.log10(b[1] / a[1])):.2f}"

        steps = range(1, len(pts))
        lines.append("| " + " | ".join([
            WORKLOADS[wname][0], f"{system} ({data})",
            " → ".join(p[0] for p in pts), " → ".join(_fmt_s(p[2]) for p in pts),
            ", ".join(per10(i, 2) for i in steps),
            " → ".join(_fmt_mib(p[3]) for p in pts),
            ", ".join(per10(i, 3) for i in steps)]) + " |")
    return lines if len(lines) > 2 else []


def other_runs(main, sizes, workload):
    """Figures of complete, gate-passing runs that the tables lack (say Feast at M, run once
    separately), each with the same run's Featherstone figure, since runs on a shared machine
    are only comparable within themselves."""
    shown = {(size, r["system"], r["data"])
             for size, res, _ in sizes
             for r in res.get("workloads", {}).get(workload, {}).get("results", [])}
    notes = []
    for name, other in sorted(main.get("_others", {}).items()):
        for size, res in other.get("sizes", {}).items():
            results = res.get("workloads", {}).get(workload, {}).get("results", [])
            for r in results:
                if (size, r["system"], r["data"]) in shown:
                    continue
                base = _baseline(results, r)
                same = (f"; Featherstone in the same run: {_fmt_s(base['median'])} s, ratio "
                        f"{r['median'] / base['median']:.2f}×" if base and base is not r else "")
                notes.append(f"from another run (`{name}`), {size}: {r['system']} ({r['data']}) "
                             f"min {_fmt_s(r['min'])} s, median {_fmt_s(r['median'])} s{same}")
    return notes


def slower_cases(sizes):
    out = []
    for size, res, _ in sizes:
        for wname, w in res.get("workloads", {}).items():
            results = w.get("results", [])
            for r in results:
                base = _baseline(results, r)
                if r["system"].startswith("featherstone") or base is None:
                    continue
                if r["median"] < base["median"]:
                    out.append(f"- {WORKLOADS.get(wname, (wname,))[0]} at {size}: "
                               f"{r['system']} {_fmt_s(r['median'])} s vs Featherstone "
                               f"{_fmt_s(base['median'])} s "
                               f"({base['median'] / r['median']:.2f}× slower)")
    return out


def gates_summary(main, sizes):
    lines = []
    val = main.get("validation", {})
    for g in val.get("gates", []):
        lines.append(f"- tiny: {'ok' if g['ok'] else 'FAILED'}: {g['what']}"
                     + (f" ({g['rows']:,} rows)" if g["ok"] else ""))
    for size, res, _ in sizes:
        for w in res.get("workloads", {}).values():
            for g in w.get("gates", []):
                extra = f"; {g['message']}" if g["ok"] and g.get("message") else ""
                what = g["what"] if g["what"].startswith(size + " ") else f"{size} {g['what']}"
                lines.append(f"- {'ok' if g['ok'] else 'FAILED'}: {what} "
                             f"({g['rows']:,} rows{extra})")
    return lines


def machine_text(main):
    m, v = main["machine"], main["versions"]
    return (f"{m.get('lscpu_model_name', '?')}, {m.get('logical_cpus')} logical CPUs, "
            f"{m.get('ram_gib')} GiB RAM, {m.get('platform')}; host `{m.get('hostname')}`. "
            f"Featherstone {v.get('featherstone')} ({v.get('featherstone_build_type')}, "
            f"{v.get('cxx')}), DuckDB {v.get('duckdb')}, Feast {v.get('feast')} "
            f"(pandas {v.get('pandas')}, dask {v.get('dask')}), pyarrow {v.get('pyarrow')}, "
            f"Python {m.get('python')}.")


def sources_text(main, sizes):
    """One line per results file used: its sizes (or the workloads taken from it), date and
    Featherstone build."""
    lines = []
    for name, res in main.get("_sources", {}).items():
        used = [s for s, _, src in sizes if src == name]
        parts = []
        for size, r, _ in sizes:
            nums = [WORKLOADS.get(w, (w,))[0].split(".")[0] for w, x in r.get("workloads", {}).items()
                    if x.get("_from") == name]
            if nums:
                parts.append(f"{size} workload{'s' if len(nums) > 1 else ''} {', '.join(nums)}")
        v = res.get("versions", {})
        if parts:
            lines.append(f"- {'; '.join(parts)}: `bench/results/{name}` (run {res.get('date')}, "
                         f"Featherstone {v.get('featherstone')}, {res['config']['repeat']} timed "
                         "runs)")
        if not used:
            continue
        loads = [x for sz in used for w in res["sizes"][sz].get("workloads", {}).values()
                 for r in w.get("results", []) for x in r.get("loadavg_1m", [])]
        load = (f", 1-minute load average while timing {min(loads):.1f}–{max(loads):.1f}"
                if loads else "")
        lines.append(f"- {', '.join(used)}: `bench/results/{name}` (run {res.get('date')}, "
                     f"Featherstone {v.get('featherstone')}, {res['config']['repeat']} timed "
                     f"runs, {res.get('elapsed_s')} s in all{load})")
    used_names = {src for _, _, src in sizes} | {
        w["_from"] for _, r, _ in sizes for w in r.get("workloads", {}).values() if "_from" in w}
    for name, res in sorted(main.get("_others", {}).items()):
        if name in used_names:
            continue
        v = res.get("versions", {})
        lines.append(f"- other run `bench/results/{name}` (run {res.get('date')}, sizes "
                     f"{', '.join(res['sizes'])}, Featherstone {v.get('featherstone')}): not in "
                     "the tables; figures the tables lack are quoted from it under them")
    return lines


def plot(sizes, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [w for w in WORKLOADS if any(w in res.get("workloads", {}) for _, res, _ in sizes)]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.8), squeeze=False)
    for ax, w in zip(axes[0], names):
        series = {}
        for size, res, _ in sizes:
            for r in res.get("workloads", {}).get(w, {}).get("results", []):
                x = res["dims"]["feature_rows"]
                series.setdefault(f"{r['system']} ({r['data']})", []).append((x, r["median"]))
        for label, pts in sorted(series.items()):
            pts.sort()
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(WORKLOADS[w][0].split(". ", 1)[1], fontsize=9)
        ax.set_xlabel("feature rows")
        ax.set_ylabel("median time (s)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def render(main, sizes, keep_profile="", keep_notes=""):
    cfg = main["config"]
    out = ["# Benchmarks", "",
           "Generated by `scripts/bench` (bench/run.py, bench/report.py) from "
           + ", ".join(sorted({f'`bench/results/{src}`' for _, _, src in sizes} | {
               f'`bench/results/{w["_from"]}`' for _, r, _ in sizes
               for w in r.get("workloads", {}).values() if "_from" in w})) + ".",
           "Featherstone against two anchors on the same files: DuckDB (SQL over Parquet) and "
           "Feast (file offline store, SQLite online store).", "",
           "## Machine", "", machine_text(main), ""] + sources_text(main, sizes) + [
           "",
           "The machine is shared (2 cores, other builds and tests may run at the same time): "
           "expect noise of ±20% between runs; the minimum is the least disturbed figure.", "",
           NOTES_BEGIN, keep_notes.strip(), NOTES_END, "",
           "## Method", "",
           f"- **Data** (bench/datagen.py, seed {cfg['seed']}, deterministic): a feature table "
           "`customer_id int64, f1 f2 f3 float64 (5%, 20%, 1% null), f4 int64, f5 string (3% "
           "null), event_ts, created_ts` over 120 days, with 4% of rows repeating the previous "
           "row's (key, event_ts) with another created_ts and 2% repeating (key, event_ts, "
           "created_ts) (only ingestion order decides); an entity spine `row_id, customer_id, "
           "event_timestamp` with 5% unknown keys, times before and after the data, and 30% of "
           "rows exactly on an event's boundaries (t = event_ts, t − ttl, t − ttl − 1 s, "
           "t + 1 s). S = 1M feature rows / 100k entities / 100k entity rows; M = 10M / 1M / 1M; "
           "L = 100M / 10M / 10M, generated batch by batch on disk (no CSV, no Feast variant: "
           "workloads 1 to 4 only, materialize and online on the main data).",
           f"- **Fairness**: {cfg['threads']} threads for every system (DuckDB `SET threads=2`, "
           "Featherstone `FST_THREADS=2`, Feast's dask scheduler with 2 workers and pyarrow's "
           "pool at 2), the same input files, "
           + {0: "no warm-up run (the gate's run comes just before), then ",
              1: "one warm-up run discarded, then "}.get(
               cfg.get("warmup", 1), f"{cfg.get('warmup')} warm-up runs discarded, then ")
           + f"{cfg['repeat']} timed runs; min and median reported.",
           "- **Peak RSS**: the largest resident memory of the timed runs: of the "
           "`featherstone` (or SDK Python) process, reaped with `wait4`; for DuckDB and Feast, "
           "which run in the harness's process, that process's high-water mark (VmHWM, reset "
           "before each run), so it includes the harness's own few hundred MiB.",
           "- **What is timed**: Featherstone runs as a process per call (`featherstone -C REPO "
           "historical|materialize|online|ingest`), so start-up, opening the registry and the "
           "stores, reading the inputs and writing the output are inside its figures; so does "
           "its Python SDK (`featherstone (python)`: a `.venv/bin/python` process that reads "
           "the entity file with pyarrow, calls `FeatureStore.get_historical_features` and "
           "writes the result, so the interpreter's start and imports, about 0.6 to 0.8 s, are "
           "inside its figure). DuckDB "
           "reads the Parquet inputs inside the query (`read_parquet`) and writes the result "
           "with `COPY ... TO` Parquet. Feast runs in-process on a store object built before "
           "timing; its figures include reading the spine with pandas, reading the feature "
           "Parquet and writing the result to Parquet.",
           "- **Loading**: Featherstone reads its own stored Parquet (written once by `ingest` "
           "before timing; that load is reported under workload 1 and timed in workload 5, "
           "never inside a retrieval figure). DuckDB and Feast read the generator's Parquet file "
           "on every run.",
           "- **Materialize and online**: the window is [end − 30 d, end] for both systems "
           f"({cfg['materialize_window'][0]} to {cfg['materialize_window'][1]}); each timed "
           "run rewrites the keys into a store that the warm-up run populated. The online batch "
           f"is {cfg['online_batch']} distinct keys (about 5% without any data) looked up at "
           "the window's end; Featherstone answers it with one `featherstone online` process "
           "(`--entity` repeated), Feast with one in-process `get_online_features` call.",
           "- **Ratio** (`time ÷ Featherstone's`): the system's median divided by Featherstone's "
           "median on the same data (same variant; for ingest, the same CSV); above 1 the "
           "system is slower than Featherstone, below 1 faster.",
           "- **Correctness gate**: before anything is timed, the outputs are compared row by "
           "row (matched on the entity row index `row_id`, or the key for online results; floats "
           "within 1e-9 relative, nulls equal only nulls); a mismatch stops the run with the "
           "first differing rows. The DuckDB SQL is itself checked against a brute-force Python "
           "reference (bench/reference.py) on tiny data with every kind of tie.",
           "", "### The DuckDB query", "",
           "DESIGN section 3 exactly: `ASOF LEFT JOIN` of the spine with (customer_id, event_ts) "
           "finds the latest event_ts ≤ t per entity row (ASOF keeps one row per match, so it does "
           "not decide ties); the rows with that (key, event_ts) are joined back and the winner "
           "is `arg_max(..., {created_ts, file_row_number})` (the file row number is the "
           "ingestion order); a winning event_ts older than t − ttl leaves the features null. "
           "See `duckdb_pit_sql` in bench/workloads.py.", "",
           "Workload 2 (windows (t − w, t], DESIGN section 3): a range join of each entity row "
           "with its key's events in (t − 30 d, t], the widest window, then one `GROUP BY row_id` "
           "with `count`, `sum` and `avg` of the amount per window, each `FILTER (WHERE ts > t − "
           "w)`; a `LEFT JOIN`, so an entity row without events gets count 0 and null sum and "
           "avg. The same aggregates written as window functions (`RANGE BETWEEN w − 1 µs "
           "PRECEDING AND CURRENT ROW` over the union of events and entity rows) gave the same "
           "rows about 5 times slower at S. Its sums are compared with 1e-9 absolute tolerance "
           "besides the relative one (amounts in [−500, 500) can cancel to near zero, and the "
           "systems sum in different orders). See `duckdb_window_sql` in bench/workloads.py.",
           "",
           "### Feast's semantics, and the data it is compared on", "",
           ] + feast_text(main) + [""]
    for w, (title, desc) in WORKLOADS.items():
        lines, notes = table(w, sizes)
        notes += other_runs(main, sizes, w)
        if len(lines) <= 2:
            continue
        out += [f"## {title}", "", desc + ".", ""] + lines + [""]
        out += [f"- {n}" for n in notes]
        if notes:
            out.append("")
    grow = growth(sizes)
    if grow:
        out += ["## Growth with the data", "",
                "Median time and peak RSS from one size to the next, as a factor per 10× "
                "feature rows (1: flat, 10: proportional to the data).", ""] + grow + [""]
    not_run = [res["workloads_skipped"] for _, res, _ in sizes if res.get("workloads_skipped")]
    if not_run:
        out += ["Not run: " + "; ".join(not_run) + ".", ""]
    skipped = [res["feast_skipped"] for _, res, _ in sizes if res.get("feast_skipped")]
    if skipped:
        out += ["Not run: " + "; ".join(skipped) + ". Feast's runs take minutes each at M "
                "(its dask file store and its row-by-row SQLite materialization), so scripts/bench "
                "runs it at S only by default.", ""]
    out += ["![median time against data size, log scales](benchmarks.png)", "",
            "## Correctness gate", ""] + gates_summary(main, sizes) + [""]
    out += ["## Where the time goes", ""]
    slow = slower_cases(sizes)
    if slow:
        out += ["Featherstone is slower than an anchor in:", ""] + slow + [""]
    else:
        out += ["Featherstone is not slower than an anchor in any measured case.", ""]
    out += [PROFILE_BEGIN, keep_profile.strip() or
            "_To be filled from a profile (`perf record -g build/featherstone ...`) for each "
            "case above: the top frames, and what would remove them._", PROFILE_END, ""]
    return "\n".join(out)


def feast_text(main):
    probe = main.get("validation", {}).get("feast_probe", {})
    lines = [
        "Feast's file offline store (`type: file`, dask in Feast "
        f"{main['versions'].get('feast')}) differs from DESIGN section 3 in three ways, found "
        "by running it against the brute-force reference on tiny data:",
        "",
        "1. **Ties on event_ts.** It orders rows with two separate sorts (created_ts, then "
        "event_ts) that are not stable, so rows sharing (key, event_ts) are not reliably "
        "ordered by created_ts, and rows sharing (key, event_ts, created_ts) have no defined "
        "winner (DESIGN: the row ingested last).",
        "2. **Entity rows without an eligible row are dropped**, not returned with null "
        "features, when the key has feature rows that all fall outside [t − ttl, t]. (Keys "
        "with no rows at all are kept, with nulls.)",
        "3. **Duplicate entity rows** (same key and timestamp) are collapsed into one "
        "(`drop_duplicates` on key + timestamp).",
        "",
        "Feast is therefore compared on a variant of the data where these do not matter: "
        "`feast_features.parquet` has no two rows with the same (key, event_ts), and "
        "`feast_spine.parquet` has no repeated (key, event_timestamp). For (2), the gate "
        "checks that every row Feast leaves out is a row whose features are all null in "
        "Featherstone's output, and that every row Feast returns agrees; nothing is skipped "
        "silently. Featherstone is timed on the same variant for the ratio. TTL bounds agree "
        "(both inclusive), and materialization windows are inclusive at both ends in both.",
    ]
    if probe:
        lines += ["", "The probe on tiny data (rows differing from the reference, among the rows "
                  "Feast returned; rows Feast dropped):", "",
                  "| variant | entity rows | returned | dropped | differing |",
                  "|---|---|---|---|---|"]
        names = {"all": "created_ts and full ties", "created": "created_ts ties only",
                 "none": "no (key, event_ts) ties (used)"}
        for k, p in probe.items():
            lines.append(f"| {names.get(k, k)} | {p['entity_rows']:,} | {p['returned_rows']:,} | "
                         f"{p['dropped_rows']:,} | {p['differing_rows']:,} |")
    return lines


def write(md_path, results_dir=BENCH / "results", latest=None, chosen=None):
    md_path = pathlib.Path(md_path)
    main, sizes = load(latest, results_dir, chosen)
    keep = keep_notes = ""
    if md_path.exists():
        text = md_path.read_text()
        if NOTES_BEGIN in text and NOTES_END in text:
            keep_notes = text.split(NOTES_BEGIN, 1)[1].split(NOTES_END, 1)[0]
        if PROFILE_BEGIN in text and PROFILE_END in text:
            keep = text.split(PROFILE_BEGIN, 1)[1].split(PROFILE_END, 1)[0]
            if keep.strip().startswith("_To be filled"):
                keep = ""
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text(render(main, sizes, keep, keep_notes))
    png = md_path.with_suffix(".png")
    try:
        plot(sizes, png)
    except ImportError:
        png = None
    return md_path, png


if __name__ == "__main__":
    md, png = write(ROOT / "docs" / "benchmarks.md", BENCH / "results", chosen=sys.argv[1:])
    print(f"wrote {md} and {png}")
