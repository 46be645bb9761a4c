#!/usr/bin/env python3
"""Writes BENCHMARKS.md (on stdout) from the JSON reports of tests/bench/run.sh.

Usage: report.py RESULTS_DIR SCALE COMMAND
       report.py held REPORT LIMIT_MS RATE   (exit 0 if that sweep step held, 1 if not)
"""
import datetime
import json
import os
import platform
import sys
from pathlib import Path

SERVERS = [
    ("ours", "this server (recompute and durability on)"),
    ("ours-bare", "this server (recompute and durability off)"),
    ("y-websocket", "@y/websocket-server 0.1.1"),
    ("hocuspocus", "@hocuspocus/server 3.4.4"),
    ("y-sweet", "y-sweet 0.9.1"),
]

# The other Yjs servers, which neither recompute nor (Hocuspocus, y-sweet here) persist.
PEERS = ("y-websocket", "hocuspocus", "y-sweet")

SCENARIOS = [
    ("0-small-rooms", "0. Many small rooms", "CPU and peak RSS ≤ the lowest peer's; p99 ≤ the higher of @y/websocket-server's and Hocuspocus's plus the disk's own flush p99"),
    ("1-many-workshops", "1. Many workshops", "edit-to-peer p99 ≤ 25 ms with recompute and durability on"),
    ("2-hot-plenary", "2. One hot plenary", "sustained edits/s at p99 ≤ 50 ms: 3× each peer"),
    ("3-durable-burst", "3. Durable burst (1,000 updates/s)", "durable-before-relay p99 ≤ 10 ms"),
    ("4-cold-load", "4. Cold load", "load ≤ 50 ms; stored size ≤ 1.1× the encoded state after compaction"),
    ("5-offline-return", "5. Offline participant returns", "merged ≤ 200 ms"),
    ("6-idle-connections", "6. Idle connections", "≤ 16 KiB per idle connection"),
]


def cold_table(results, scenario):
    rows = [
        "| server | history (updates) | load ms | encoded state bytes | this workshop stored, bytes | stored ÷ encoded state | data directory bytes | workshop there after restart |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, name in SERVERS:
        if key in ("ours-bare", "hocuspocus", "y-sweet"):
            continue
        r = load(results, scenario, key)
        if isinstance(r.get("failed"), str):
            rows.append(f"| {name} | failed: {r['failed']} | | | | | | |")
            continue
        stored = (r.get("stored") or {}).get("stored_bytes")
        state = r.get("state_bytes", 0)
        rows.append(
            "| {} | {:,} | {} | {:,} | {} | {} | {} | {} |".format(
                name,
                r.get("updates", 0),
                fmt(r.get("load_ms"), 1),
                state,
                f"{stored:,}" if stored else "—",
                f"{stored / state:.2f}×" if stored and state else "—",
                f"{r['data_dir_bytes']:,}" if r.get("data_dir_bytes") else "—",
                "yes" if r.get("has_workshop") else "no (not persisted)",
            )
        )
    rows.append("")
    rows.append(
        "Hocuspocus and y-sweet run in memory (Hocuspocus with its defaults, y-sweet without "
        "a store), so there is nothing to load after a restart. \"This workshop stored\" is its snapshot and log as "
        "this server's store holds them after a clean stop (read by `workshop-stored`); the "
        "data directory is the whole sled database (every workshop and token of the run, and "
        "sled's own segments), as the operating system sees it."
    )
    return "\n".join(rows)


def return_table(results, scenario):
    rows = ["| server | offline updates | merged and relayed, ms |", "|---|---|---|"]
    for key, name in SERVERS:
        r = load(results, scenario, key)
        if isinstance(r.get("failed"), str):
            rows.append(f"| {name} | failed: {r['failed']} | |")
            continue
        rows.append(f"| {name} | {r['updates']:,} | {fmt(r['merged_ms'], 1)} |")
    return "\n".join(rows)


def machine():
    cores = os.cpu_count()
    memory = "?"
    model = platform.processor() or "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cores} cores ({model}), {memory} memory, {platform.system()} {platform.release()}"


def load(results, scenario, server):
    path = os.path.join(results, f"{scenario}--{server}.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"failed": "no report"}


def repeats(results, scenario):
    """How many times run.sh ran a scenario per server: N when its reports are
    SCENARIO@1 ... SCENARIO@N (a table then shows the median run by p99, and every run's p99
    beside it), 0 when it ran once as SCENARIO."""
    count = 0
    while any(
        os.path.exists(os.path.join(results, f"{scenario}@{count + 1}--{key}.json"))
        for key, _ in SERVERS
    ):
        count += 1
    return count


def runs(results, scenario, server):
    """Every run of a scenario on one server: one report, or each repeat's."""
    count = repeats(results, scenario)
    if count == 0:
        return [load(results, scenario, server)]
    return [load(results, f"{scenario}@{n}", server) for n in range(1, count + 1)]


def median_run(reports):
    """The run with the median p99 (a failed run counts as the slowest)."""
    def p99(report):
        return report.get("latency", {}).get("p99_ms", float("inf"))

    ordered = sorted(reports, key=p99)
    return ordered[(len(ordered) - 1) // 2]


def fmt(value, digits=1):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def ratio(ours, theirs):
    """This server's figure divided by another server's."""
    if not ours or not theirs:
        return "—"
    return f"{ours / theirs:.2f}×"


def live_table(results, scenario):
    repeated = repeats(results, scenario)
    every = {key: runs(results, scenario, key) for key, _ in SERVERS}
    chosen = {key: median_run(reports) for key, reports in every.items()}
    base = chosen["ours"]
    rows = [
        "| server | p50 ms | p99 ms | p99.9 ms | max ms | sent/s | delivered/s | errors | disconnects | peak RSS MiB | CPU % of a core | delivered/s: this server ÷ this row | p99: this server ÷ this row |"
        + (" p99 ms of each run |" if repeated else ""),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if repeated else ""),
    ]
    for key, name in SERVERS:
        r = chosen[key]
        each = ""
        if repeated:
            each = " " + ", ".join(
                fmt(run["latency"]["p99_ms"], 2) if "latency" in run else "failed"
                for run in every[key]
            ) + " |"
        if isinstance(r.get("failed"), str):
            rows.append(f"| {name} | failed: {r['failed']} |" + " |" * 12 + each)
            continue
        lat = r["latency"]
        server = r.get("server", {})
        rows.append(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                name,
                fmt(lat["p50_ms"], 2),
                fmt(lat["p99_ms"], 2),
                fmt(lat["p999_ms"], 2),
                fmt(lat["max_ms"], 2),
                fmt(r["sent_per_sec"], 0),
                fmt(r["delivered_per_sec"], 0),
                r["errors"],
                r["disconnects"],
                fmt(server.get("peak_rss_bytes", 0) / 2**20, 0),
                fmt(server.get("cpu_percent"), 0),
                ratio(base.get("delivered_per_sec"), r["delivered_per_sec"]),
                ratio(base.get("latency", {}).get("p99_ms"), lat["p99_ms"]),
            )
            + each
        )
    params = next(
        (r for r in chosen.values() if not isinstance(r.get("failed"), str)),
        {},
    )
    head = ""
    if params:
        head = (
            f"{params['workshops']} workshop(s) × {params['participants']} participants, "
            f"one {params['edit']} edit every {params['interval_ms']} ms each, measured for "
            f"{params['measured_secs']:.0f} s after a warm-up.\n\n"
        )
    if repeated:
        head += (
            f"A tail figure on a shared machine moves by milliseconds from one run to the next, "
            f"so every server runs this scenario {repeated} times, each on a fresh "
            f"server: each row is its median run by p99, and the last column gives every "
            f"run's p99.\n\n"
        )
    return head + "\n".join(rows)


# The two sweeps of run.sh: the hot plenary at rising rates (scenario 2) and many workshops at
# rising counts (scenario 1). Each: the prefix of its reports, its p99 limit in ms, what a
# step varies, and how many edits/s a step sends at a given step value.
SWEEPS = {
    "2": {
        "prefix": "2-sweep-",
        "limit_ms": 50,
        "step": "edits/s",
        "best": "highest edits/s with p99 ≤ 50 ms",
        "rate": lambda value, participants: value,
        "describe": lambda participants: (
            f"The same plenary ({participants} participants, vote edits) at rising total rates, "
            "each step on a fresh server (warm-up, then measured), until a step's p99 passes "
            "50 ms, it cannot send at its rate, or it has errors or disconnects. A step that "
            "misses is run once more and the second run is the one shown, so the sweep ends "
            "where a load misses twice."
        ),
    },
    "1": {
        "prefix": "1-sweep-",
        "limit_ms": 25,
        "step": "workshops",
        "best": "most workshops with p99 ≤ 25 ms",
        "rate": lambda value, participants: value * participants,
        "describe": lambda participants: (
            f"Scenario 1 at rising numbers of workshops ({participants} participants each, one "
            "vote edit a second each), each step on a fresh server (warm-up, then measured), "
            "until a step's p99 passes 25 ms, it cannot send at its rate, or it has errors or "
            "disconnects (a step that misses is run once more and the second run is the one "
            "shown): how many workshops each server holds within the target on this machine."
        ),
    },
}


def sweep_steps(results, server, prefix):
    """A sweep's steps for one server, by step value: {value: report}."""
    steps = {}
    suffix = f"--{server}.json"
    for name in os.listdir(results):
        if name.startswith(prefix) and name.endswith(suffix):
            value = name[len(prefix):-len(suffix)]
            if value.isdigit():
                steps[int(value)] = load(results, f"{prefix}{value}", server)
    return dict(sorted(steps.items()))


def passed(report, rate, limit_ms):
    """Whether a sweep step held its rate within the limit (the rule of run.sh's sweeps)."""
    return (
        "latency" in report
        and report["latency"]["p99_ms"] <= limit_ms
        and report["errors"] == 0
        and report["disconnects"] == 0
        and report["sent_per_sec"] >= 0.9 * rate
    )


def sweep_best(results, which):
    """A sweep's steps per server, its participants per workshop, and each server's best step
    (None where no step held, or no sweep was run)."""
    sweep = SWEEPS[which]
    steps = {key: sweep_steps(results, key, sweep["prefix"]) for key, _ in SERVERS}
    participants = next(
        (r["participants"] for s in steps.values() for r in s.values() if "participants" in r),
        None,
    )

    def held(value, report):
        return passed(report, sweep["rate"](value, participants), sweep["limit_ms"])

    best = {
        key: max((value for value, r in s.items() if held(value, r)), default=None)
        for key, s in steps.items()
    }
    return steps, participants, best


def sweep_table(results, which):
    sweep = SWEEPS[which]
    steps, participants, best = sweep_best(results, which)
    if participants is None:
        return "No sweep was run."
    rows = [
        sweep["describe"](participants),
        "",
        f"| server | {sweep['best']} | p99 there, ms | delivered/s there | next step: {sweep['step']}, p99 ms | this server ÷ this row |",
        "|---|---|---|---|---|---|",
    ]
    for key, name in SERVERS:
        value = best[key]
        s = steps[key]
        higher = [v for v in s if value is None or v > value]
        nxt = "—"
        if higher:
            failed = s[higher[0]]
            nxt = f"{higher[0]:,}: " + (
                fmt(failed["latency"]["p99_ms"], 1) if "latency" in failed else str(failed.get("failed"))
            )
        at = s.get(value, {})
        rows.append(
            "| {} | {} | {} | {} | {} | {} |".format(
                name,
                f"{value:,}" if value else "none",
                fmt(at.get("latency", {}).get("p99_ms"), 1),
                fmt(at.get("delivered_per_sec"), 0),
                nxt,
                ratio(best["ours"], value),
            )
        )
    values = sorted({value for s in steps.values() for value in s})
    rows += ["", "p99 in ms at every step:", ""]
    rows.append(f"| {sweep['step']} | " + " | ".join(name for _, name in SERVERS) + " |")
    rows.append("|---|" + "---|" * len(SERVERS))
    for value in values:
        cells = []
        for key, _ in SERVERS:
            r = steps[key].get(value)
            if r is None:
                cells.append("")
            elif "latency" in r:
                cells.append(fmt(r["latency"]["p99_ms"], 1))
            else:
                cells.append("failed")
        rows.append(f"| {value:,} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


SMALL_PREFIX = "7-small-"


def small_runs(results, server):
    """The rising-rate sweeps of many small rooms for one server: {run: {edits/s: report}}."""
    found = {}
    suffix = f"--{server}.json"
    for name in os.listdir(results):
        if name.startswith(SMALL_PREFIX) and name.endswith(suffix):
            middle = name[len(SMALL_PREFIX):-len(suffix)]
            run, _, rate = middle.partition("-")
            if run.isdigit() and rate.isdigit():
                found.setdefault(int(run), {})[int(rate)] = load(results, f"{SMALL_PREFIX}{middle}", server)
    return {run: dict(sorted(steps.items())) for run, steps in sorted(found.items())}


def small_best(results):
    """Each server's highest held rate in each of its sweeps: {server: [rate or None, ...]}."""
    best = {}
    for key, _ in SERVERS:
        best[key] = [
            max((rate for rate, r in steps.items() if passed(r, rate, 50)), default=None)
            for steps in small_runs(results, key).values()
        ]
    return best


def median(values):
    values = sorted(v or 0 for v in values)
    return values[(len(values) - 1) // 2] if values else None


def small_table(results):
    best = small_best(results)
    if not any(best.values()):
        return "No sweep was run."
    rows = [
        "20 workshops × 10 participants, vote edits, at rising rates (edits/s over the whole "
        "run), each step on a fresh server (warm-up, then measured), until a step's p99 passes "
        "50 ms, it cannot send at its rate, or it has errors or disconnects (a step that misses "
        "is run once more, and the second run is the one judged). The step test is noisy on a "
        "shared machine, so each server runs it three times.",
        "",
        "| server | highest edits/s with p99 ≤ 50 ms, each sweep | median | p99 ms at each step, per sweep |",
        "|---|---|---|---|",
    ]
    for key, name in SERVERS:
        sweeps = small_runs(results, key)
        if not sweeps:
            continue
        steps = "; ".join(
            ", ".join(
                f"{rate:,}: " + (fmt(r["latency"]["p99_ms"], 1) if "latency" in r else "failed")
                for rate, r in s.items()
            )
            for s in sweeps.values()
        )
        each = ", ".join(f"{v:,}" if v else "none" for v in best[key])
        rows.append(f"| {name} | {each} | {fmt(median(best[key]), 0)} | {steps} |")
    return "\n".join(rows)


def flush_probe(results):
    """The disk's own flush latency, measured in the same run (`workshop-flush-probe`)."""
    try:
        with open(os.path.join(results, "flush-probe.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def lean_targets_table(results):
    """The targets for lean rooms: the 100 × 10 case against the lowest peer, capacity,
    many small rooms, idle costs and the durable burst against the disk's own flush."""

    def verdict(ok):
        if ok is None:
            return "no figure"
        return "yes" if ok else "**no**"

    names = dict(SERVERS)
    rows = ["| target | this server's figure | met |", "|---|---|---|"]
    small = {key: load(results, "0-small-rooms", key) for key, _ in SERVERS}
    ours = small["ours"]
    server = ours.get("server", {})
    peers = {key: small[key] for key in PEERS if "latency" in small[key]}
    case = (
        f"{ours['workshops']} × {ours['participants']} × 1 edit/s"
        if "workshops" in ours
        else "Many small rooms"
    )

    def lowest(field):
        figures = [(r["server"][field], key) for key, r in peers.items() if field in r.get("server", {})]
        return min(figures) if figures else (None, None)

    # (what, field of the server sample, how a figure is shown, a note on the lowest)
    for what, field, show, note in (
        ("CPU", "cpu_percent", lambda v: f"{fmt(v, 0)}% of a core", lambda v: f" (half of it: {fmt(v / 2, 0)}%)"),
        ("peak RSS", "peak_rss_bytes", lambda v: f"{fmt(v / 2**20, 0)} MiB", lambda v: ""),
    ):
        low, low_peer = lowest(field)
        if field in server and low is not None:
            figure = f"{show(server[field])}; lowest peer {names[low_peer]} {show(low)}{note(low)}"
            ok = server[field] <= low
        else:
            figure, ok = "failed", None
        rows.append(f"| {case}: {what} ≤ the lowest peer's | {figure} | {verdict(ok)} |")
    probe = flush_probe(results).get("p99_ms")
    relays = [small[key]["latency"]["p99_ms"] for key in ("y-websocket", "hocuspocus") if "latency" in small[key]]
    p99 = ours.get("latency", {}).get("p99_ms")
    if p99 is not None and len(relays) == 2 and probe is not None:
        bound = max(relays) + probe
        figure = f"{fmt(p99, 2)} ms; bound {fmt(max(relays), 2)} + {fmt(probe, 2)} (flush p99) = {fmt(bound, 2)} ms"
        ok = p99 <= bound
    else:
        figure, ok = "failed", None
    rows.append(
        f"| {case}: p99 ≤ the higher of @y/websocket-server's and Hocuspocus's + "
        f"the disk's flush p99 | {figure} | {verdict(ok)} |"
    )
    _, _, most = sweep_best(results, "1")
    if most["ours"] and most["y-websocket"]:
        figure = f"{most['ours']} workshops; @y/websocket-server {most['y-websocket']}"
        ok = most["ours"] >= 2 * most["y-websocket"]
    else:
        figure = f"{most['ours'] or 'none'} workshops; @y/websocket-server {most['y-websocket'] or 'none'}"
        ok = None if not most["y-websocket"] else False
    rows.append(f"| Scenario 1 capacity (p99 ≤ 25 ms) ≥ 2× @y/websocket-server's | {figure} | {verdict(ok)} |")
    best = small_best(results)
    ours_small = median(best["ours"]) if best["ours"] else None
    peer_small = [(median(best[key]), key) for key in PEERS if best[key]]
    if ours_small is not None and peer_small:
        top, top_key = max(peer_small)
        figure = f"{ours_small:,} edits/s (median of 3); best peer {names[top_key]} {top:,}"
        ok = ours_small >= top
    else:
        figure, ok = "failed", None
    rows.append(f"| Many small rooms at rising rates: highest edits/s with p99 ≤ 50 ms ≥ the best peer's | {figure} | {verdict(ok)} |")
    per = load(results, "6-idle-connections", "ours").get("bytes_per_connection")
    rows.append(
        "| Idle connection ≤ 5 KiB | "
        + (f"{fmt(per / 1024, 1)} KiB" if per is not None else "failed")
        + f" | {verdict(None if per is None else per <= 5 * 1024)} |"
    )
    idle = {}
    try:
        with open(os.path.join(results, "idle-rooms.json")) as f:
            idle = json.load(f)
    except (OSError, ValueError):
        pass
    kib = idle.get("kib_per_workshop")
    rows.append(
        "| A loaded idle workshop (template, no clients) ≤ 150 KiB | "
        + (f"{kib} KiB ({idle['workshops']} workshops, `tests/bench/idle-rooms.sh`)" if kib is not None else "failed")
        + f" | {verdict(None if kib is None else kib <= 150)} |"
    )
    bursts = runs(results, "3-durable-burst", "ours")
    p99 = median_run(bursts).get("latency", {}).get("p99_ms")
    if p99 is not None and probe is not None:
        figure = f"{fmt(p99, 2)} ms (median of {len(bursts)} runs); bound {fmt(probe, 2)} + 2 = {fmt(probe + 2, 2)} ms"
        ok = p99 <= probe + 2
    else:
        figure, ok = "failed", None
    rows.append(f"| Scenario 3: durable burst p99 ≤ the disk's flush p99 + 2 ms | {figure} | {verdict(ok)} |")
    return "\n".join(rows)


def idle_table(results, scenario):
    rows = [
        "| server | connections open | refused | RSS before MiB | RSS after MiB | KiB per connection |",
        "|---|---|---|---|---|---|",
    ]
    for key, name in SERVERS:
        r = load(results, scenario, key)
        if isinstance(r.get("failed"), str):
            rows.append(f"| {name} | failed: {r['failed']} | | | | |")
            continue
        per = r.get("bytes_per_connection")
        rows.append(
            "| {} | {} | {} | {} | {} | {} |".format(
                name,
                r["open"],
                r["refused"],
                fmt((r.get("rss_before_bytes") or 0) / 2**20, 0),
                fmt((r.get("rss_after_bytes") or 0) / 2**20, 0),
                fmt(per / 1024 if per is not None else None, 1),
            )
        )
    return "\n".join(rows)


def targets_table(results):
    """Each target of the performance issue, this server's figure (recompute and durability
    on) and whether it was met, from the same reports as the tables below."""

    def verdict(ok):
        if ok is None:
            return "no figure"
        return "yes" if ok else "**no**"

    rows = [
        "| target | this server's figure | met |",
        "|---|---|---|",
    ]
    full = median_run(runs(results, "1-many-workshops", "ours"))
    p99 = full.get("latency", {}).get("p99_ms")
    _, _, most = sweep_best(results, "1")
    held = ", ".join(
        f"{name.split()[0]} {most[key] or 'none'}"
        for key, name in SERVERS
        if key in ("y-websocket", "hocuspocus")
    )
    rows.append(
        "| Scenario 1 (500 × 20): edit-to-peer p99 ≤ 25 ms | "
        + (f"{fmt(p99, 1)} ms" if p99 is not None else "failed")
        + f"; most workshops within 25 ms: {most['ours'] or 'none'} ({held})"
        + f" | {verdict(None if p99 is None else p99 <= 25)} |"
    )
    _, _, best = sweep_best(results, "2")
    peers = [(name, best[key]) for key, name in SERVERS if key in ("y-websocket", "hocuspocus")]
    if best["ours"] and all(value for _, value in peers):
        figure = f"{best['ours']:,} edits/s: " + ", ".join(
            f"{best['ours'] / value:.1f}× {name.split()[0]}" for name, value in peers
        )
        ok = all(best["ours"] >= 3 * value for _, value in peers)
    else:
        figure, ok = "a sweep without a held step", None
    rows.append(f"| Sustained edits/s at p99 ≤ 50 ms: 3× each peer | {figure} | {verdict(ok)} |")
    bursts = runs(results, "3-durable-burst", "ours")
    p99 = median_run(bursts).get("latency", {}).get("p99_ms")
    rows.append(
        "| Scenario 3: durable-before-relay p99 ≤ 10 ms | "
        + (f"{fmt(p99, 2)} ms (median of {len(bursts)} runs)" if p99 is not None else "failed")
        + f" | {verdict(None if p99 is None else p99 <= 10)} |"
    )
    cold = load(results, "4-cold-load", "ours")
    stored = (cold.get("stored") or {}).get("stored_bytes")
    state = cold.get("state_bytes")
    loaded = cold.get("load_ms")
    if loaded is not None and stored and state:
        figure = f"{fmt(loaded, 1)} ms; {stored / state:.2f}×"
        ok = loaded <= 50 and stored <= 1.1 * state
    else:
        figure, ok = "failed", None
    rows.append(f"| Scenario 4: load ≤ 50 ms; stored ≤ 1.1× the encoded state | {figure} | {verdict(ok)} |")
    merged = load(results, "5-offline-return", "ours").get("merged_ms")
    rows.append(
        "| Scenario 5: merged ≤ 200 ms | "
        + (f"{fmt(merged, 1)} ms" if merged is not None else "failed")
        + f" | {verdict(None if merged is None else merged <= 200)} |"
    )
    per = load(results, "6-idle-connections", "ours").get("bytes_per_connection")
    rows.append(
        "| Scenario 6: ≤ 16 KiB per idle connection | "
        + (f"{fmt(per / 1024, 1)} KiB" if per is not None else "failed")
        + f" | {verdict(None if per is None else per <= 16 * 1024)} |"
    )
    rows.append(
        "| Recompute of a default workshop with 50 participants' votes: median ≤ 200 µs | "
        "measured by `cargo bench -p workshop-shared --bench recompute`, not by this run: see "
        "docs/performance.md | — |"
    )
    return "\n".join(rows)


def main():
    if sys.argv[1] == "held":
        with open(sys.argv[2]) as file:
            report = json.load(file)
        sys.exit(0 if passed(report, float(sys.argv[4]), float(sys.argv[3])) else 1)
    results, scale, command = sys.argv[1], sys.argv[2], sys.argv[3]
    out = []
    out.append("# Benchmarks")
    out.append("")
    out.append(
        "Load scenarios run by one harness in one invocation against this server and the Yjs "
        "servers users compare it with. Every figure below was measured by that run; none is "
        "edited by hand."
    )
    out.append("")
    out.append(f"- Date: {datetime.date.today().isoformat()}")
    out.append(f"- Machine: {machine()}; the servers and the load generator share it.")
    out.append(f"- Command: `{command}` (scale: {scale})")
    out.append(
        "- Load generator: `workshop-load` (`tests/src/bin/workshop-load/`), y-sync over "
        "tokio-tungstenite with TCP_NODELAY; each edit carries the time it was sent, read by "
        "every other participant of its workshop (HDR histogram). Against this server the "
        "participants join with the workshop's facilitator token; the peers start rooms empty "
        "and the first participant writes the workshop template into each (y-sweet's documents "
        "are first created with its `POST /doc/new`)."
    )
    out.append(
        "- Server memory and CPU: sampled from `/proc/<pid>` every 0.5 s while measuring "
        "(CPU as a percentage of one core)."
    )
    out.append(
        "- Ratios divide this server's figure (recompute and durability on) by the row's: "
        "a p99 ratio above 1 means this server was slower, a delivered/s ratio above 1 that "
        "it delivered more."
    )
    out.append("")
    out.append("## Targets")
    out.append("")
    out.append("### Lean rooms")
    out.append("")
    out.append(
        "This server with recompute and durability on against the other servers, which do "
        "neither; no target is met by turning a feature off."
    )
    out.append("")
    out.append(lean_targets_table(results))
    out.append("")
    out.append("### Scenarios")
    out.append("")
    out.append(targets_table(results))
    out.append("")
    for key, title, target in SCENARIOS:
        out.append(f"## {title}")
        out.append("")
        out.append(f"Target: {target}.")
        out.append("")
        table = {
            "4": cold_table,
            "5": return_table,
            "6": idle_table,
        }.get(key[0], live_table)
        out.append(table(results, key))
        out.append("")
        if key[0] == "0":
            probe = flush_probe(results)
            if probe:
                out.append(
                    f"The disk's own flush, probed in the same run (`workshop-flush-probe`: "
                    f"{probe['flushes']:,} appends of 256 bytes, each followed by fdatasync): "
                    f"p50 {fmt(probe['p50_ms'], 2)} ms, p99 {fmt(probe['p99_ms'], 2)} ms, max "
                    f"{fmt(probe['max_ms'], 2)} ms."
                )
                out.append("")
            out.append("### Rising rates")
            out.append("")
            out.append(small_table(results))
            out.append("")
        if key[0] in SWEEPS:
            out.append("### Sustained rate" if key[0] == "2" else "### Capacity")
            out.append("")
            out.append(sweep_table(results, key[0]))
            out.append("")
    # Written by tests/bench/redis.sh, which runs apart from the scenarios above.
    redis_section = Path(__file__).with_name("redis.md")
    if redis_section.exists():
        out.append(redis_section.read_text().rstrip("\n"))
        out.append("")
    out.append("## Recompute")
    out.append("")
    out.append(
        "The engine alone is measured by `cargo bench -p workshop-shared --bench recompute` "
        "(criterion); its latest figures are in docs/performance.md, \"Engine\"."
    )
    print("\n".join(out))


if __name__ == "__main__":
    main()
