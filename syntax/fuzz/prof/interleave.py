#!/usr/bin/env python3
"""Times parsers interleaved, one run of each per round, with `perf stat -e task-clock`.

Usage: interleave.py ROUNDS GEN_FILE CORPUS_DIR... -- LABEL=BINARY:MODE...

Each round runs every LABEL once on the generated file (4 iterations) and once on the corpus
(16 iterations), after a run that only reads the files (0 iterations), whose time is
subtracted. Prints the best and median time per parse and, when a label is `rnix`, rnix's time
over each other label's (above 1: faster than rnix), from the best rounds, the medians, and
the median of the per-round ratios. Binaries are builds of this driver (`lix-syntax-prof`).
"""
import statistics
import subprocess
import sys


def task_clock(binary, mode, iterations, paths):
    run = subprocess.run(["perf", "stat", "-x,", "-e", "task-clock", binary, mode, str(iterations)] + paths,
                         capture_output=True, text=True)
    for line in run.stderr.splitlines():
        if "task-clock" in line:
            return float(line.split(",")[0])
    raise SystemExit(run.stderr)


def main():
    args = sys.argv[1:]
    split = args.index("--")
    rounds, gen, corpus = int(args[0]), args[1], args[2:split]
    runs = [spec.split("=", 1) for spec in args[split + 1:]]
    inputs = {"1MiB": ([gen], 4), "corpus": (corpus, 16)}
    times = {}
    for _ in range(rounds):
        for name, (paths, iterations) in inputs.items():
            reading = task_clock(runs[0][1].split(":")[0], "lix", 0, paths)
            for label, spec in runs:
                binary, mode = spec.split(":")
                elapsed = task_clock(binary, mode, iterations, paths) - reading
                times.setdefault((name, label), []).append(elapsed / iterations)
    labels = [label for label, _ in runs]
    for name in inputs:
        for label in labels:
            t = times[(name, label)]
            print(f"{name:7} {label:10} best {min(t):7.2f} ms  median {statistics.median(t):7.2f} ms")
        if "rnix" in labels:
            rnix = times[(name, "rnix")]
            for label in labels:
                if label == "rnix":
                    continue
                t = times[(name, label)]
                per_round = statistics.median(r / x for r, x in zip(rnix, t))
                print(f"   rnix/{label}: best {min(rnix) / min(t):.3f}  median "
                      f"{statistics.median(rnix) / statistics.median(t):.3f}  per round {per_round:.3f}")


if __name__ == "__main__":
    main()
