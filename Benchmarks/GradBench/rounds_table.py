#!/usr/bin/python3
"""Summarizes several rounds of compare.sh (one results file per round, the tools interleaved within each round):
for each eval, input, function and tool, the median over the rounds of each round's median time, with the spread
(the lowest and highest round), and the generated tool's gradient against the best of manual and tapenade.

    Benchmarks/GradBench/rounds_table.py results/gmm-round1.jsonl results/gmm-round2.jsonl ...
"""

import json
import statistics
import sys


def main(paths):
    rows = [json.loads(line) for path in paths for line in open(path) if line.strip()]
    tools = list(dict.fromkeys(r["tool"] for r in rows))
    keys = list(dict.fromkeys((r["eval"], r["description"], r["function"]) for r in rows))
    times = {}
    invalid = set()
    for r in rows:
        key = (r["eval"], r["description"], r["function"], r["tool"])
        if r.get("median_ns") is not None:
            times.setdefault(key, []).append(r["median_ns"] / 1e6)
        if not r.get("valid", True):
            invalid.add(key)

    def median(key):
        return statistics.median(times[key]) if key in times else None

    print(f"Median over {len(paths)} rounds of each round's median time per evaluation (ms), [lowest round – highest round]:")
    print()
    print("| eval | input | function | " + " | ".join(tools) + " |")
    print("|---|---|---|" + "---:|" * len(tools))
    for e, d, f in keys:
        cells = []
        for t in tools:
            key = (e, d, f, t)
            if key not in times:
                cells.append("-")
                continue
            v = times[key]
            cells.append(f"{statistics.median(v):.3f} [{min(v):.3f}–{max(v):.3f}]" + (" !" if key in invalid else ""))
        print(f"| {e} | {d} | {f} | " + " | ".join(cells) + " |")
    print()

    if "differentiable" in tools:
        print("Generated gradient ÷ the best of manual and tapenade (medians), and ÷ adol-c:")
        print()
        print("| eval | input | function | ÷ best of manual, tapenade | ÷ adol-c |")
        print("|---|---|---|---:|---:|")
        for e, d, f in keys:
            ours = median((e, d, f, "differentiable"))
            if ours is None:
                continue
            best = [m for m in (median((e, d, f, "manual")), median((e, d, f, "tapenade"))) if m is not None]
            adolc = median((e, d, f, "adol-c"))
            print(f"| {e} | {d} | {f} | " + (f"{ours / min(best):.2f}" if best else "-") + " | " + (f"{adolc / ours:.1f}× faster" if adolc else "-") + " |")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
