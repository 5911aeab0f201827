"""The one place that talks to MLflow: runs, params, metrics, artifacts, models and the registry.

Entry scripts open a run with :func:`start_run`; library functions return metrics and paths; this module
logs them. Metric names follow ``{split}_{metric}`` (``test_macro_f1``) and per-category metrics
``{metric}/{category}`` (``backtest_mase/供水供电供暖燃气/供暖``).

The default store is ``sqlite:///mlflow.db`` in the working directory (MLflow 3 refuses the plain file store);
artifacts go to ``mlartifacts/`` beside the database, so a test pointing at a temporary database leaves
nothing in the repository. Browse with ``mlflow ui --backend-store-uri sqlite:///mlflow.db``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hotline_ml.config import TrackingConfig
from hotline_ml.config_files import plain
from hotline_ml.data.io import write_table
from hotline_ml.record import DatasetInput, ModelToRegister, Registered, RunRecord
from hotline_ml.registry import Champion

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
import mlflow  # imported after telemetry is switched off above
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

log = logging.getLogger(__name__)

# MLflow limits (mlflow.utils.validation): param values 6000 characters, keys 250.
MAX_PARAM_VALUE = 6000
MAX_PARAM_KEY = 250


def artifact_location(tracking_uri: str) -> str | None:
    """Artifact root for a sqlite store: ``mlartifacts/`` beside the database file; else the server's."""
    if tracking_uri.startswith("sqlite:///"):
        db = Path(tracking_uri.removeprefix("sqlite:///"))
        return str(db.resolve().parent / "mlartifacts")
    return None


def configure(cfg: TrackingConfig) -> str:
    """Point MLflow at ``cfg.tracking_uri`` and select (creating if needed) ``cfg.experiment``.

    Returns:
        The experiment id.
    """
    mlflow.set_tracking_uri(cfg.tracking_uri)
    client = MlflowClient()
    exp = client.get_experiment_by_name(cfg.experiment)
    if exp is None:
        exp_id = client.create_experiment(cfg.experiment, artifact_location=artifact_location(cfg.tracking_uri))
    else:
        exp_id = exp.experiment_id
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


@contextlib.contextmanager
def start_run(cfg: TrackingConfig, run_name: str | None = None, tags: Mapping[str, str] | None = None,
              config: Any = None) -> Iterator[str]:
    """Open a run (after :func:`configure`), tag it with the git commit, log the config, yield the run id.

    Args:
        cfg: Tracking settings.
        run_name: Display name; ``cfg.run_name`` wins when set.
        tags: Extra tags, e.g. ``{"sweep": ..., "job": ...}`` from a Hydra multirun.
        config: The resolved config (dataclass or mapping): flattened into params and saved once, as
            ``config.yaml``.
    """
    configure(cfg)
    all_tags = {**cfg.tags, **(tags or {})}
    commit = git_commit()
    if commit:
        all_tags["git_commit"] = commit
    with mlflow.start_run(run_name=cfg.run_name or run_name, tags=all_tags) as run:
        if config is not None:
            as_dict = plain(config)
            mlflow.log_params(flatten_params(as_dict))
            log_dict(as_dict, "config.yaml")
        yield run.info.run_id


def git_commit() -> str | None:
    """The current git commit (with ``-dirty`` when the tree has changes), or ``None`` outside a checkout."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                             timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, check=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("-dirty" if dirty else "")


def flatten_params(d: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten a nested mapping to ``a.b.c`` keys with string values truncated to MLflow's limits."""
    out: dict[str, str] = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten_params(value, prefix=f"{name}."))
            continue
        text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
        if len(text) > MAX_PARAM_VALUE:
            text = text[: MAX_PARAM_VALUE - 3] + "..."
        out[name[:MAX_PARAM_KEY]] = text
    return out


def metric_name(name: str) -> str:
    """MLflow accepts letters, digits, ``_ - . / : space`` in names; anything else becomes ``_``."""
    return re.sub(r"[^\w\-./: ]", "_", name)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Log numeric metrics (names made valid by :func:`metric_name`); non-finite or non-numeric values are
    skipped with a log line, never silently."""
    clean = {}
    for name, value in metrics.items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            log.warning("metric %s=%r is not a number; not logged", name, value)
            continue
        if v != v or v in (float("inf"), float("-inf")):
            log.warning("metric %s=%s is not finite; not logged", name, v)
            continue
        clean[metric_name(name)] = v
    if clean:
        mlflow.log_metrics(clean, step=step)


def log_artifact(path: str | Path, artifact_path: str | None = None) -> None:
    """Log a file or a directory (recursively) as run artifacts."""
    path = Path(path)
    if path.is_dir():
        mlflow.log_artifacts(str(path), artifact_path=artifact_path)
    else:
        mlflow.log_artifact(str(path), artifact_path=artifact_path)


def log_dict(data: Mapping[str, Any] | list, name: str) -> None:
    """Log a JSON (or YAML, by suffix) artifact from a dict."""
    mlflow.log_dict(data, name)


def log_text(text: str, name: str) -> None:
    """Log a text artifact (e.g. a Markdown report)."""
    mlflow.log_text(text, name)


def set_tags(tags: Mapping[str, str]) -> None:
    """Tag the active run."""
    mlflow.set_tags(dict(tags))


def log_figure(figure: Any, name: str) -> None:
    """Log a matplotlib figure as a PNG artifact."""
    mlflow.log_figure(figure, name)


def log_table(frame: pd.DataFrame, name: str) -> None:
    """Log a table as an artifact: Parquet or CSV by the suffix of ``name``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_table(frame, Path(tmp) / Path(name).name)
        parent = str(Path(name).parent)
        mlflow.log_artifact(str(path), artifact_path=None if parent == "." else parent)


def log_record(record: RunRecord) -> Registered | None:
    """Log everything a job returned to the active run, then register its model (if any).

    Order: tags, metric history, final metrics, tables, figures, texts, dicts, artifacts, dataset inputs, model.
    Registration points alias ``candidate`` at the new version and moves ``champion`` when the model's promotion
    rule says so; the reason is tagged ``promotion``.

    Returns:
        The registry outcome, or ``None`` when the record has no model.
    """
    set_tags(record.tags)
    for step, metrics in record.history:
        log_metrics(metrics, step=step)
    log_metrics(record.metrics)
    for name, frame in record.tables.items():
        log_table(frame, name)
    for name, figure in record.figures.items():
        log_figure(figure, name)
    for name, text in record.texts.items():
        log_text(text, name)
    for name, data in record.dicts.items():
        log_dict(data, name)
    for path, directory in record.artifacts.items():
        log_artifact(path, directory)
    for dataset in record.datasets:
        log_dataset(dataset)
    return None if record.model is None else register(record.model, record.metrics, record.tags)


def log_dataset(dataset: DatasetInput) -> None:
    """Log a data set the run read as an MLflow dataset input: name, source, context, rows, and the prepared
    data's digest as its MLflow digest (the first 32 hex digits: MLflow keeps 36 characters)."""
    import warnings

    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    with warnings.catch_warnings():  # a local path matches two equivalent local source kinds; either is right
        warnings.simplefilter("ignore", UserWarning)
        source = resolve_dataset_source(dataset.source)
    mlflow.log_input(MetaDataset(source, name=dataset.name, digest=dataset.digest[:32]), context=dataset.context,
                     tags={"rows": str(dataset.rows), "data_digest": dataset.digest})


def register(model: ModelToRegister, metrics: Mapping[str, float], tags: Mapping[str, str]) -> Registered:
    """Log and register ``model`` from the active run; ``candidate`` -> it; ``champion`` by its rule."""
    _, version = log_predictor_model(model.loader, model.artifacts, model.input_example, model.name,
                                     model.pip_requirements, model.optional_inputs)
    set_alias(model.name, "candidate", version)
    current = alias_version(model.name, "champion")
    champion = None
    if current is not None:
        run_id = version_run_id(model.name, current)
        champion = Champion(current, run_metrics(run_id), run_tags(run_id))
    promoted, reason = model.rule.decide(metrics, tags, champion)
    if promoted:
        set_alias(model.name, "champion", version)
    set_tags({"promotion": reason})
    log.info("registered %s version %s (candidate); champion: %s", model.name, version, reason)
    return Registered(model.name, version, promoted, reason)


class PyfuncAdapter(mlflow.pyfunc.PythonModel):
    """An MLflow pyfunc that delegates to a toolkit object, so only this module needs to import mlflow.

    Args:
        loader: ``"package.module:function"``; called with the model's artifacts (name -> local path), and with
            ``model_config=`` when the model was logged with one, when the model is loaded; it returns an
            object with ``predict_frame(frame) -> DataFrame``.
    """

    def __init__(self, loader: str) -> None:
        self.loader = loader
        self.impl: Any = None

    def load_context(self, context: Any) -> None:
        self.impl = call_loader(self.loader, context.artifacts, context.model_config)

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        return self.impl.predict_frame(model_input)


def call_loader(loader: str, artifacts: Mapping[str, str], model_config: Mapping[str, Any] | None = None) -> Any:
    """Import ``"package.module:function"`` and call it with the artifacts (and ``model_config=`` when given)."""
    import importlib

    module, _, func = loader.partition(":")
    fn = getattr(importlib.import_module(module), func)
    kwargs = {"model_config": dict(model_config)} if model_config else {}
    return fn({k: str(v) for k, v in artifacts.items()}, **kwargs)


def log_pyfunc_model(python_model: Any, artifacts: Mapping[str, str], input_example: pd.DataFrame,
                     output_example: pd.DataFrame, registered_name: str | None = None,
                     pip_requirements: list[str] | None = None, name: str = "model",
                     optional_inputs: Sequence[str] = (),
                     model_config: Mapping[str, Any] | None = None) -> tuple[str, str | None]:
    """Log a pyfunc model with signature, input example and this package's code; optionally register it.

    Args:
        python_model: A loader path ``"package.module:function"`` (see :class:`PyfuncAdapter`), or an
            ``mlflow.pyfunc.PythonModel``.
        artifacts: Name -> local path (e.g. the saved HF checkpoint directory).
        input_example: A realistic input frame.
        output_example: What the model returns for ``input_example`` (for the signature).
        registered_name: Register under this name when given.
        pip_requirements: Requirements recorded with the model (inference from imports is slow and noisy).
        name: Model name within the run.
        optional_inputs: Input columns a caller may leave out (the signature marks them not required).
        model_config: Small settings stored in ``MLmodel`` and handed to the loader (see :class:`PyfuncAdapter`).

    Returns:
        ``(model_uri, version)``; version is ``None`` when not registered.
    """
    from mlflow.models import infer_signature

    package_dir = Path(__file__).resolve().parent
    if isinstance(python_model, str):
        python_model = PyfuncAdapter(python_model)
    signature = _with_optional(infer_signature(input_example, output_example), optional_inputs)
    info = mlflow.pyfunc.log_model(
        name=name,
        python_model=python_model,
        artifacts=dict(artifacts),
        code_paths=[str(package_dir)],
        input_example=input_example,
        signature=signature,
        pip_requirements=pip_requirements,
        registered_model_name=registered_name,
        model_config=dict(model_config) if model_config else None,
    )
    version = str(info.registered_model_version) if registered_name else None
    return info.model_uri, version


def _with_optional(signature: Any, optional: Sequence[str]) -> Any:
    """The signature with the ``optional`` input columns marked not required (examples cannot say so)."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    names = signature.inputs.input_names()
    missing = sorted(set(optional) - set(names))
    if missing:
        raise ValueError(f"optional_inputs {missing} are not columns of the input example ({names})")
    inputs = Schema([ColSpec(c.type, c.name, required=c.required and c.name not in optional)
                     for c in signature.inputs.inputs])
    return ModelSignature(inputs=inputs, outputs=signature.outputs, params=signature.params)


#: How a logged predictor runs, overridable when it is loaded (``hotline_ml.predict.pyfunc.load_predictor``):
#: ``None`` keeps the model's own.
PREDICTOR_SETTINGS: dict[str, Any] = {"device": None, "precision": None, "batch_size": None, "int8": None,
                                      "num_threads": None}


def spark_udf(spark: Any, model_uri: str, result_type: Any, tracking_uri: str | None = None,
              model_config: Mapping[str, Any] | None = None, extra_env: Mapping[str, str] | None = None) -> Any:
    """``mlflow.pyfunc.spark_udf`` of a logged model, run in this Python environment (``env_manager="local"``).

    Args:
        spark: The Spark session.
        model_uri: A pinned model (``models:/<name>/<version>``, ``runs:/...``, a local MLflow model directory).
        result_type: The UDF's Spark type (a struct of the prediction columns).
        tracking_uri: Store to resolve the URI against; ``None`` keeps MLflow's current one.
        model_config: Overrides of the logged ``model_config`` keys (others are ignored, with MLflow's warning).
        extra_env: Environment variables set in the workers before the model is loaded.
    """
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    return mlflow.pyfunc.spark_udf(spark, model_uri, result_type=result_type, env_manager="local",
                                   model_config=dict(model_config) if model_config else None,
                                   extra_env=dict(extra_env) if extra_env else None)


def log_predictor_model(loader: str, artifacts: Mapping[str, str], input_example: pd.DataFrame,
                        registered_name: str | None = None, pip_requirements: list[str] | None = None,
                        optional_inputs: Sequence[str] = ("order_id", "title", "human"),
                        name: str = "model") -> tuple[str, str | None]:
    """Log (and register) a model whose pyfunc is a whole predictor, computing its output example here.

    The loader is called locally exactly as ``mlflow models serve`` will call it, so the signature describes
    what the served model really returns, and a job below ``hotline_ml.predict`` need not import it. The
    registered name and the active run id go into ``model_config``, so served predictions name their model.

    Args:
        loader: ``"package.module:function"`` returning an object with ``predict_frame`` (e.g.
            ``hotline_ml.predict.pyfunc:load_predictor``).
        artifacts: Name -> local path: ``checkpoint`` and the YAML written by ``config_files.write_config_files``.
        input_example: A few realistic input rows (``text`` and the optional columns).
        registered_name: Register under this name when given.
        pip_requirements: Requirements recorded with the model.
        optional_inputs: Input columns a caller may leave out.
        name: Model name within the run.

    Returns:
        ``(model_uri, version)``; version is ``None`` when not registered.
    """
    run = mlflow.active_run()
    # the settings keys are there so that a loader (spark_udf's model_config, MLflow's
    # MLFLOW_PYFUNC_INFERENCE_CONFIG) may override them: MLflow only overrides keys logged with the model
    model_config = {"model_name": registered_name, "run_id": run.info.run_id if run else None,
                    **PREDICTOR_SETTINGS}
    impl = call_loader(loader, artifacts, model_config)
    output = impl.predict_frame(input_example)
    return log_pyfunc_model(loader, artifacts, input_example, output, registered_name, pip_requirements, name,
                            [c for c in optional_inputs if c in input_example.columns], model_config)


def set_alias(name: str, alias: str, version: str) -> None:
    """Point ``alias`` of registered model ``name`` at ``version``."""
    MlflowClient().set_registered_model_alias(name, alias, version)


def alias_version(name: str, alias: str) -> str | None:
    """The version ``alias`` points at, or ``None`` when the model or alias does not exist."""
    try:
        return str(MlflowClient().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def version_run_id(name: str, version: str) -> str:
    """Run id that produced a registered model version."""
    return MlflowClient().get_model_version(name, version).run_id


def run_tags(run_id: str) -> dict[str, str]:
    """Tags of a run."""
    return dict(MlflowClient().get_run(run_id).data.tags)


def run_metrics(run_id: str) -> dict[str, float]:
    """Latest metric values of a run."""
    return dict(MlflowClient().get_run(run_id).data.metrics)


def load_pyfunc(model_uri: str, tracking_uri: str | None = None) -> Any:
    """Load a logged model (``models:/name@alias``, ``runs:/id/model`` or a local path), as ``mlflow models
    serve`` and ``spark_udf`` do; ``tracking_uri`` ``None`` keeps MLflow's current one."""
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    return mlflow.pyfunc.load_model(model_uri)


def download_artifacts(artifact_uri: str, dst: str | Path | None = None) -> Path:
    """Download artifacts (``runs:/<id>/path``, ``models:/name@alias``) to a local directory."""
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=artifact_uri,
                                                    dst_path=str(dst) if dst else None))


@dataclass(frozen=True)
class ResolvedModel:
    """A logged model fetched to a local directory, with where it came from.

    Attributes:
        local_dir: The MLflow model directory (holds ``MLmodel``).
        artifacts: Pyfunc artifact name -> local path (e.g. ``checkpoint`` -> the HF checkpoint directory).
        name: Registered model name (from the registry, else the name the model was logged to register under).
        version: Registered version (``None`` unless resolved from the registry).
        run_id: Run that logged the model (from the registry or the URI, else from ``MLmodel``).
    """

    local_dir: Path
    artifacts: dict[str, Path]
    name: str | None = None
    version: str | None = None
    run_id: str | None = None


def resolve_model(uri: str, dst: str | Path, tracking_uri: str | None = None) -> ResolvedModel:
    """Fetch a logged pyfunc model to ``dst`` and say which registered version and run it is.

    Args:
        uri: ``models:/<name>@<alias>``, ``models:/<name>/<version>``, ``runs:/<run id>/<path>``, or a local
            MLflow model directory (one holding ``MLmodel``).
        dst: An existing directory to download into (registry and run URIs only).
        tracking_uri: Tracking server or store to resolve against; ``None`` keeps MLflow's current one.

    Raises:
        ValueError: The alias or version does not exist (the message names the model), or a local directory
            is not an MLflow model.
    """
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    name = version = run_id = None
    if uri.startswith("models:/"):
        name, sep, alias = uri.removeprefix("models:/").partition("@")
        if sep:
            version = alias_version(name, alias)
            if version is None:
                raise ValueError(f"{uri}: registered model {name!r} has no alias {alias!r} "
                                 f"(tracking URI {mlflow.get_tracking_uri()}); train and register one first")
        else:
            name, _, version = name.partition("/")
        try:
            run_id = version_run_id(name, version)
        except MlflowException as e:
            raise ValueError(f"{uri}: no version {version!r} of registered model {name!r}: {e.message}") from None
        local = download_artifacts(f"models:/{name}/{version}", dst)
    elif uri.startswith("runs:/"):
        run_id = uri.removeprefix("runs:/").split("/", 1)[0]
        local = download_artifacts(uri, dst)
    else:
        local = Path(uri)
    spec = _mlmodel(local)
    if not uri.startswith("models:/"):  # a run or a copied directory: the name it was registered under, if any
        name = (_pyfunc_flavor(spec).get("config") or {}).get("model_name")  # MLmodel keeps model_config there
    return ResolvedModel(local, pyfunc_artifacts(local), name, version, run_id or spec.get("run_id"))


def _mlmodel(model_dir: Path) -> dict[str, Any]:
    import yaml

    mlmodel = Path(model_dir) / "MLmodel"
    if not mlmodel.is_file():
        raise ValueError(f"{model_dir}: not an MLflow model directory (no MLmodel file)")
    return yaml.safe_load(mlmodel.read_text(encoding="utf-8"))


def _pyfunc_flavor(spec: Mapping[str, Any]) -> dict[str, Any]:
    return spec.get("flavors", {}).get("python_function", {}) or {}


def pyfunc_artifacts(model_dir: str | Path) -> dict[str, Path]:
    """Artifact name -> local path of a pyfunc model directory, read from its ``MLmodel`` file.

    Raises:
        ValueError: ``model_dir`` holds no ``MLmodel`` file.
    """
    model_dir = Path(model_dir)
    artifacts = _pyfunc_flavor(_mlmodel(model_dir)).get("artifacts", {}) or {}
    return {name: model_dir / entry["path"] for name, entry in artifacts.items()}
