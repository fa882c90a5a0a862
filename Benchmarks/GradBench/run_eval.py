#!/usr/bin/python3
"""Runs one GradBench eval against one tool, relaying the JSON lines between them.

GradBench's own runner (a Rust program) needs crates.io; this driver does the same job for one eval and one tool:
it starts the eval's Python program and the tool, passes each message of the eval to the tool and each response
back, and prints, for every evaluation, the function, the eval's description, whether the eval's validation passed
and the median of the reported "evaluate" timings. The eval does the validation (against GradBench's "manual" C++
tool, which this driver builds first).

  run_eval.py --gradbench /path/to/gradbench --tool differentiable lse -- -n 1000 100000

Tools: differentiable (this project's GradBench tool, built in Release), manual, adol-c, tapenade (C++, built with
make as GradBench's cpp.py does), pytorch (GradBench's Python tool). All run single-threaded.
Exit status: 0 when every evaluation succeeded and validated, 1 otherwise.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(os.path.dirname(HERE))


def tool_command(tool, gradbench):
    if tool == "differentiable":
        dll = os.path.join(HERE, "bin", "Release", "net10.0", "GradBench.dll")
        if not os.path.exists(dll):
            subprocess.run(["dotnet", "build", "-c", "Release", HERE], check=True, stdout=sys.stderr)
        return ["dotnet", dll]
    if tool == "pytorch":
        return [sys.executable, os.path.join(gradbench, "python/gradbench/gradbench/tools/pytorch/run.py")]
    return [sys.executable, "-m", "gradbench.cpp", tool]


def environment(gradbench):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(HERE, "python_compat"), os.path.join(gradbench, "python/gradbench"), env.get("PYTHONPATH", "")])
    # GradBench's C++ includes "json.hpp"; Debian's nlohmann-json3-dev puts it under /usr/include/nlohmann.
    env["CPATH"] = "/usr/include/nlohmann" + os.pathsep + env.get("CPATH", "")
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "DOTNET_PROCESSOR_COUNT"):
        env[name] = "1"
    return env


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradbench", required=True, help="a checkout of github.com/gradbench/gradbench")
    parser.add_argument("--tool", default="differentiable")
    parser.add_argument("--log", help="write every message and response to this JSON-lines file")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON lines")
    parser.add_argument("eval")
    parser.add_argument("eval_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    gradbench = os.path.abspath(args.gradbench)
    eval_args = [a for a in args.eval_args if a != "--"]
    env = environment(gradbench)

    # The eval validates against the manual tool's binary.
    subprocess.run(["make", "-s", "-C", "tools/manual", f"bin/{args.eval}", "MULTITHREADED=no"],
                   cwd=gradbench, env=env, check=True, stdout=sys.stderr)

    evaluator = subprocess.Popen([sys.executable, "-m", f"gradbench.evals.{args.eval}.run", *eval_args],
                                 cwd=gradbench, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    tool = subprocess.Popen(tool_command(args.tool, gradbench), cwd=gradbench, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    log = open(args.log, "w") if args.log else None
    pending = {}
    ok = True
    rows = []
    for line in evaluator.stdout:
        message = json.loads(line)
        if log:
            log.write(json.dumps({"message": message}) + "\n")
        if message["kind"] == "end":
            break
        if message["kind"] == "analysis":
            row = pending.pop(message["of"], None)
            if row is not None:
                row["valid"] = message["valid"]
                if not message["valid"]:
                    ok = False
                    row["error"] = message.get("error", "")
            # The eval waits for an answer to its analysis message; the tool does not need to see it.
            evaluator.stdin.write(json.dumps({"id": message["id"]}) + "\n")
            evaluator.stdin.flush()
            continue
        tool.stdin.write(line if line.endswith("\n") else line + "\n")
        tool.stdin.flush()
        answer = tool.stdout.readline()
        if answer == "":
            print(f"{args.tool} exited without answering message {message['id']}", file=sys.stderr)
            ok = False
            break
        response = json.loads(answer)
        if log:
            log.write(json.dumps({"response": {k: v for k, v in response.items() if k != "output"}}) + "\n")
        if message["kind"] in ("define", "evaluate") and not response.get("success", False):
            ok = False
            print(f"{message['kind']} failed: {response.get('error', '')}", file=sys.stderr)
        if message["kind"] == "evaluate":
            times = [t["nanoseconds"] for t in response.get("timings") or [] if t["name"] == "evaluate"]
            row = {
                "eval": args.eval,
                "tool": args.tool,
                "function": message["function"],
                "description": message.get("description", ""),
                "success": response.get("success", False),
                "valid": None,
                "runs": len(times),
                "median_ns": statistics.median(times) if times else None,
                "min_ns": min(times) if times else None,
            }
            rows.append(row)
            pending[message["id"]] = row
        evaluator.stdin.write(answer)
        evaluator.stdin.flush()
    evaluator.stdin.close()
    tool.stdin.close()
    evaluator.wait()
    tool.wait()

    for row in rows:
        if row["valid"] is None and row["success"]:
            row["valid"] = False  # the eval never analysed it
            ok = False
        if args.json:
            print(json.dumps(row))
        else:
            median = "-" if row["median_ns"] is None else f"{row['median_ns'] / 1e6:.3f} ms"
            status = "valid" if row["valid"] else ("INVALID" if row["success"] else "FAILED")
            print(f"{row['eval']:5} {row['tool']:14} {row['function']:10} {row['description']:14} {status:8} "
                  f"runs={row['runs']:<4} median={median}")
            if row.get("error"):
                print(row["error"])
    return 0 if ok and rows else 1


if __name__ == "__main__":
    sys.exit(main())
