"""Choices (enums) and the small schemas every job shares: tracking, registry, paths, Spark."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from omegaconf import MISSING

URGENCY_LEVELS = ["紧急", "加急", "一般"]


class Choice(str, Enum):
    """Base of the config's string choices. A member is a ``str`` equal to its value (``Pooling.mean == "mean"``),
    prints as its value (``f"{Pooling.mean}"`` is ``mean``, not ``Pooling.mean``) and serialises as it in JSON.
    ``SomeChoice(value)`` converts (and checks) a plain string from code. Members' names equal their values:
    OmegaConf looks string values up by name."""

    def __str__(self) -> str:
        return str(self.value)


class PiiKind(Choice):
    """Personal information the desensitizer masks (``hotline_ml/data/desensitize.py``: ``ALL_KINDS``)."""

    id_card = "id_card"
    bank_card = "bank_card"
    email = "email"
    phone = "phone"
    plate = "plate"
    name = "name"


class DataFormat(Choice):
    """Work-order file formats (``hotline_ml/data/io.py``)."""

    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"
    excel = "excel"


class SplitMethod(Choice):
    """``time``: the test period is the most recent; ``stratified``: random, stratified by a field."""

    time = "time"
    stratified = "stratified"


class Pooling(Choice):
    """How the BERT encoder's token states become one vector per appeal."""

    mean = "mean"  # average of the token states over real tokens
    cls = "cls"  # BERT's pooler over [CLS]


class Task(Choice):
    """What the classifier learns (``hotline_ml/classify/features.py``)."""

    type_l1 = "type_l1"  # first level of the appeal type
    type_l2 = "type_l2"  # the full 一级/二级 path
    urgency = "urgency"


class ClassWeighting(Choice):
    """Class weights of the BERT's loss: none, inverse frequency, or inverse square root of the frequency."""

    none = "none"
    balanced = "balanced"
    sqrt = "sqrt"


class Promote(Choice):
    """When a newly registered version becomes ``champion`` (``hotline_ml/registry.py``)."""

    never = "never"
    if_better = "if_better"
    always = "always"


class HolidayCalendar(Choice):
    """Public holidays of the place the series come from (``hotline_ml/forecast/smoothing.py``: ``day_slots``)."""

    cn = "cn"  # China: statutory holidays and make-up workdays (chinesecalendar, with a fallback for later years)
    us = "us"  # United States: federal holidays


class SeriesSource(Choice):
    """Where the forecaster's daily counts come from."""

    orders = "orders"  # count the work orders of the `data` config
    daily_counts = "daily_counts"  # a table with one count per day and series


class Reconcile(Choice):
    """How parent series relate to the bottom series of the hierarchy."""

    bottom_up = "bottom_up"  # parents are sums of the bottom series
    none = "none"  # every series forecast on its own


class Engine(Choice):
    """Where a batch job runs: ``local`` (this process, chunked or with a process pool) or ``spark``
    (``hotline_ml/spark.py``: pyspark, ``local[N]`` or a cluster)."""

    local = "local"
    spark = "spark"


@dataclass
class SparkConfig:
    """A Spark session for the ``spark`` engine (``conf/spark/``).

    Attributes:
        master: ``local[N]`` (N worker threads on this machine), ``local[*]``, or a cluster master URL
            (``spark://host:7077``, ``yarn``, ``k8s://...``).
        app_name: The application name shown in Spark's UI and logs.
        shuffle_partitions: ``spark.sql.shuffle.partitions`` (Spark's 200 is far too many for one machine).
        partitions: Partitions the orders are spread over for prediction; ``None``: Spark's default
            parallelism (the cores of ``local[N]``, the executors' cores of a cluster).
        worker_threads: torch threads per Python worker (``None``: torch's default). With ``local[N]`` on an
            N-core machine, 1 avoids N workers x N threads fighting over the cores.
        conf: Further Spark settings, passed as they are (``spark.driver.memory: 4g``, ...).
    """

    master: str = MISSING
    app_name: str = MISSING
    shuffle_partitions: int = MISSING
    partitions: int | None = MISSING
    worker_threads: int | None = MISSING
    conf: dict[str, str] = MISSING


class Precision(Choice):
    """Arithmetic of the encoder at inference: ``fp32``, or autocast to ``fp16`` / ``bf16``."""

    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"


class OutputFormat(Choice):
    """File format of batch predictions."""

    parquet = "parquet"
    csv = "csv"


@dataclass
class TrackingConfig:
    """Where MLflow records runs and models.

    Attributes:
        tracking_uri: MLflow tracking URI; ``sqlite:///mlflow.db`` (project root) by default. Artifacts of a
            sqlite store go to ``mlartifacts/`` beside the database.
        experiment: Experiment name (created on first use).
        run_name: Fixed run name; ``None`` lets the job name it.
        tags: Extra tags on every run of this job.
    """

    tracking_uri: str = MISSING
    experiment: str = MISSING
    # Defaults kept: tests build TrackingConfig(tracking_uri=..., experiment=...) in code.
    run_name: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class PathsConfig:
    """Where the files every job shares live (``conf/paths/default.yaml``, included by every entry config).

    Attributes:
        prepared: Root of the prepared data: ``<prepared>/<data.name>/`` holds the masked, validated splits and
            their manifest (:mod:`hotline_ml.data.prepared`), which every job reads.
        external: Real benchmark data kept outside the repository (``../shared/data/external``): the data
            configs that read it name their files under this path.
        mlflow: The MLflow tracking URI of every job and of serving (``tracking.tracking_uri`` and
            ``predictor.tracking_uri`` point here).
    """

    prepared: str = MISSING
    external: str = MISSING
    mlflow: str = MISSING


class Family(Choice):
    """Model families that compete in the classifier job (``hotline_ml/classify/families/__init__.py``)."""

    bert = "bert"
    linear = "linear"
    ensemble = "ensemble"


class LinearLoss(Choice):
    """Loss of the linear family's heads."""

    hinge = "hinge"
    logistic = "logistic"


@dataclass
class RegistryConfig:
    """Model registry settings.

    Attributes:
        model_name: Registered model name.
        promote: ``never``, ``if_better`` (alias ``champion`` moves to the new version only when it beats the
            current champion on the same data, by the model kind's rule in ``hotline_ml/registry.py``: the
            primary test macro-F1 for classifiers, the backtest MASE relative to seasonal naive for
            forecasters) or ``always``.
    """

    model_name: str = MISSING
    promote: Promote = MISSING


class PlaceKind(Choice):
    """Kinds of place named in an appeal, from the widest to the most specific."""

    city = "city"
    district = "district"
    street = "street"  # 街道, 镇, 乡
    village = "village"  # 村, 社区
    estate = "estate"
    road = "road"
    school = "school"
    organisation = "organisation"
    landmark = "landmark"


class TextWindow(Choice):
    """How much text around a hit a cue may come from."""

    clause = "clause"  # between commas, semicolons or sentence ends
    sentence = "sentence"  # between 。！？ or line breaks
    text = "text"  # anywhere in the text
