#!/usr/bin/env python3
"""Writes bench/RESULTS.md (markdown, on stdout) from one
bench/results/<date>.json, and its charts as PNG files drawn by gnuplot into
bench/results/<date>-*.png, linked from RESULTS.md by paths relative to
bench/. Without gnuplot the tables are written all the same and RESULTS.md
says the charts were skipped.

    report.py RESULTS_JSON [OLDER_JSON...]   (older: sizes this run lacks)
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
CHARTS_DIR = os.path.join(BENCH_DIR, "results")

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

# Short x-axis names of the RPCS.
RPC_TICKS = {
    "GetOverview": "GetOverview",
    "GetTimeseries_day": "GetTimeseries\n90 days by day",
    "GetBreakdown_page_top10": "GetBreakdown\npage top 10",
    "GetBreakdown_referrer_top10": "GetBreakdown\nreferrer top 10",
    "GetBreakdown_entry_page_top10": "GetBreakdown\nentry_page top 10",
}
BLUES = ["#6baed6", "#2171b5", "#08306b"]
ORANGES = ["#fdae6b", "#e6550d", "#7f2704"]
GREEN = "#31a354"
GREY = "#969696"
TARGET = "#d62728"


def gp_str(text):
    """A gnuplot double-quoted string (newlines become line breaks)."""
    return '"%s"' % (str(text).replace("\\", "\\\\").replace('"', '\\"')
                     .replace("\n", "\\n"))


def size_name(events):
    for div, unit in ((1000000, "M"), (1000, "k")):
        if events >= div and events % div == 0:
            return "%d%s" % (events // div, unit)
    return f"{events:,}"


def ms_label(v):
    return "%.1f" % v if v < 10 else f"{v:,.0f}"


class Charts:
    """Bar charts with target lines, drawn by gnuplot from data in temporary
    files into CHARTS_DIR. bars() returns the chart's markdown image link, or
    None when it could not be drawn (note() then says why, for RESULTS.md)."""

    def __init__(self, stem):
        self.stem = stem
        self.skipped = None
        self.failed = []
        self.gnuplot = shutil.which("gnuplot")
        self.terminal = None
        if not self.gnuplot:
            self.skipped = ("gnuplot is not installed (`./scripts/bench` "
                            "installs gnuplot-nox)")
            return
        try:
            p = subprocess.run([self.gnuplot, "-e", "print GPVAL_TERMINALS"],
                               capture_output=True, text=True, timeout=60)
            terminals = (p.stdout + p.stderr).split()
        except (OSError, subprocess.SubprocessError) as e:
            terminals = []
            sys.stderr.write("report.py: gnuplot does not run: %s\n" % e)
        if "pngcairo" in terminals:
            self.terminal = ('pngcairo size 1200,560 font "DejaVu Sans,11" '
                             'noenhanced')
        elif "png" in terminals:
            self.terminal = "png size 1200,560 noenhanced"
        else:
            self.skipped = "this gnuplot has no PNG terminal"

    def note(self):
        if self.skipped:
            return "Charts skipped: %s.\n" % self.skipped
        if self.failed:
            return ("Charts not drawn (gnuplot failed, see its messages on "
                    "stderr): %s.\n" % ", ".join(self.failed))
        return None

    def bars(self, name, alt, title, ylabel, series, xtics, targets=(),
             log=False):
        """series: [(title, colour, [(x, width, y, label)])];
        targets: [(title, colour, [(x_from, x_to, y)])], drawn dashed;
        xtics: [(x, text)]. Returns the image link or None."""
        if self.skipped or not self.terminal:
            return None
        values = [y for _, _, pts in series for _, _, y, _ in pts]
        values += [y for _, _, segs in targets for _, _, y in segs]
        if not values:
            return None
        top = max(values)
        if log:
            # A decade below the smallest value, so nothing sits on the axis.
            lo = 10 ** math.floor(math.log10(
                0.5 * min([v for v in values if v > 0] or [1])))
            hi = max(top, lo) * 4
        else:
            lo, hi = 0, max(top, 1) * 1.18
        xs = [x for x, _ in xtics]
        png = os.path.join(CHARTS_DIR, "%s-%s.png" % (self.stem, name))
        with tempfile.TemporaryDirectory(prefix="bench-chart-") as tmp:
            plots, labels = [], []  # labels last: above bars and targets
            for i, (stitle, colour, pts) in enumerate(series):
                if not pts:
                    continue
                dat = os.path.join(tmp, "series%d.dat" % i)
                with open(dat, "w") as f:
                    for x, w, y, label in pts:
                        f.write("%r %r %r %r %r %r %s\n" % (
                            x, y, x - w / 2, x + w / 2, lo, y, gp_str(label)))
                plots.append("%s using 1:2:3:4:5:6 with boxxyerror "
                             "fillcolor rgb %s lc rgb '#404040' title %s" % (
                                 gp_str(dat), gp_str(colour), gp_str(stitle)))
                labels.append("%s using 1:2:7 with labels boxed offset 0,0.8 "
                              "font ',9' notitle" % gp_str(dat))
            for i, (ttitle, colour, segs) in enumerate(targets):
                dat = os.path.join(tmp, "target%d.dat" % i)
                with open(dat, "w") as f:
                    for x0, x1, y in segs:
                        f.write("%r %r\n%r %r\n\n" % (x0, y, x1, y))
                plots.append("%s using 1:2 with lines dt 2 lw 2.5 lc rgb %s "
                             "title %s" % (gp_str(dat), gp_str(colour),
                                           gp_str(ttitle)))
            out = os.path.join(tmp, "chart.png")
            script = [
                "set terminal " + self.terminal,
                "set encoding utf8",
                "set output " + gp_str(out),
                "set title " + gp_str(title),
                "set ylabel " + gp_str(ylabel),
                "set xrange [%r:%r]" % (min(xs) - 0.6, max(xs) + 0.6),
                "set yrange [%r:%r]" % (lo, hi),
                "set xtics (%s) nomirror scale 0" % ", ".join(
                    "%s %r" % (gp_str(t), x) for x, t in xtics),
                "set ytics nomirror",
                "set format y " + gp_str("%g" if log else "%.0f"),
                "set grid ytics lc rgb '#dddddd'",
                "set style fill solid 0.9 border",
                "set style textbox opaque noborder margins 1,1",
                # Right of the plot: below it would overlap the two-line x
                # labels, which gnuplot's own bottom margin cuts off.
                "set key outside right top vertical Left reverse",
                "set bmargin %d" % (2 + max(t.count("\n") + 1
                                            for _, t in xtics)),
                "set logscale y" if log else "unset logscale y",
                "plot " + ", \\\n  ".join(plots + labels),
            ]
            gp = os.path.join(tmp, "chart.gp")
            with open(gp, "w") as f:
                f.write("\n".join(script) + "\n")
            try:
                p = subprocess.run([self.gnuplot, gp], capture_output=True,
                                   text=True, timeout=120)
                ok = p.returncode == 0 and os.path.getsize(out) > 0
                msg = p.stderr
            except (OSError, subprocess.SubprocessError) as e:
                ok, msg = False, str(e)
            if msg.strip():
                sys.stderr.write("report.py: gnuplot, %s: %s\n"
                                 % (name, msg.strip()))
            if not ok:
                self.failed.append(name)
                return None
            os.makedirs(CHARTS_DIR, exist_ok=True)
            shutil.move(out, png)
        return "![%s](%s)\n" % (alt, os.path.relpath(png, BENCH_DIR))


def run_name(run):
    """'1M events', or '10M (2026-12-01.json)' when from an older file."""
    if "from" in run:
        return "%s (%s)" % (size_name(run["events"]),
                            run["from"].split(" ")[0])
    return "%s events" % size_name(run["events"])


def query_chart(charts, runs):
    with_scan = [run for run in runs
                 if any("scan_median_ms" in v
                        for v in run["queries"]["rpcs"].values())]
    slots = len(runs) + len(with_scan)
    width = 0.84 / slots
    series = []

    def x(i, slot):
        return i + (slot - (slots - 1) / 2.0) * width
    for j, run in enumerate(runs):
        rpcs = run["queries"]["rpcs"]
        series.append(("p50, %s" % run_name(run), BLUES[j % len(BLUES)], [
            (x(i, j), width, rpcs[key]["p50_ms"],
             ms_label(rpcs[key]["p50_ms"]))
            for i, (key, _) in enumerate(RPCS) if key in rpcs]))
    for j, run in enumerate(with_scan):
        rpcs = run["queries"]["rpcs"]
        series.append(("raw scan, %s" % run_name(run),
                       ORANGES[j % len(ORANGES)], [
            (x(i, len(runs) + j), width, rpcs[key]["scan_median_ms"],
             ms_label(rpcs[key]["scan_median_ms"]))
            for i, (key, _) in enumerate(RPCS)
            if "scan_median_ms" in rpcs.get(key, {})]))
    return charts.bars(
        "query-latency",
        "Query latency p50 per RPC and data size against the raw scan, "
        "log scale, with the %g ms target" % TARGET_MS,
        "Query latency p50 (client-side, loopback) and the raw-scan median",
        "milliseconds (log scale)", series,
        [(i, RPC_TICKS.get(key, name)) for i, (key, name) in enumerate(RPCS)],
        [("target: p50 <= %g ms" % TARGET_MS, TARGET,
          [(-0.6, len(RPCS) - 0.4, TARGET_MS)])], log=True)


def ingest_chart(charts, ing):
    ceiling = ing["ceiling_events_per_s"]

    def label(v):
        return "%s (%.0f%%)" % (f"{v:,.0f}", 100.0 * v / ceiling
                                if ceiling else 0)
    b100, b1 = ing["batch100_events_per_s"], ing["batch1_events_per_s"]
    return charts.bars(
        "ingest", "Ingest throughput: pgbench ceiling, batches of 100 and of "
        "1, with the 50%-of-ceiling and 5,000 events/s targets",
        "Ingest throughput (median of %d runs of %d s)"
        % (ing["runs"], ing["seconds"]),
        "events/s accepted", [
            ("pgbench ceiling (SQL, 8 clients)", GREY,
             [(0, 0.6, ceiling, f"{ceiling:,.0f}")]),
            ("Ingest via gRPC", BLUES[1],
             [(1, 0.6, b100, label(b100)), (2, 0.6, b1, label(b1))])],
        [(0, "pgbench ceiling"),
         (1, "Ingest, batches of 100\n(%d in flight)"
          % ing["batch100_concurrency"]),
         (2, "Ingest, batches of 1\n(%d in flight)"
          % ing["batch1_concurrency"])],
        [("target, batches of 100: >= 50%% of the ceiling (%s/s)"
          % f"{0.5 * ceiling:,.0f}", TARGET, [(0.55, 1.45, 0.5 * ceiling)]),
         ("target, batches of 1: >= 5,000/s", "#9467bd",
          [(1.55, 2.45, 5000)])])


def drain_chart(charts, runs, two):
    pts, ticks = [], []
    for run in runs:
        ticks.append((len(ticks), "one reducer\n%s events%s" % (
            size_name(run["events"]), "\n(%s)" % run["from"].split(" ")[0]
            if "from" in run else "")))
        pts.append((ticks[-1][0], 0.6, run["drain_events_per_s"],
                    f"{run['drain_events_per_s']:,}"))
    series = [("one reducer-service", BLUES[1], pts)]
    if two:
        ticks.append((len(ticks), "two reducers\n%s events"
                      % size_name(two["events"])))
        series.append(("two reducer-service replicas", GREEN, [
            (ticks[-1][0], 0.6, two["drain_events_per_s"],
             f"{two['drain_events_per_s']:,}")]))
    if not ticks:
        return None
    return charts.bars(
        "drain", "Reducer drain in events/s per data set, one and two "
        "reducers, with the %s events/s target" % f"{TARGET_DRAIN:,}",
        "Reducer drain of a queued backlog", "events/s reduced", series,
        ticks, [("target: >= %s events/s" % f"{TARGET_DRAIN:,}", TARGET,
                 [(-0.6, len(ticks) - 0.4, TARGET_DRAIN)])])


def mixed_charts(charts, mixed):
    p50, p99 = mixed["freshness_p50_ms"], mixed["freshness_p99_ms"]
    links = [charts.bars(
        "freshness", "Freshness under mixed load, p50 and p99 in ms (log "
        "scale), with the 100 ms and 1 s targets",
        "Freshness under mixed load: acknowledged to counted by GetOverview "
        "(%d samples)" % mixed["freshness_samples"],
        "milliseconds (log scale)",
        [("freshness", BLUES[1], [(0, 0.5, p50, "%s ms" % ms_label(p50)),
                                  (1, 0.5, p99, "%s ms" % ms_label(p99))])],
        [(0, "p50"), (1, "p99")],
        [("target p50: <= 100 ms", TARGET, [(-0.4, 0.4, 100)]),
         ("target p99: <= 1 s", "#9467bd", [(0.6, 1.4, 1000)])], log=True)]
    idle, peak = mixed["idle_rss_kb"], mixed["peak_rss_kb"]
    svcs = ("ingest", "reducer")
    links.append(charts.bars(
        "rss", "Resident memory of both services idle and at peak under "
        "mixed load, with the 64 MB idle and 256 MB load targets",
        "Resident memory (RSS) idle and at peak under mixed load",
        "MB", [
            ("idle", BLUES[0], [(2 * i, 0.7, idle[s] / 1024,
                                 "%.0f MB" % (idle[s] / 1024))
                                for i, s in enumerate(svcs)]),
            ("peak under load", BLUES[2], [(2 * i + 1, 0.7, peak[s] / 1024,
                                            "%.0f MB" % (peak[s] / 1024))
                                           for i, s in enumerate(svcs)])],
        [(2 * i + k, "%s-service\n%s" % (s, ("idle", "peak")[k]))
         for i, s in enumerate(svcs) for k in (0, 1)],
        [("target idle: <= 64 MB", "#9467bd",
          [(2 * i - 0.45, 2 * i + 0.45, 64) for i in range(len(svcs))]),
         ("target under load: <= 256 MB", TARGET,
          [(2 * i + 0.55, 2 * i + 1.45, 256) for i in range(len(svcs))])]))
    return [link for link in links if link]


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
    charts = Charts(os.path.splitext(os.path.basename(path))[0])
    ingest_png = ingest_chart(charts, r["ingest"]) if r.get("ingest") else None
    mixed_pngs = mixed_charts(charts, r["mixed"]) if r.get("mixed") else []
    query_png = query_chart(charts, r["runs"]) if r["runs"] else None
    drain_png = drain_chart(charts, r["runs"], r.get("two_reducers"))
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
    if charts.note():
        out.append(charts.note())
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
        if ingest_png:
            out.append(ingest_png)
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
        out.extend(mixed_pngs)
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
    if query_png:
        out.append(query_png)
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
    if any("drain_runs_s" in run for run in r["runs"]):
        out.append("Sizes up to `BENCH_DRAIN_REPEAT_MAX` events (default "
                   "1,000,000) are drained `BENCH_DRAIN_RUNS` times (default "
                   "3), each time as a new site with the same data, larger "
                   "ones once; the table shows every run and the median.\n")
    else:
        out.append("One drain per size (this run predates repeated "
                   "drains).\n")
    out.append("| events | drain s | runs (s) | events/s | peak RSS MB "
               "| target met |")
    out.append("|---:|---:|---:|---:|---:|---|")
    for run in r["runs"]:
        # Runs before repetitions existed carry one drain and no list.
        runs_s = run.get("drain_runs_s", [run["drain_s"]])
        out.append("| %s | %.1f | %s | %s | %.0f | %s |" % (
            f"{run['events']:,}", run["drain_s"],
            ", ".join("%.1f" % x for x in runs_s),
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
    if drain_png:
        out.append(drain_png)
    # The hand-kept log of changes and their measured effect.
    changes = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "changes.md")
    if os.path.exists(changes):
        with open(changes) as f:
            out.append(f.read().rstrip("\n"))
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
