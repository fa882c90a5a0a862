#!/usr/bin/python3
"""Prints the table of median times (ms) per evaluation and tool from run_eval.py's JSON lines, then the same for
the minimum (on a shared machine the statistic least disturbed by other processes), and the ratio of each tool's
gradient to its own primal, from either (ratios only within one tool's runs). '!' marks a run that failed
validation."""

import json
import sys


def main(paths):
    rows = [json.loads(line) for path in paths for line in open(path) if line.strip()]
    tools = list(dict.fromkeys(r["tool"] for r in rows))
    keys = list(dict.fromkeys((r["eval"], r["description"], r["function"]) for r in rows))
    cell = {(r["eval"], r["description"], r["function"], r["tool"]): r for r in rows}

    def show(r, statistic):
        if r is None:
            return "-"
        if r.get(statistic) is None:
            return "failed" if r["median_ns"] is None else "-"
        return f"{r[statistic] / 1e6:.3f}" + ("" if r["valid"] else " !")

    for statistic, title in (("median_ns", "Median"), ("min_ns", "Minimum")):
        print(f"{title} time per evaluation (ms):")
        print()
        print("| eval | input | function | " + " | ".join(tools) + " |")
        print("|---|---|---|" + "---:|" * len(tools))
        for e, d, f in keys:
            print(f"| {e} | {d} | {f} | " + " | ".join(show(cell.get((e, d, f, t)), statistic) for t in tools) + " |")
        print()

    for statistic, title in (("median_ns", "medians"), ("min_ns", "minimums")):
        print(f"Gradient ÷ primal ({title}), each tool against its own primal:")
        print()
        print("| eval | input | " + " | ".join(tools) + " |")
        print("|---|---|" + "---:|" * len(tools))
        for e, d in dict.fromkeys((e, d) for e, d, _ in keys):
            functions = [f for (e2, d2, f) in keys if (e2, d2) == (e, d)]
            if len(functions) != 2:
                continue
            primal, gradient = functions
            ratios = []
            for t in tools:
                p, g = cell.get((e, d, primal, t)), cell.get((e, d, gradient, t))
                ok = p and g and p.get(statistic) and g.get(statistic)
                ratios.append(f"{g[statistic] / p[statistic]:.2f}" if ok else "-")
            print(f"| {e} | {d} | " + " | ".join(ratios) + " |")
        print()

if __name__ == "__main__":
    main(sys.argv[1:])
