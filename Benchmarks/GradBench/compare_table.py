#!/usr/bin/python3
"""Prints the table of median times (ms) per evaluation and tool from run_eval.py's JSON lines, and the ratio of
each tool's gradient to its own primal (ratios only within one tool's runs). '!' marks a run that failed validation."""

import json
import sys


def main(paths):
    rows = [json.loads(line) for path in paths for line in open(path) if line.strip()]
    tools = list(dict.fromkeys(r["tool"] for r in rows))
    keys = list(dict.fromkeys((r["eval"], r["description"], r["function"]) for r in rows))
    cell = {(r["eval"], r["description"], r["function"], r["tool"]): r for r in rows}

    def show(r):
        if r is None:
            return "-"
        if r["median_ns"] is None:
            return "failed"
        return f"{r['median_ns'] / 1e6:.3f}" + ("" if r["valid"] else " !")

    print("| eval | input | function | " + " | ".join(tools) + " |")
    print("|---|---|---|" + "---:|" * len(tools))
    for e, d, f in keys:
        print(f"| {e} | {d} | {f} | " + " | ".join(show(cell.get((e, d, f, t))) for t in tools) + " |")

    print()
    print("Gradient ÷ primal, each tool against its own primal:")
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
            ok = p and g and p["median_ns"] and g["median_ns"]
            ratios.append(f"{g['median_ns'] / p['median_ns']:.2f}" if ok else "-")
        print(f"| {e} | {d} | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
