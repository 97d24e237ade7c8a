"""Executes deploy/notebooks/explore.ipynb's code cells headless and prints its two query results as JSON.

  python3 run_notebook.py NOTEBOOK OUTPUT_DIR

OUTPUT_DIR replaces the notebook's parameter; the other parameters keep the notebook's values. Plots go to
matplotlib's Agg backend. Where neither pyarrow nor fastparquet is installed (Debian has no package for
either), pd.read_parquet(DIR/NAME) reads DIR/NAME.jsonl instead: the same rows, exported from the Parquet
files by the caller (the test uses DuckDB), so everything but the Parquet decoding runs as written.
"""
import contextlib
import importlib.util
import json
import sys

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

sys.dont_write_bytecode = True


def main(notebook_path, output_dir):
    with open(notebook_path, encoding="utf-8") as f:
        notebook = json.load(f)
    if not any(importlib.util.find_spec(engine) for engine in ("pyarrow", "fastparquet")):
        pd.read_parquet = lambda path, **kw: pd.read_json(f"{path}.jsonl", lines=True)
    namespace = {"__name__": "__main__"}
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        with contextlib.redirect_stdout(sys.stderr):  # the notebook's own prints; stdout is the result
            exec(compile(source, "explore.ipynb", "exec"), namespace)
        if "parameters" in cell["metadata"].get("tags", []):
            namespace["OUTPUT_DIR"] = output_dir
    ns = namespace
    result = {
        "model": ns["MODEL"],
        "neighbors": ns["nearest_neighbors"](ns["ENTITY"]).to_dict(orient="records"),
        "tails": ns["predict_tails"](ns["HEAD"], ns["RELATION"]).to_dict(orient="records"),
        "projection_shape": list(ns["xy"].shape),
    }
    sys.stdout.write("RESULT ")
    json.dump(result, sys.stdout, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
