#!/usr/bin/env bash
# Runs compare.sh ROUNDS times (the tools one after another within each round, so the rounds interleave them) and
# prints the median over the rounds with the spread. Round r starts with the r-th tool of TOOLS (the order rotates), so
# no tool always runs first, right after the build:
#
#   ROUNDS=5 Benchmarks/GradBench/rounds.sh /path/to/gradbench gmm -d 2 10 20 -k 5 25 -n 1000
#
# Each round's results stay in Benchmarks/GradBench/results/<eval>-round<r>.jsonl. Not part of CI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
eval_name="$2"
rounds="${ROUNDS:-5}"
files=()
read -r -a tool_list <<< "${TOOLS:-differentiable manual adol-c tapenade pytorch}"
for r in $(seq 1 "$rounds"); do
    shift_by=$(( (r - 1) % ${#tool_list[@]} ))
    order="${tool_list[*]:$shift_by} ${tool_list[*]:0:$shift_by}"
    echo "== round $r of $rounds ($(date -u +%H:%M:%S)): $order" >&2
    TOOLS="$order" "$here/compare.sh" "$@" > /dev/null
    cp "$here/results/$eval_name.jsonl" "$here/results/$eval_name-round$r.jsonl"
    files+=("$here/results/$eval_name-round$r.jsonl")
done
/usr/bin/python3 "$here/rounds_table.py" "${files[@]}"
