"""Loads deploy/airflow/spark_kge_dag.py without Airflow installed and prints what it defines as JSON.

Stub modules stand in for airflow, its Spark and Kubernetes providers, kubernetes and pendulum; they keep
exactly what the DAG passes to them. Usage:

  python3 dag_harness.py describe   tasks (operator, arguments, Spark conf, retries, trigger rule) and edges
  python3 dag_harness.py behaviour  runs each task's execute() against a stubbed spark-submit: skip on a
                                    present marker, fail fast on CLI exit codes 1 and 2, retry otherwise

Environment variables SPARK_KGE_* are passed through to the DAG (see its docstring).
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import types
from datetime import datetime, timedelta, timezone

sys.dont_write_bytecode = True  # no __pycache__ beside the DAG in the source tree
DAG_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spark_kge_dag.py")


class _Module(types.ModuleType):
    pass


def _module(name: str, **attrs):
    module = _Module(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        if parent not in sys.modules:
            _module(parent)
        setattr(sys.modules[parent], child, module)
    return module


class AirflowException(Exception):
    pass


class AirflowFailException(AirflowException):
    pass


class AirflowSkipException(AirflowException):
    pass


class DAG:
    current = None

    def __init__(self, dag_id, default_args=None, **kwargs):
        self.dag_id = dag_id
        self.default_args = default_args or {}
        self.kwargs = kwargs
        self.tasks = []

    def __enter__(self):
        DAG.current = self
        return self

    def __exit__(self, *exc):
        DAG.current = None


class BaseOperator:
    template_fields: tuple = ()

    def __init__(self, task_id, **kwargs):
        self.task_id = task_id
        self.dag = DAG.current
        merged = dict(self.dag.default_args if self.dag else {})
        merged.update(kwargs)
        self.kwargs = merged
        self.upstream = []
        self.downstream = []
        if self.dag is not None:
            self.dag.tasks.append(self)

    def __rshift__(self, other):
        self.downstream.append(other)
        other.upstream.append(self)
        return other


class SparkSubmitOperator(BaseOperator):
    template_fields = ("application", "conf", "files", "application_args", "name")
    # behaviour mode: what the next spark-submit does ("ok" or an exception message) and what it logs
    next_outcome = "ok"
    next_log: list = []
    submitted = []

    def execute(self, context):
        hook = self._get_hook()
        SparkSubmitOperator.submitted.append(self.task_id)
        for _ in hook._process_spark_submit_log(iter(SparkSubmitOperator.next_log)):
            pass
        if SparkSubmitOperator.next_outcome != "ok":
            raise AirflowException(SparkSubmitOperator.next_outcome)

    def _get_hook(self):
        hook = types.SimpleNamespace()
        hook._process_spark_submit_log = lambda itr: [line for line in itr]
        return hook


class KubernetesPodOperator(BaseOperator):
    template_fields = ("image", "cmds", "arguments", "env_vars")


def _json_default(value):
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__dict__"):
        return {k: v for k, v in value.__dict__.items()}
    return repr(value)


def install_stubs():
    _module("airflow", DAG=DAG)
    _module("airflow.exceptions", AirflowException=AirflowException, AirflowFailException=AirflowFailException,
            AirflowSkipException=AirflowSkipException)
    _module("airflow.models", BaseOperator=BaseOperator)
    _module("airflow.providers.apache.spark.operators.spark_submit", SparkSubmitOperator=SparkSubmitOperator)
    _module("airflow.providers.cncf.kubernetes.operators.pod", KubernetesPodOperator=KubernetesPodOperator)
    model = lambda name: type(name, (), {"__init__": lambda self, **kw: self.__dict__.update(kw)})  # noqa: E731
    _module("kubernetes.client.models", **{n: model(n) for n in (
        "V1EnvVar", "V1EnvVarSource", "V1ObjectFieldSelector", "V1Volume",
        "V1PersistentVolumeClaimVolumeSource", "V1VolumeMount")})
    sys.modules["kubernetes.client"].models = sys.modules["kubernetes.client.models"]
    _module("pendulum", datetime=lambda *a, tz=None: datetime(*a, tzinfo=timezone.utc))


def load_dag_module():
    install_stubs()
    spec = importlib.util.spec_from_file_location("spark_kge_dag", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def describe(module):
    dag = module.dag
    tasks = []
    for task in dag.tasks:
        kw = task.kwargs
        tasks.append({
            "task_id": task.task_id,
            "operator": next(c.__name__ for c in type(task).__mro__
                             if c.__name__ in ("SparkSubmitOperator", "KubernetesPodOperator")),
            "stage": getattr(task, "stage", None),
            "output_dir": getattr(task, "output_dir", None),
            "application": kw.get("application"),
            "java_class": kw.get("java_class"),
            "application_args": kw.get("application_args"),
            "cmds": kw.get("cmds"),
            "arguments": kw.get("arguments"),
            "conf": kw.get("conf"),
            "files": kw.get("files"),
            "conn_id": kw.get("conn_id"),
            "retries": kw.get("retries"),
            "retry_exponential_backoff": kw.get("retry_exponential_backoff"),
            "trigger_rule": kw.get("trigger_rule"),
            "upstream": [t.task_id for t in task.upstream],
        })
    edges = [[t.task_id, d.task_id] for t in dag.tasks for d in t.downstream]
    return {"dag_id": dag.dag_id, "schedule": dag.kwargs.get("schedule"), "tasks": tasks, "edges": edges}


def behaviour(module):
    """Runs execute() of every task in scenarios; records what happened (submitted / skipped / error type)."""
    results = {}
    root = tempfile.mkdtemp(prefix="kge-dag-")

    def run(task, output_dir, outcome="ok", log=()):
        SparkSubmitOperator.next_outcome = outcome
        SparkSubmitOperator.next_log = list(log)
        SparkSubmitOperator.submitted = []
        task.output_dir = output_dir
        task.submit_log = []
        try:
            task.execute({})
            return "submitted" if SparkSubmitOperator.submitted else "returned"
        except AirflowSkipException:
            return "skipped"
        except AirflowFailException:
            return "failed-no-retry"
        except AirflowException:
            return "failed-retry"

    tasks = {t.task_id: t for t in module.dag.tasks if hasattr(t, "stage")}  # the stage tasks
    done = os.path.join(root, "done")
    os.makedirs(os.path.join(done, "_stages"))
    for stage in module.STAGES:
        open(os.path.join(done, "_stages", stage + ".json"), "w").close()
    open(os.path.join(done, "_SUCCESS"), "w").close()
    fresh = os.path.join(root, "fresh")
    # ingest's marker without _SUCCESS: a commit that died before its last step is not complete
    half = os.path.join(root, "half")
    os.makedirs(os.path.join(half, "_stages"))
    open(os.path.join(half, "_stages", "ingest.json"), "w").close()

    for stage, task in tasks.items():
        results[stage] = {
            "complete_output": run(task, done),
            "fresh_output": run(task, fresh),
            "exit_1_client": run(task, fresh, "Cannot execute: spark-submit ... Error code is: 1."),
            "exit_2_client": run(task, fresh, "Cannot execute: spark-submit ... Error code is: 2."),
            "exit_137_client": run(task, fresh, "Cannot execute: spark-submit ... Error code is: 137."),
            "k8s_driver_exit_2": run(task, fresh, "Cannot execute: x. Error code is: 1. Kubernetes spark exit code is: 2"),
            "k8s_driver_exit_143": run(task, fresh, "Cannot execute: x. Error code is: 1. Kubernetes spark exit code is: 143"),
            "yarn_user_exit_1": run(task, fresh, "Cannot execute: x. Error code is: 1.",
                                    ["\t diagnostics: User application exited with status 1"]),
        }
    results["ingest"]["marker_without_success"] = run(tasks["ingest"], half)
    results["reduce"]["ingest_marker_only"] = run(tasks["reduce"], half)
    return {"deploy_mode": module.DEPLOY_MODE, "results": results}


def main(argv):
    mode = argv[1] if len(argv) > 1 else "describe"
    module = load_dag_module()
    out = describe(module) if mode == "describe" else behaviour(module)
    json.dump(out, sys.stdout, indent=1, default=_json_default, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
