#!/usr/bin/env bash
# Build time of the generator (issue 13, docs/benchmarks.md "Generator build time").
#
#   Benchmarks/BuildTime/run.sh [OUT] [ROUNDS]       (defaults: /tmp/differentiable-buildtime, 5)
#
# 1. Writes a corpus of METHODS (default 300) [Differentiable] methods from the fuzzer (Generator.Tests/Fuzz; only
#    programs the generator accepts and whose generated code compiles cleanly), with the fuzzer's drivers that call
#    every MGradient and MBackward, as project OUT/A (Runtime + the generator as an analyzer, as Sample.Mlp has it)
#    and OUT/B (the same Corpus.cs, no generator, StandIns.cs: a central-finite-difference member with the generated
#    signature for every generated member). Written by the opt-in test BuildTimeCorpus.Write_corpus.
# 2. Builds both, checks that the build's generated files are the ones the test saw.
# 3. Rebuild time with the build server running (warmed by one build each): append a comment to Corpus.cs, time
#    `dotnet build -c Release --no-restore`; A and B interleaved (the order alternates), ROUNDS rounds; median and
#    min–max of the wall time and of the Csc task (MSBuild performance summary), and the ratio A/B of the medians.
# 4. Two more A rebuilds with -p:ReportAnalyzer=true: the generator's time inside the compiler server (the second).
# 5. The generator in process (BuildTimeCorpus.Measure_generator): fresh driver with nothing kept, rerun after the
#    comment, rerun after a one-literal edit, a new driver after the comment (as the compiler server runs a rebuild),
#    and emit times of A's and B's compilations.
set -euo pipefail
# As users have it: the compiler server and MSBuild's worker nodes stay up between builds. Some machines (CI images,
# this one) turn both off in the environment; then every build starts a fresh csc that loads and JIT-compiles the
# generator again, which is not the rebuild a user waits for. BUILDTIME_NO_SERVER=1 keeps the environment's setting.
if [ "${BUILDTIME_NO_SERVER:-0}" != 1 ]; then
  export UseSharedCompilation=true MSBUILDDISABLENODEREUSE=0
fi
echo "UseSharedCompilation=${UseSharedCompilation:-unset} MSBUILDDISABLENODEREUSE=${MSBUILDDISABLENODEREUSE:-unset}"
OUT=${1:-/tmp/differentiable-buildtime}
ROUNDS=${2:-5}
METHODS=${METHODS:-300}
SEED=${SEED:-1}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

echo "== building Generator.Tests (the corpus writer)"
dotnet build "$REPO/Generator.Tests" -c Release -v:q -nologo | tail -n 3

echo "== writing the corpus to $OUT"
BUILDTIME_OUT=$OUT BUILDTIME_METHODS=$METHODS BUILDTIME_SEED=$SEED \
  dotnet test "$REPO/Generator.Tests" -c Release --no-build --filter "FullyQualifiedName~BuildTimeCorpus.Write_corpus" -v:q -nologo >"$OUT/write.log" 2>&1 \
  || { cat "$OUT/write.log"; exit 1; }
cat "$OUT/corpus.txt"

echo "== first builds (restore; starts the build server) and warm-up"
for p in A B; do
  dotnet build "$OUT/$p" -c Release -v:q -nologo >"$OUT/$p.first.log" 2>&1 || { tail -n 30 "$OUT/$p.first.log"; exit 1; }
done
GEN=$(find "$OUT/A/obj/Release" -type d -name Differentiable.Generator.DifferentiableGenerator | head -n 1)
diff -r -q "$OUT/expected-generated" "$GEN" >/dev/null && echo "the build generated the same $(ls "$GEN" | wc -l) files as the test" \
  || { echo "the build's generated files differ from the test's"; exit 1; }
if find "$OUT/B/obj" -path '*generated*' -name '*.g.cs' | grep -q .; then echo "B ran the generator"; exit 1; fi

touch_corpus() { echo "// touched $(date +%s%N)" >>"$OUT/$1/Corpus.cs"; }

# One rebuild: prints "<wall seconds> <Csc seconds>".
rebuild() {
  local p=$1 log="$OUT/$1.rebuild.log" t0 t1 csc
  touch_corpus "$p"
  t0=$(date +%s.%N)
  dotnet build "$OUT/$p" -c Release --no-restore -nologo -clp:PerformanceSummary >"$log" 2>&1 || { tail -n 30 "$log" >&2; exit 1; }
  t1=$(date +%s.%N)
  grep -q "Csc" "$log" || { echo "$p: no Csc task ran" >&2; exit 1; }
  csc=$(awk '$3 == "Csc" { print $1 / 1000 }' "$log" | tail -n 1)
  echo "$(echo "$t1 - $t0" | bc -l) $csc"
}

for p in A B; do rebuild "$p" >/dev/null; done # warm-up: the build server has both projects' references loaded

echo "== $ROUNDS interleaved rounds"
: >"$OUT/times.txt"
for r in $(seq 1 "$ROUNDS"); do
  if (( r % 2 )); then order="A B"; else order="B A"; fi
  for p in $order; do
    read -r wall csc < <(rebuild "$p")
    printf "round %d %s wall %6.2f s  Csc %6.2f s  (load %s)\n" "$r" "$p" "$wall" "$csc" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/times.txt"
  done
done

python3 - "$OUT/times.txt" <<'EOF' | tee "$OUT/summary.txt"
import re, statistics, sys
rows = [re.match(r"round (\d+) (\w) wall +([\d.]+) s +Csc +([\d.]+) s", l).groups() for l in open(sys.argv[1])]
for k, name in ((2, "wall"), (3, "Csc ")):
    a = [float(r[k]) for r in rows if r[1] == "A"]; b = [float(r[k]) for r in rows if r[1] == "B"]
    ma, mb = statistics.median(a), statistics.median(b)
    pairs = [float(x[k]) / float(y[k]) for x, y in zip([r for r in rows if r[1] == "A"], [r for r in rows if r[1] == "B"])]
    print(f"{name}: A median {ma:6.2f} s [{min(a):.2f}-{max(a):.2f}]   B median {mb:6.2f} s [{min(b):.2f}-{max(b):.2f}]   "
          f"A/B {ma / mb:.2f} (per round {min(pairs):.2f}-{max(pairs):.2f})")
EOF

echo "== the generator inside the compiler server (-p:ReportAnalyzer=true; the second of two A rebuilds: the server is warm, and its new driver meets the parses the first one kept)"
for i in 1 2; do
  touch_corpus A
  dotnet build "$OUT/A" -c Release --no-restore -nologo -v:d -p:ReportAnalyzer=true >"$OUT/A.report.log" 2>&1
done
grep -E "Total analyzer execution time|Total generator execution time|DifferentiableGenerator" "$OUT/A.report.log" | sed 's/^ *//' | sort -u | head -n 10 | tee "$OUT/report-analyzer.txt"
# The rebuilds reused what earlier builds kept (ParseMemo, EmitMemo): their generated files must still be the test's.
grep -q "Build succeeded" "$OUT/A.report.log" || { echo "the last rebuild of A failed"; exit 1; }
diff -r -q "$OUT/expected-generated" "$GEN" >/dev/null && echo "the last rebuild generated the same $(ls "$GEN" | wc -l) files as the test" \
  || { echo "the last rebuild's generated files differ from the test's"; exit 1; }

echo "== the generator in process"
BUILDTIME_OUT=$OUT BUILDTIME_ROUNDS=$ROUNDS \
  dotnet test "$REPO/Generator.Tests" -c Release --no-build --filter "FullyQualifiedName~BuildTimeCorpus.Measure_generator" -v:q -nologo >"$OUT/measure.log" 2>&1 \
  || { cat "$OUT/measure.log"; exit 1; }
cat "$OUT/generator.txt"
