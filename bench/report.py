#!/usr/bin/env python3
"""Writes bench/RESULTS.md (markdown) from one bench/results/<date>.json."""
import json
import sys

TARGET_MS = 5.0
TARGET_SPEEDUP = 100.0
TARGET_DRAIN = 50000
RPCS = [
    ("GetOverview", "GetOverview"),
    ("GetTimeseries_day", "GetTimeseries (90 days by day)"),
    ("GetBreakdown_page_top10", "GetBreakdown page, top 10"),
    ("GetBreakdown_referrer_top10", "GetBreakdown referrer, top 10"),
    ("GetBreakdown_entry_page_top10", "GetBreakdown entry_page, top 10"),
]


def main(path, older=()):
    with open(path) as f:
        r = json.load(f)
    # Data-set sizes this run did not measure, from older results files
    # (named in the table's run column), e.g. a quick run at 1M only.
    r.setdefault("runs", [])
    for old_path in older:
        with open(old_path) as f:
            old = json.load(f)
        have = {run["events"] for run in r["runs"]}
        for run in old.get("runs", []):
            if run["events"] not in have:
                run["from"] = "%s (%s)" % (old_path.split("/")[-1], old["git"])
                r["runs"].append(run)
    r["runs"].sort(key=lambda run: run["events"])
    m = r["machine"]
    pg = r["postgresql"]
    out = []
    out.append("# Benchmark results\n")
    out.append(
        "Made by `./scripts/bench` (bench/README.md) from `%s` at commit %s, "
        "%s. Every process (PostgreSQL, reducer-service, the client) on one "
        "machine: %s cores, %.0f GiB, %s. PostgreSQL %s, shared_buffers %s "
        "(8 kB pages), work_mem %s kB, synchronous_commit %s, jit %s for the "
        "scans (the services turn it off).\n"
        % (path.split("/")[-1], r["git"], r["date"], m["cores"],
           m["memory_kb"] / 1024 / 1024, m["cpu"], pg.get("server_version"),
           pg.get("shared_buffers"), pg.get("work_mem"),
           pg.get("synchronous_commit"), pg.get("jit")))
    for run in r["runs"]:
        if "from" in run:
            out.append("Rows for %s events come from an earlier run, %s; "
                       "this run did not measure that size.\n"
                       % (f"{run['events']:,}", run["from"]))
    ing = r.get("ingest")
    if ing:
        out.append("## Ingest throughput (scenario 1)\n")
        out.append(
            "`load_generator` (async gRPC, closed loop) against one "
            "ingest-service, median of %d runs of %d s; the ceiling is "
            "pgbench writing the same rows (keys, events, queue entries) 100 "
            "per multi-row statement straight from SQL, 8 clients, in the "
            "same run. Targets: batches of 100 >= 50%% of the ceiling; "
            "batches of 1 >= 5,000 events/s (group commit).\n"
            % (ing["runs"], ing["seconds"]))
        out.append("| workload | events/s | vs ceiling | target met |")
        out.append("|---|---:|---:|---|")
        ceiling = ing["ceiling_events_per_s"]
        out.append("| pgbench ceiling | %s | 100%% | - |" % f"{ceiling:,.0f}")
        for key, name, met in (
                ("batch100_events_per_s",
                 "Ingest, batches of 100 (%d in flight)"
                 % ing["batch100_concurrency"],
                 lambda v: v >= 0.5 * ceiling),
                ("batch1_events_per_s",
                 "Ingest, batches of 1 (%d in flight)"
                 % ing["batch1_concurrency"],
                 lambda v: v >= 5000)):
            v = ing[key]
            out.append("| %s | %s | %.0f%% | %s |" % (
                name, f"{v:,.0f}", 100.0 * v / ceiling if ceiling else 0,
                "yes" if met(v) else "**no**"))
        out.append("")
    mixed = r.get("mixed")
    if mixed:
        out.append("## Mixed load: freshness and memory (scenarios 3, 5)\n")
        out.append(
            "Ingest offered %s events/s (80%% of the batch-of-100 maximum "
            "above) for %d s, batches of 100, to one ingest-service, with one "
            "reducer-service reducing and serving queries; a probe sends one "
            "event at a time to its own site and polls GetOverview until it "
            "is counted (%d samples). Targets: freshness p50 <= 100 ms, p99 "
            "<= 1 s, backlog bounded; RSS <= 256 MB under load, <= 64 MB "
            "idle.\n" % (f"{mixed['rate']:,}", mixed["seconds"],
                         mixed["freshness_samples"]))
        out.append("| figure | value | target met |")
        out.append("|---|---:|---|")
        yes = lambda ok: "yes" if ok else "**no**"
        out.append("| accepted events/s | %s | - |"
                   % f"{mixed['accepted_per_s']:,.0f}")
        out.append("| freshness p50 | %.0f ms | %s |" % (
            mixed["freshness_p50_ms"], yes(mixed["freshness_p50_ms"] <= 100)))
        out.append("| freshness p99 | %.0f ms | %s |" % (
            mixed["freshness_p99_ms"], yes(mixed["freshness_p99_ms"] <= 1000)))
        out.append("| backlog: largest / at the end | %s / %s | %s |" % (
            f"{mixed['max_backlog']:,}", f"{mixed['end_backlog']:,}",
            yes(mixed["end_backlog"] <= max(mixed["rate"], 1))))
        for svc in ("ingest", "reducer"):
            idle = mixed["idle_rss_kb"][svc] / 1024
            peak = mixed["peak_rss_kb"][svc] / 1024
            out.append("| %s-service RSS idle / peak | %.0f / %.0f MB | %s |"
                       % (svc, idle, peak, yes(idle <= 64 and peak <= 256)))
        out.append("")
    out.append("## Query latency (scenario 4)\n")
    out.append(
        "Client-side over one channel on loopback, sequential calls after "
        "warm-up; `scan` is the median of the same numbers computed by "
        "scanning raw events in SQL (count, count distinct) in the same "
        "run. Targets: p50 <= %g ms, >= %gx faster than the scan.\n"
        % (TARGET_MS, TARGET_SPEEDUP))
    out.append("| events | RPC | p50 ms | p99 ms | scan ms | speedup | "
               "target met |")
    out.append("|---:|---|---:|---:|---:|---:|---|")
    for run in r["runs"]:
        q = run["queries"]
        for key, name in RPCS:
            v = q["rpcs"][key]
            scan = v.get("scan_median_ms")
            speed = v.get("speedup")
            met = v["p50_ms"] <= TARGET_MS and (speed is None or
                                                speed >= TARGET_SPEEDUP)
            out.append("| %s | %s | %.2f | %.2f | %s | %s | %s |" % (
                f"{run['events']:,}", name, v["p50_ms"], v["p99_ms"],
                "%.0f" % scan if scan is not None else "-",
                "%.0fx" % speed if speed is not None else "-",
                "yes" if met else "**no**"))
    out.append("")
    agree = all(all(run["queries"]["agree"].values()) for run in r["runs"])
    out.append("The RPCs' numbers agree with the scans (events exactly, "
               "visitors within 2%%): %s.\n" % ("yes" if agree else "**no**"))
    if len(r["runs"]) >= 2:
        a, b = r["runs"][0], r["runs"][-1]
        out.append("Scaling from %s to %s events (target: at most 1.5x the "
                   "latency):\n" % (f"{a['events']:,}", f"{b['events']:,}"))
        for key, name in RPCS:
            ra = a["queries"]["rpcs"][key]["p50_ms"]
            rb = b["queries"]["rpcs"][key]["p50_ms"]
            out.append("- %s: %.2fx" % (name, rb / ra))
        out.append("")
    out.append("## Reducer drain (scenario 2)\n")
    out.append("Events queued in the database, drained by one "
               "reducer-service. Target: >= %s events/s.\n"
               % f"{TARGET_DRAIN:,}")
    out.append("| events | drain s | events/s | peak RSS MB | target met |")
    out.append("|---:|---:|---:|---:|---|")
    for run in r["runs"]:
        out.append("| %s | %.1f | %s | %.0f | %s |" % (
            f"{run['events']:,}", run["drain_s"],
            f"{run['drain_events_per_s']:,}",
            run["reducer_peak_rss_kb"] / 1024,
            "yes" if run["drain_events_per_s"] >= TARGET_DRAIN else "**no**"))
    out.append("")
    two = r.get("two_reducers")
    if two:
        one = next((run for run in r["runs"] if run["events"] == two["events"]),
                   None)
        out.append("Two reducer-service replicas draining the same data set "
                   "again (a new site) at once: %s events in %.1f s, %s "
                   "events/s%s; target %s.\n" % (
                       f"{two['events']:,}", two["drain_s"],
                       f"{two['drain_events_per_s']:,}",
                       " (%.2fx one reducer)" % (two["drain_events_per_s"] /
                                                 one["drain_events_per_s"])
                       if one else "",
                       "met" if two["drain_events_per_s"] >= TARGET_DRAIN
                       else "**not met**"))
    # The hand-kept log of changes and their measured effect.
    import os
    changes = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "changes.md")
    if os.path.exists(changes):
        with open(changes) as f:
            out.append(f.read().rstrip("\n"))
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
