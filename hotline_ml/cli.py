"""The ``hotline-ml`` command: one Hydra entry point per job, and the ``hotline-ml <job>`` dispatcher.

    hotline-ml prepare-data data=tipdm2020c split=stratified
    hotline-ml train-classifier -m trainer.learning_rate=5e-5,1e-4     # a sweep: one MLflow run per job
    hotline-ml fit-forecasts --cfg job                                   # print the composed config only

Everything after the job's name is Hydra's: overrides, ``-m``, ``--cfg``, ``--help``. ``training/*.py`` and
``serving/*.py`` call the same functions, so ``python training/train_classifier.py ...`` is the same job with
the same configs, outputs and MLflow run names. The configs are the repository's conf/, installed as the
package ``hotline_ml.conf`` (``hotline_ml/conf`` links to it). This is the one library module that runs Hydra
apps; each job imports its own modules when it starts, so one job (or ``--help``) does not load what the others
need.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Sequence
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from hotline_ml.config import register_configs

CONFIG_PATH = "pkg://hotline_ml.conf"  # conf/ (an editable install reads it in place)

register_configs()


def run_tags() -> dict[str, str]:
    """MLflow tags that tie a run to its Hydra job: ``hydra_mode``, the overrides, and for multirun jobs the
    sweep directory and job number."""
    hc = HydraConfig.get()
    tags = {"hydra_mode": hc.mode.name, "hydra_overrides": " ".join(hc.overrides.task) or "(none)"}
    if hc.mode == RunMode.MULTIRUN:
        tags |= {"sweep": hc.sweep.dir, "sweep_job": str(hc.job.num)}
    return tags


def _tracked(tracking_cfg: Any, run_name: str, cfg: Any, job: Callable[[Any], Any]) -> None:
    """Every tracked job the same way: open the run (config logged once), run the job, log its one record
    (and register its model), print the job's summary and the registry outcome."""
    from hotline_ml import tracking

    with tracking.start_run(tracking_cfg, run_name=run_name, tags=run_tags(), config=cfg):
        record = job(cfg)
        registered = tracking.log_record(record)
    print(record.summary + ("" if registered is None else "\n" + registered.summary()))


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="prepare_data")
def prepare_data_job(dcfg: DictConfig) -> None:
    """Load work orders, validate them (rejects keep their reason), mask PII, split and save."""
    from hotline_ml.config import PrepareDataConfig
    from hotline_ml.data.prepare import format_summary, prepare_data

    cfg: PrepareDataConfig = OmegaConf.to_object(dcfg)
    prepared = prepare_data(cfg)
    print(format_summary(prepared.summary()))


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="pretrain_mlm")
def pretrain_mlm_job(dcfg: DictConfig) -> None:
    """Masked-LM pre-training, offline: build hotline-bert-mini or continue a Chinese BERT."""
    from pathlib import Path

    from hotline_ml.classify.pretrain import run_pretrain_job
    from hotline_ml.config import PretrainMlmConfig

    cfg: PretrainMlmConfig = OmegaConf.to_object(dcfg)
    _tracked(cfg.tracking, f"mlm-{Path(cfg.output_dir).name}-{cfg.data.name}", cfg, run_pretrain_job)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="train_classifier")
def train_classifier_job(dcfg: DictConfig) -> None:
    """Train, compare and register the appeal type and urgency classifiers."""
    from hotline_ml.classify.job import run_classifier_job
    from hotline_ml.config import TrainClassifierConfig

    cfg: TrainClassifierConfig = OmegaConf.to_object(dcfg)
    _tracked(cfg.tracking, f"{cfg.model.name}-{cfg.data.name}", cfg, run_classifier_job)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="fit_forecasts")
def fit_forecasts_job(dcfg: DictConfig) -> None:
    """Backtest, fit and register daily demand forecasts; replay the early warning."""
    from hotline_ml.config import FitForecastsConfig
    from hotline_ml.forecast.job import run_forecast_job

    cfg: FitForecastsConfig = OmegaConf.to_object(dcfg)
    _tracked(cfg.tracking, f"forecast-{cfg.series.name}", cfg, run_forecast_job)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="find_hot_issues")
def find_hot_issues_job(dcfg: DictConfig) -> None:
    """Find hot issues: the same problem at the same place raised by many callers within weeks."""
    from hotline_ml.config import FindHotIssuesConfig
    from hotline_ml.insight.jobs import run_hot_issue_job

    cfg: FindHotIssuesConfig = OmegaConf.to_object(dcfg)
    _tracked(cfg.tracking, f"hot-issues-{cfg.data.name}", cfg, run_hot_issue_job)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="compute_indicators")
def compute_indicators_job(dcfg: DictConfig) -> None:
    """Lifecycle indicators per week, district and type: response, resolution, on-time, satisfaction, repeats."""
    from hotline_ml.config import ComputeIndicatorsConfig
    from hotline_ml.insight.jobs import run_indicator_job

    cfg: ComputeIndicatorsConfig = OmegaConf.to_object(dcfg)
    _tracked(cfg.tracking, f"indicators-{cfg.data.name}", cfg, run_indicator_job)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="batch_score")
def batch_score_job(dcfg: DictConfig) -> None:
    """Score a file of work orders with the registered model, in resumable chunks."""
    from hotline_ml.config import BatchScoreConfig
    from hotline_ml.predict import Predictor
    from hotline_ml.predict.batch import score_file

    cfg: BatchScoreConfig = OmegaConf.to_object(dcfg)
    predictor = Predictor.from_config(cfg.predictor, cfg.routing, cfg.desensitize)
    if cfg.engine == "spark":
        from hotline_ml.predict.spark_batch import score_spark
        from hotline_ml.spark import spark_session

        with spark_session(cfg.spark) as spark:
            result = score_spark(cfg, predictor, spark)
    else:
        result = score_file(cfg, predictor)
    print(result.summary())
    for ex in result.examples:
        print(f"\n[{ex['route']}] {ex['order_id']} {ex['appeal_type']} urgency {ex['urgency']}\n  {ex['text']}"
              + (f"\n  reasons: {ex['reasons']}" if ex["reasons"] else ""))


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="serve")
def serve_job(dcfg: DictConfig) -> None:
    """The HTTP service: /predict, /predict_batch, /health."""
    import uvicorn

    from hotline_ml.config import ServeConfig
    from hotline_ml.predict import Predictor
    from hotline_ml.predict.http import Limits, create_app

    cfg: ServeConfig = OmegaConf.to_object(dcfg)
    app = create_app(lambda: Predictor.from_config(cfg.predictor, cfg.routing, cfg.desensitize),
                     Limits(cfg.max_text_chars, cfg.max_batch, cfg.max_body_bytes))
    uvicorn.run(app, host=cfg.host, port=cfg.port)


def compose(config_name: str, overrides: Sequence[str] = ()) -> Any:
    """An entry config from the packaged configs, composed and converted to its typed object: what the job of
    that name receives (for benchmarks and notebooks, which are not Hydra apps)."""
    from hydra import compose as compose_dcfg
    from hydra import initialize_config_module

    with initialize_config_module(config_module="hotline_ml.conf", version_base="1.3"):
        return OmegaConf.to_object(compose_dcfg(config_name=config_name, overrides=list(overrides)))


JOBS: dict[str, Callable[[], None]] = {
    "prepare-data": prepare_data_job,
    "pretrain-mlm": pretrain_mlm_job,
    "train-classifier": train_classifier_job,
    "fit-forecasts": fit_forecasts_job,
    "find-hot-issues": find_hot_issues_job,
    "compute-indicators": compute_indicators_job,
    "batch-score": batch_score_job,
    "serve": serve_job,
}


def usage() -> str:
    """The text of ``hotline-ml --help``."""
    width = max(map(len, JOBS))
    jobs = "\n".join(f"  {name:<{width}}  {fn.__doc__.splitlines()[0]}" for name, fn in JOBS.items())
    return (f"usage: hotline-ml <job> [hydra overrides and flags...]\n\njobs:\n{jobs}\n\n"
            "Everything after the job is Hydra's, e.g.\n"
            "  hotline-ml prepare-data data.synthetic.n_orders=2000 split=stratified\n"
            "  hotline-ml train-classifier -m trainer.learning_rate=1e-3,5e-4   # one MLflow run per job\n"
            "  hotline-ml fit-forecasts --cfg job                                # the composed config, no run\n"
            "  hotline-ml serve --help                                           # the job's config groups\n"
            "Configs: the package hotline_ml.conf (conf/ of the repository); outputs go under the current "
            "directory.")


def main(argv: list[str] | None = None) -> None:
    """``hotline-ml <job> [hydra args...]``: run one job (the console script of the wheel).

    Args:
        argv: The arguments after ``hotline-ml``; ``sys.argv[1:]`` when ``None``.

    Exits 0 after ``--help``; 2, with the reason and the usage on stderr, when the job is missing or unknown;
    otherwise as the Hydra app does (1 on a config or job error).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if args and args[0] in ("-h", "--help", "help"):
        print(usage())
        return
    if not args or args[0] not in JOBS:
        close = difflib.get_close_matches(args[0].replace("_", "-"), JOBS, n=1) if args else []
        problem = "no job given" if not args else f"unknown job {args[0]!r}"
        hint = f"; did you mean {close[0]!r}?" if close else ""
        print(f"hotline-ml: {problem}{hint}\n\n{usage()}", file=sys.stderr)
        sys.exit(2)
    job, *rest = args
    saved = sys.argv
    sys.argv = [f"hotline-ml {job}", *rest]  # Hydra parses sys.argv; its messages then name the job
    try:
        JOBS[job]()
    finally:
        sys.argv = saved
