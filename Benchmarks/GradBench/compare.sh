#!/usr/bin/env bash
# Runs one GradBench eval with this project's tool and GradBench's manual, adol-c, tapenade and pytorch tools
# (those that have the eval), one after another, single-threaded, and prints one table of median times.
# Every run is validated by the eval itself; a tool whose run fails validation is marked.
#
#   Benchmarks/GradBench/compare.sh /path/to/gradbench gmm -d 2 10 20 -k 5 25 -n 1000
#
# Needs: the .NET SDK; g++, make, and Debian's nlohmann-json3-dev and libadolc-dev; python3 with numpy, scipy,
# pydantic, dataclasses-json (python3-* packages) and, for pytorch, python3-torch. Results (JSON lines) go to
# Benchmarks/GradBench/results/<eval>.jsonl; TOOLS="differentiable manual" limits the tools.
# Not part of CI.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
gradbench="$(cd "$1" && pwd)"
eval_name="$2"
shift 2
tools="${TOOLS:-differentiable manual adol-c tapenade pytorch}"

dotnet build -c Release "$here/GradBench.csproj" >&2
# The build leaves the compiler server and MSBuild nodes busy for a moment: let them settle before timing anything.
sleep "${SETTLE_SECONDS:-5}"
mkdir -p "$here/results"
results="$here/results/$eval_name.jsonl"
: > "$results"
for tool in $tools; do
    if [ "$tool" != differentiable ] && ! grep -qx "$eval_name" "$gradbench/tools/$tool/evals.txt" 2>/dev/null; then
        echo "== $tool has no $eval_name eval; skipped" >&2
        continue
    fi
    echo "== $tool ($(date -u +%H:%M:%S))" >&2
    /usr/bin/python3 "$here/run_eval.py" --gradbench "$gradbench" --tool "$tool" --json "$eval_name" -- "$@" >> "$results" \
        || echo "== $tool: some evaluation failed or did not validate (see the table)" >&2
done
/usr/bin/python3 "$here/compare_table.py" "$results"
