#!/usr/bin/env python3
"""The train stage of an output directory against an in-task trainer figure (run-pbg-stage.sh,
run-nodepiece-stage.sh): the stage's triples/s and its share of the trainers', its task rate, stage
efficiency, Spark overhead and each round's seconds (the first carries the JVM's warm-up).
Usage: stage-share.py OUT IN_TASK_TRIPLES_PER_SECOND LABEL [pbg] (pbg: also the multiple of
PyTorch-BigGraph's 2,800 triples/s, for the set-up it was measured at)"""
import glob
import json
import sys

out, in_task, label = sys.argv[1], float(sys.argv[2]), sys.argv[3]
t = json.load(open(out + "/stats.json"))["train"]
rounds = [json.load(open(f)) for f in sorted(glob.glob(out + "/model/checkpoints/round-*/round.json"))]
rounds = [r for r in rounds if r.get("round", 0) > 0]
rate = t["triples_per_second_this_run"]
pbg = f", {rate / 2800:.1f}x PyTorch-BigGraph's 2,800/s" if sys.argv[4:] == ["pbg"] else ""
print(f"in-task {label}, two at once: {in_task:,.0f} triples/s")
print(f"train stage, P = {t['shards']}: {rate:,.0f} triples/s in {t['train_seconds_this_run']:.1f} s = "
      f"{rate / in_task:.0%} of the in-task {label}{pbg}; "
      f"task rate {t['task_triples_per_second']:,.0f}/s, stage efficiency {t['stage_efficiency']:.2f}, "
      f"Spark overhead {t['spark_overhead_seconds_per_round']:.1f} s per round")
print("round seconds: " + ", ".join(f"{r['seconds']:.1f}" for r in rounds))
