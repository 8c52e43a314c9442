#!/usr/bin/env python3
"""Turns run.sh's results.jsonl into Markdown tables.

    report.py build-bench/bench-results/<date>/results.jsonl

The first table has one row per proxy and one column per metric, and a last
row with tlsgate's value divided by the best peer's (below 1.00 is better
for every column except the two rates). The second checks tlsgate against
the targets in SPEC.md.
"""

import json
import sys

# (phase, metric, heading, lower is better)
COLUMNS = [
    ("handshake_rsa", "cpu_us_per_handshake", "RSA handshake µs CPU", True),
    ("handshake_ecdsa", "cpu_us_per_handshake", "ECDSA handshake µs CPU", True),
    ("small", "requests_per_s", "small req/s", False),
    ("small", "p50_us", "small p50 µs", True),
    ("small", "p99_us", "small p99 µs", True),
    ("small", "cpu_us_per_request", "small µs CPU/req", True),
    ("bulk", "mbytes_per_s", "bulk MB/s", False),
    ("bulk", "cpu_ns_per_byte", "bulk ns CPU/byte", True),
    ("idle", "rss_kb_per_connection", "idle kB RSS/conn", True),
]

PROXY_ORDER = ["tlsgate", "tlsgate-at-once", "stunnel", "hitch", "haproxy"]

# (phase, metric, target description, check against the value and best peer)
TARGETS = [
    ("handshake_rsa", "cpu_us_per_handshake", "less CPU than every peer",
     lambda v, peer: peer is not None and v < peer),
    ("handshake_ecdsa", "cpu_us_per_handshake", "less CPU than every peer",
     lambda v, peer: peer is not None and v < peer),
    ("small", "cpu_us_per_request", "≤ 15 µs per request", lambda v, peer: v <= 15.0),
    ("bulk", "cpu_ns_per_byte", "≤ 1.0 ns per byte", lambda v, peer: v <= 1.0),
    ("idle", "rss_kb_per_connection", "≤ 10 kB per connection", lambda v, peer: v <= 10.0),
]


def load(path):
    values = {}
    extra = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            values[(r["proxy"], r["phase"], r["metric"])] = r["value"]
            if r["phase"].startswith("scaling") or r["phase"] == "floor" or r["metric"] == "errors":
                extra.append(r)
    return values, extra


def fmt(value):
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def best_peer(values, proxies, phase, metric, lower):
    peers = [(values[(p, phase, metric)], p) for p in proxies
             if not p.startswith("tlsgate") and values.get((p, phase, metric)) is not None]
    if not peers:
        return None, None
    return min(peers) if lower else max(peers)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py results.jsonl")
    values, extra = load(sys.argv[1])
    present = {k[0] for k in values}
    proxies = [p for p in PROXY_ORDER if p in present]
    columns = [c for c in COLUMNS if any((p, c[0], c[1]) in values for p in proxies)]

    print("| proxy | " + " | ".join(c[2] for c in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for p in proxies:
        cells = [fmt(values.get((p, c[0], c[1]))) for c in columns]
        print(f"| {p} | " + " | ".join(cells) + " |")
    if "tlsgate" in proxies and len(proxies) > 1:
        cells = []
        for phase, metric, _, lower in columns:
            ours = values.get(("tlsgate", phase, metric))
            peer, name = best_peer(values, proxies, phase, metric, lower)
            if ours is None or not peer:
                cells.append("–")
            else:
                cells.append(f"{ours / peer:.2f} ({name})")
        print("| **tlsgate ÷ best peer** | " + " | ".join(cells) + " |")

    if "tlsgate" in proxies:
        print()
        print("| target | tlsgate | best peer | met |")
        print("|---|---:|---:|:---:|")
        for phase, metric, text, check in TARGETS:
            ours = values.get(("tlsgate", phase, metric))
            if ours is None:
                continue
            peer, name = best_peer(values, proxies, phase, metric, True)
            heading = next(c[2] for c in COLUMNS if c[0] == phase and c[1] == metric)
            peer_text = f"{fmt(peer)} ({name})" if peer is not None else "–"
            if phase.startswith("handshake") and peer is None:
                met = "–"  # no peer measured to compare with
            else:
                met = "yes" if check(ours, peer) else "**no**"
            print(f"| {heading}: {text} | {fmt(ours)} | {peer_text} | {met} |")

    if extra:
        print()
        for r in extra:
            print(f"- {r['proxy']} {r['phase']} {r['metric']}: {fmt(r['value'])} {r['unit']}")


if __name__ == "__main__":
    main()
