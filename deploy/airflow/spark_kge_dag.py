"""spark-kge pipeline as an Airflow DAG: one spark-submit per stage.

ingest -> reduce -> tokenize -> partition -> train -> export -> evaluate, each a separate task running
`org.sparkkge.jobs.cli.Main STAGE --config FILE --output ROOT/{{ ds }} ...` (the CLI's command shape, see
README.md), so a run date's outputs live in their own directory and a failed stage is retried alone.
A last task, report, writes ROOT/{{ ds }}/report.html (org.sparkkge.jobs.query.RunReport): loss and
validation MRR per round, degree distribution, k-core sizes, shard balance and the final metrics.

Settings are environment variables of the Airflow workers/scheduler (read when the DAG file is parsed,
so parsing never touches the metadata database):

  SPARK_KGE_EXECUTOR       spark-submit (default): SparkSubmitOperator from
                           apache-airflow-providers-apache-spark, master and spark-submit binary from the
                           Airflow connection SPARK_KGE_CONN_ID (host "yarn", or "k8s://https://HOST:PORT").
                           kubernetes-pod: KubernetesPodOperator from apache-airflow-providers-cncf-kubernetes
                           runs the spark-kge image (deploy/docker/) as the Spark driver in client mode;
                           executors are pods it creates. No Spark client is needed on the Airflow workers.
  SPARK_KGE_CONN_ID        Airflow connection of SparkSubmitOperator (default spark_kge). Leave its
                           deploy-mode extra unset: SPARK_KGE_DEPLOY_MODE decides it.
  SPARK_KGE_DEPLOY_MODE    client (default) or cluster, see "Retries" below.
  SPARK_KGE_JAR            application jar (default /opt/spark-kge/spark-kge-app.jar, the image's copy)
  SPARK_KGE_CONFIG         spark-kge configuration file (default /opt/spark-kge/conf/examples/umls.conf)
  SPARK_KGE_OUTPUT_ROOT    outputs go to OUTPUT_ROOT/<run date> (default hdfs:///kge/runs/umls)
  SPARK_KGE_TRAIN, SPARK_KGE_VALID, SPARK_KGE_TEST
                           input triples for ingest (default: input.* of the configuration file)
  SPARK_KGE_GPUS_PER_EXECUTOR  GPUs per executor for train (default 0: CPU); other stages never ask for GPUs
  SPARK_KGE_LIBTORCH_DIR   CUDA libtorch 2.7.1 folder on the nodes (default /opt/libtorch/lib, the GPU image's)
  SPARK_KGE_DISCOVERY_SCRIPT  GPU discovery script (default /opt/spark-kge/bin/discover-gpus.sh)
  SPARK_KGE_FS_TEST        command that tests a Hadoop path, exit 0 = exists, 1 = absent
                           (default "hdfs dfs -test -e"); local paths are checked directly
  SPARK_KGE_IMAGE, SPARK_KGE_NAMESPACE, SPARK_KGE_SERVICE_ACCOUNT, SPARK_KGE_K8S_MASTER
                           kubernetes-pod only: image (default spark-kge:0.1.0-cpu), namespace (spark-kge),
                           service account allowed to create executor pods (spark-kge), API server
                           (k8s://https://kubernetes.default.svc)
  SPARK_KGE_DATA_CLAIM, SPARK_KGE_DATA_MOUNT
                           kubernetes-pod only: PersistentVolumeClaim mounted on the driver pod and the
                           executors (default none) at DATA_MOUNT (default /data) for inputs and outputs;
                           the marker check then needs the same path on the Airflow worker (or use
                           hdfs:// / s3a:// outputs, checked with SPARK_KGE_FS_TEST)

Idempotent reruns: each stage task first checks the stage's completion marker OUTPUT/_stages/STAGE.json
(for ingest also OUTPUT/_SUCCESS, which the first stage writes last). If it exists the task raises
AirflowSkipException before anything is submitted, and it shows as "skipped". We check in the task
itself rather than with a separate ShortCircuitOperator/sensor because a short-circuit would skip every
downstream task, while here only the completed stage is skipped; the downstream tasks use the trigger
rule none_failed so they run after a skipped (= already complete) stage. A stage that runs always gets
--overwrite: its marker is absent, so whatever it left behind is incomplete and may be replaced (for
ingest that is the whole uncommitted directory). train also gets --resume, so a retried train continues
from its last complete checkpoint instead of starting over. To recompute a stage, delete its marker and
the markers of the stages after it, then clear the tasks.

Retries: only transient failures are retried (retries with exponential backoff). The CLI exits 2 on a
usage or configuration error and 1 on a failure it diagnosed itself (bad input, missing dataset, refused
output, a failed job): running it again gives the same answer, so the task raises AirflowFailException,
which Airflow never retries. Anything else (spark-submit could not reach the cluster, the driver was
killed, evicted or ran out of memory, the node vanished) is retried. The CLI's own exit code reaches the
task:
  * deploy mode client (default; kubernetes-pod always runs the driver this way): the driver runs in the
    spark-submit process / the pod, so their exit code is the CLI's;
  * Kubernetes cluster mode: the hook reads the driver pod's exit code from spark-submit's log;
  * YARN cluster mode: spark-submit only reports the application as failed; the task looks for the
    ApplicationMaster's "User application exited with status N" in spark-submit's log and treats a
    failure without it as transient.
spark.yarn.maxAppAttempts=1 keeps YARN from re-running a failed driver itself: retrying is Airflow's job.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException

STAGES = ["ingest", "reduce", "tokenize", "partition", "train", "export", "evaluate"]
MAIN_CLASS = "org.sparkkge.jobs.cli.Main"
# Exit codes of the CLI that a rerun cannot fix (README.md, "Running a stage").
NON_RETRYABLE_EXIT_CODES = {
    1: "failure diagnosed by spark-kge (bad input, missing dataset, refused output)",
    2: "usage or configuration error",
}


def setting(name: str, default: str) -> str:
    return os.environ.get("SPARK_KGE_" + name, default)


EXECUTOR = setting("EXECUTOR", "spark-submit")
CONN_ID = setting("CONN_ID", "spark_kge")
DEPLOY_MODE = setting("DEPLOY_MODE", "client")
JAR = setting("JAR", "/opt/spark-kge/spark-kge-app.jar")
CONFIG = setting("CONFIG", "/opt/spark-kge/conf/examples/umls.conf")
OUTPUT_ROOT = setting("OUTPUT_ROOT", "hdfs:///kge/runs/umls").rstrip("/")
INPUTS = {flag: setting(name, "") for flag, name in (("--train", "TRAIN"), ("--valid", "VALID"), ("--test", "TEST"))}
GPUS_PER_EXECUTOR = int(setting("GPUS_PER_EXECUTOR", "0"))
LIBTORCH_DIR = setting("LIBTORCH_DIR", "/opt/libtorch/lib")
DISCOVERY_SCRIPT = setting("DISCOVERY_SCRIPT", "/opt/spark-kge/bin/discover-gpus.sh")
FS_TEST = setting("FS_TEST", "hdfs dfs -test -e")
IMAGE = setting("IMAGE", "spark-kge:0.1.0-cpu")
NAMESPACE = setting("NAMESPACE", "spark-kge")
SERVICE_ACCOUNT = setting("SERVICE_ACCOUNT", "spark-kge")
K8S_MASTER = setting("K8S_MASTER", "k8s://https://kubernetes.default.svc")
DATA_CLAIM = setting("DATA_CLAIM", "")
DATA_MOUNT = setting("DATA_MOUNT", "/data")

if EXECUTOR not in ("spark-submit", "kubernetes-pod"):
    raise ValueError(f"SPARK_KGE_EXECUTOR must be spark-submit or kubernetes-pod, got {EXECUTOR!r}")
if DEPLOY_MODE not in ("client", "cluster"):
    raise ValueError(f"SPARK_KGE_DEPLOY_MODE must be client or cluster, got {DEPLOY_MODE!r}")

# The run date keeps each run's outputs apart; Airflow renders it in application_args / arguments.
OUTPUT_DIR = OUTPUT_ROOT + "/{{ ds }}"


def stage_args(stage: str, output_dir: str = OUTPUT_DIR) -> list[str]:
    """The CLI arguments of one stage (what follows the jar on the spark-submit line)."""
    args = [stage, "--config", CONFIG, "--output", output_dir, "--overwrite"]
    if stage == "ingest":
        for flag, path in INPUTS.items():
            if path:
                args += [flag, path]
    if stage == "train":
        args.append("--resume")
    return args


def spark_conf(stage: str) -> dict[str, str]:
    """Spark settings of one stage: DJL offline everywhere, GPUs for train only."""
    conf = {
        "spark.submit.deployMode": DEPLOY_MODE,
        "spark.yarn.maxAppAttempts": "1",
        "spark.driver.extraJavaOptions": "-Dai.djl.offline=true",
        "spark.executor.extraJavaOptions": "-Dai.djl.offline=true",
        "spark.executorEnv.DJL_OFFLINE": "true",
    }
    if stage == "train" and GPUS_PER_EXECUTOR > 0:
        conf.update({
            "spark.executor.resource.gpu.amount": str(GPUS_PER_EXECUTOR),
            "spark.executor.resource.gpu.discoveryScript": DISCOVERY_SCRIPT,
            "spark.executor.resource.gpu.vendor": "nvidia.com",  # Kubernetes; YARN ignores it
            "spark.executorEnv.PYTORCH_LIBRARY_PATH": LIBTORCH_DIR,
            "spark.executorEnv.LD_LIBRARY_PATH": LIBTORCH_DIR,
        })
    return conf


def stage_marker(output_dir: str, stage: str) -> list[str]:
    """Paths that all exist once the stage has completed (docs/outputs.md, commit protocol)."""
    paths = [f"{output_dir}/_stages/{stage}.json"]
    if stage == "ingest":
        paths.append(f"{output_dir}/_SUCCESS")
    return paths


def path_exists(path: str) -> bool:
    if path.startswith("file://"):
        path = path[len("file://"):]
    if "://" not in path:
        return os.path.exists(path)
    result = subprocess.run(shlex.split(FS_TEST) + [path], capture_output=True, text=True, check=False)
    if result.returncode in (0, 1):
        return result.returncode == 0
    # The check itself failed (no Hadoop client, name node down): an exception, hence a retry.
    raise AirflowException(f"cannot check {path} with {FS_TEST!r}: exit {result.returncode}: {result.stderr.strip()}")


def stage_complete(output_dir: str, stage: str) -> bool:
    return all(path_exists(path) for path in stage_marker(output_dir, stage))


_K8S_EXIT = re.compile(r"Kubernetes spark exit code is: (\d+)")
_SUBMIT_EXIT = re.compile(r"Error code is: (\d+)")
_YARN_USER_EXIT = re.compile(r"User application exited with status (\d+)")


def cli_exit_code(deploy_mode: str, error: str, log_lines: list[str]) -> int | None:
    """The CLI's exit code behind a failed spark-submit, or None when it is unknown (then: transient)."""
    k8s = _K8S_EXIT.search(error)
    if k8s:
        return int(k8s.group(1))
    for line in reversed(log_lines):
        yarn = _YARN_USER_EXIT.search(line)
        if yarn:
            return int(yarn.group(1))
    if deploy_mode == "client":
        submit = _SUBMIT_EXIT.search(error)
        if submit:
            return int(submit.group(1))
    return None


def fail_fast_or_retry(code: int | None, stage: str, error: BaseException) -> None:
    """Raises AirflowFailException (no retry) for exit codes a rerun cannot fix; else re-raises error."""
    if code in NON_RETRYABLE_EXIT_CODES:
        raise AirflowFailException(
            f"spark-kge {stage} exited with {code}: {NON_RETRYABLE_EXIT_CODES[code]}; not retried") from error
    raise error


DEFAULT_ARGS = {
    "owner": "spark-kge",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    # A skipped stage means "already complete": the stages after it still run.
    "trigger_rule": "none_failed",
}


if EXECUTOR == "spark-submit":
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    class SparkKgeStageOperator(SparkSubmitOperator):
        """SparkSubmitOperator that skips a completed stage and does not retry the CLI's own failures."""

        def __init__(self, *, stage: str, output_dir: str, **kwargs):
            super().__init__(**kwargs)
            self.stage = stage
            self.output_dir = output_dir
            self.submit_log: list[str] = []

        template_fields = tuple(SparkSubmitOperator.template_fields) + ("output_dir",)

        def execute(self, context):
            if stage_complete(self.output_dir, self.stage):
                raise AirflowSkipException(f"{self.stage} is complete in {self.output_dir} (its marker exists)")
            try:
                return super().execute(context)
            except AirflowException as error:
                fail_fast_or_retry(cli_exit_code(DEPLOY_MODE, str(error), self.submit_log), self.stage, error)

        def _get_hook(self):
            # Keep spark-submit's output: on YARN the CLI's exit code is only in the application report.
            hook = super()._get_hook()
            process_log = hook._process_spark_submit_log

            def keep(lines):
                for line in lines:
                    self.submit_log.append(line if isinstance(line, str) else line.decode(errors="replace"))
                    if len(self.submit_log) > 2000:
                        del self.submit_log[:1000]
                    yield line

            hook._process_spark_submit_log = lambda itr: process_log(keep(itr))
            return hook

    def stage_task(stage: str):
        return SparkKgeStageOperator(
            task_id=stage,
            stage=stage,
            output_dir=OUTPUT_DIR,
            conn_id=CONN_ID,
            application=JAR,
            java_class=MAIN_CLASS,
            name=f"spark-kge-{stage}-{{{{ ds_nodash }}}}",
            application_args=stage_args(stage),
            conf=spark_conf(stage),
            files=DISCOVERY_SCRIPT if stage == "train" and GPUS_PER_EXECUTOR > 0 else None,
        )

else:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from kubernetes.client import models as k8s

    class SparkKgePodOperator(KubernetesPodOperator):
        """The spark-kge image as the Spark driver (client mode): the pod's exit code is the CLI's."""

        def __init__(self, *, stage: str, output_dir: str, **kwargs):
            super().__init__(**kwargs)
            self.stage = stage
            self.output_dir = output_dir

        template_fields = tuple(KubernetesPodOperator.template_fields) + ("output_dir",)

        def execute(self, context):
            if stage_complete(self.output_dir, self.stage):
                raise AirflowSkipException(f"{self.stage} is complete in {self.output_dir} (its marker exists)")
            try:
                return super().execute(context)
            except AirflowException as error:
                fail_fast_or_retry(self._driver_exit_code(), self.stage, error)

        def _driver_exit_code(self) -> int | None:
            pod = getattr(self, "pod", None)
            if pod is None:
                return None
            try:
                pod = self.pod_manager.read_pod(pod)
            except Exception:  # the pod is gone: nothing to learn, treat as transient
                return None
            for status in pod.status.container_statuses or []:
                if status.name == "base" and status.state and status.state.terminated:
                    return status.state.terminated.exit_code
            return None

    def stage_task(stage: str):
        submit = ["/opt/spark/bin/spark-submit", "--master", K8S_MASTER, "--deploy-mode", "client",
                  "--class", MAIN_CLASS,
                  # Kubernetes expands $(VAR) from the container's environment: executors reach the
                  # driver at the pod's IP and are owned by (deleted with) the driver pod.
                  "--conf", "spark.driver.host=$(POD_IP)",
                  "--conf", "spark.kubernetes.driver.pod.name=$(POD_NAME)",
                  "--conf", f"spark.kubernetes.namespace={NAMESPACE}",
                  "--conf", f"spark.kubernetes.container.image={IMAGE}",
                  "--conf", "spark.kubernetes.executor.podTemplateFile=/opt/spark-kge/k8s/"
                  + ("executor-pod-gpu.yaml" if stage == "train" and GPUS_PER_EXECUTOR > 0 else "executor-pod.yaml")]
        for key, value in spark_conf(stage).items():
            if key != "spark.submit.deployMode":
                submit += ["--conf", f"{key}={value}"]
        if DATA_CLAIM:
            volume = "spark.kubernetes.executor.volumes.persistentVolumeClaim.data"
            submit += ["--conf", f"{volume}.options.claimName={DATA_CLAIM}", "--conf", f"{volume}.mount.path={DATA_MOUNT}"]
        return SparkKgePodOperator(
            task_id=stage,
            stage=stage,
            output_dir=OUTPUT_DIR,
            name=f"spark-kge-{stage}",
            namespace=NAMESPACE,
            image=IMAGE,
            service_account_name=SERVICE_ACCOUNT,
            cmds=submit[:1],
            arguments=submit[1:] + [JAR] + stage_args(stage),
            env_vars=[
                k8s.V1EnvVar(name=name, value_from=k8s.V1EnvVarSource(field_ref=k8s.V1ObjectFieldSelector(field_path=path)))
                for name, path in (("POD_IP", "status.podIP"), ("POD_NAME", "metadata.name"))
            ] + [k8s.V1EnvVar(name="DJL_OFFLINE", value="true")],
            volumes=[k8s.V1Volume(name="data", persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(
                claim_name=DATA_CLAIM))] if DATA_CLAIM else None,
            volume_mounts=[k8s.V1VolumeMount(name="data", mount_path=DATA_MOUNT)] if DATA_CLAIM else None,
            get_logs=True,
            on_finish_action="delete_succeeded_pod",
        )


REPORT_CLASS = "org.sparkkge.jobs.query.RunReport"


def report_task():
    """OUTPUT/report.html from stats.json and metrics.json: no Spark job, a few seconds in the driver."""
    if EXECUTOR == "spark-submit":
        return SparkSubmitOperator(
            task_id="report", conn_id=CONN_ID, application=JAR, java_class=REPORT_CLASS,
            name="spark-kge-report-{{ ds_nodash }}", application_args=[OUTPUT_DIR],
            conf={"spark.submit.deployMode": DEPLOY_MODE})
    return KubernetesPodOperator(
        task_id="report", name="spark-kge-report", namespace=NAMESPACE, image=IMAGE,
        service_account_name=SERVICE_ACCOUNT, cmds=["java"],
        arguments=["-cp", JAR + ":/opt/spark/jars/*", REPORT_CLASS, OUTPUT_DIR],
        volumes=[k8s.V1Volume(name="data", persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(
            claim_name=DATA_CLAIM))] if DATA_CLAIM else None,
        volume_mounts=[k8s.V1VolumeMount(name="data", mount_path=DATA_MOUNT)] if DATA_CLAIM else None,
        get_logs=True, on_finish_action="delete_succeeded_pod")


with DAG(
    dag_id="spark_kge",
    description="spark-kge: ingest, reduce, tokenize, partition, train, export, evaluate (one spark-submit each)",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["spark-kge"],
) as dag:
    previous = None
    for stage_name in STAGES:
        task = stage_task(stage_name)
        if previous is not None:
            previous >> task
        previous = task
    previous >> report_task()
