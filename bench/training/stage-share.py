#!/usr/bin/env python3
"""The train stage of an output directory against an in-task trainer figure (run-pbg-stage.sh,
run-nodepiece-stage.sh): the stage's triples/s and its share of the trainers', its task rate, stage
efficiency, Spark overhead and each round's seconds (the first carry the JVM's and libtorch's
warm-up). Like for like where the trainer's figure with its start-up is given too: the whole stage
against the trainers' whole section (both cold), and the stage's later half of rounds against the
trainers' timed steps (both warm).
Usage: stage-share.py OUT IN_TASK_TRIPLES_PER_SECOND LABEL [pbg] [--cold IN_TASK_WITH_START_UP]
(pbg: also the multiple of PyTorch-BigGraph's 2,800 triples/s, for the set-up it was measured at)"""
import glob
import json
import sys

args = sys.argv[1:]
cold = None
if "--cold" in args:
    i = args.index("--cold")
    cold = float(args[i + 1])
    del args[i:i + 2]
out, in_task, label = args[0], float(args[1]), args[2]
t = json.load(open(out + "/stats.json"))["train"]
rounds = [json.load(open(f)) for f in sorted(glob.glob(out + "/model/checkpoints/round-*/round.json"))]
rounds = [r for r in rounds if r.get("round", 0) > 0]
rate = t["triples_per_second_this_run"]
pbg = f", {rate / 2800:.1f}x PyTorch-BigGraph's 2,800/s" if args[3:] == ["pbg"] else ""
print(f"in-task {label}, two at once: {in_task:,.0f} triples/s"
      + (f" ({cold:,.0f}/s with their start-up)" if cold else ""))
print(f"train stage, P = {t['shards']}: {rate:,.0f} triples/s in {t['train_seconds_this_run']:.1f} s = "
      f"{rate / in_task:.0%} of the in-task {label}{pbg}; "
      f"task rate {t['task_triples_per_second']:,.0f}/s, stage efficiency {t['stage_efficiency']:.2f}, "
      f"Spark overhead {t['spark_overhead_seconds_per_round']:.1f} s per round")
print("round seconds: " + ", ".join(f"{r['seconds']:.1f}" for r in rounds))
if cold and len(rounds) >= 2:
    later = rounds[len(rounds) // 2:]
    warm = sum(r["triples_trained"] for r in later) / sum(r["seconds"] for r in later)
    print(f"like for like: whole stage {rate / cold:.0%} of the {label} with their start-up (both cold); "
          f"rounds {later[0]['round']}-{later[-1]['round']} {warm:,.0f} triples/s = {warm / in_task:.0%} "
          f"of the in-task {label}, timed steps (both warm)")
