"""Per-series work on Spark: the tasks of :func:`~hotline_ml.forecast.parallel.map_tasks`, run as
``groupBy(part, series).applyInPandas`` over one long frame ``(part, series, date, value)``.

    with spark_workers(cfg.spark) as spark:           # engine=spark (hotline_ml/forecast/job.py)
        fits = fit_panel(counts, plan, cfg.n_jobs, spark=spark)

Each group rebuilds its series exactly as the driver had it (values dtype, index name, dtype and ``freq``), calls
the same library function with the task's other arguments (they travel pickled in the function), and returns the
result pickled in a binary column beside its key; the driver unpickles and returns the results in task order, as
:func:`~hotline_ml.forecast.parallel.map_tasks` does, so both engines give the same fits. Series are dealt out
round-robin over the partitions (a range partitioning of the round-robin number: hashing the keys would leave
some cores idle), and each Python worker pins BLAS to one thread before its first task. pyspark is imported only
when a session starts, so the local engine does not need it.
"""

from __future__ import annotations

import functools
import logging
import pickle
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from hotline_ml.config import SparkConfig
from hotline_ml.forecast.parallel import pin_blas_threads
from hotline_ml.spark import spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

T = TypeVar("T")
LONG_SCHEMA = "part int, series string, date timestamp_ntz, value double"
RESULT_SCHEMA = "series string, result binary"


@dataclass(frozen=True)
class SeriesLayout:
    """What a worker needs to rebuild a task's series from its rows of the long frame exactly.

    Attributes:
        name: The series' name.
        dtype: Dtype of the values (they travel as doubles).
        index_name: Name of the date index.
        index_dtype: Dtype of the date index (Spark returns nanoseconds whatever the driver had).
        freq: Frequency of the date index (``None`` when it had none).
    """

    name: Any
    dtype: Any
    index_name: Any
    index_dtype: Any
    freq: Any

    @classmethod
    def of(cls, y: pd.Series) -> SeriesLayout:
        """The layout of ``y``.

        Raises:
            TypeError: ``y`` is not indexed by dates.
        """
        if not isinstance(y.index, pd.DatetimeIndex):
            raise TypeError(f"series {y.name!r}: the Spark engine needs a DatetimeIndex, got {type(y.index).__name__}")
        return cls(y.name, y.dtype, y.index.name, y.index.dtype, y.index.freq)

    def rebuild(self, rows: pd.DataFrame) -> pd.Series:
        """The series from its rows ``date, value`` (in any order)."""
        rows = rows.sort_values("date")
        index = pd.DatetimeIndex(rows["date"].astype(self.index_dtype).to_numpy(), name=self.index_name,
                                 freq=self.freq)
        return pd.Series(rows["value"].to_numpy(), index=index, name=self.name).astype(self.dtype)


@dataclass(frozen=True)
class SparkWorkers:
    """A Spark session that runs per-series tasks (the ``spark`` engine of the forecasting job).

    Attributes:
        session: The session (:func:`hotline_ml.spark.spark_session`).
        partitions: Partitions the series are spread over; ``None``: the session's default parallelism.
    """

    session: SparkSession
    partitions: int | None = None

    def map(self, fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]], desc: str) -> list[T]:
        """``[fn(*task) for task in tasks]`` on Spark, in order; each task is ``(key, y, *args)``.

        Args:
            fn: A module-level function (workers import it); its result must be picklable.
            tasks: ``key`` a unique string, ``y`` a daily series (``pd.Series`` on a ``DatetimeIndex``), ``args``
                anything picklable (shared objects such as the plan are pickled once).
            desc: What the tasks do (logged).

        Returns:
            The results, in the order of ``tasks``.

        Raises:
            ValueError: Two tasks have the same key.
            TypeError: A series is not indexed by dates.
            RuntimeError: Spark returned no result for some keys.
            pyspark.errors.PythonException: ``fn`` raised in a worker (its traceback is in the message).
        """
        keys = [task[0] for task in tasks]
        repeated = [k for k, n in Counter(keys).items() if n > 1]
        if repeated:
            raise ValueError(f"{desc}: series keys must be unique for the Spark engine; repeated: {repeated[:5]}")
        if not tasks:
            return []
        n_parts = min(len(tasks), self.partitions or self.session.sparkContext.defaultParallelism)
        log.info("%s: %d series on Spark, %d partitions", desc, len(tasks), n_parts)
        layouts = {task[0]: SeriesLayout.of(task[1]) for task in tasks}
        args = {task[0]: task[2:] for task in tasks}
        frame = self.session.createDataFrame(long_frame(tasks, n_parts), LONG_SCHEMA)

        def on_group(rows: pd.DataFrame) -> pd.DataFrame:  # a closure, not a partial: pyspark reads its type hints
            return run_group(fn, layouts, args, rows)

        out = (frame.repartitionByRange(n_parts, "part").groupBy("part", "series")
               .applyInPandas(on_group, RESULT_SCHEMA).collect())
        results = {row["series"]: pickle.loads(row["result"]) for row in out}
        missing = [k for k in keys if k not in results]
        if missing:
            raise RuntimeError(f"{desc}: Spark returned no result for {len(missing)} series ({missing[:5]})")
        return [results[k] for k in keys]


def long_frame(tasks: Sequence[tuple[Any, ...]], n_parts: int) -> pd.DataFrame:
    """Rows ``part, series, date, value`` of every task's series; task ``i`` goes to partition ``i % n_parts``."""
    frames = [pd.DataFrame({"part": i % n_parts, "series": task[0], "date": task[1].index.to_numpy(),
                            "value": task[1].to_numpy(dtype=float)}) for i, task in enumerate(tasks)]
    return pd.concat(frames, ignore_index=True)


def run_group(fn: Callable[..., Any], layouts: dict[str, SeriesLayout], args: dict[str, tuple[Any, ...]],
              rows: pd.DataFrame) -> pd.DataFrame:
    """The worker side: one series' rows -> ``fn(key, y, *args[key])`` pickled, beside its key.

    Returns:
        One row ``series, result``.
    """
    _pin_blas_once()
    key = rows["series"].iloc[0]
    result = fn(key, layouts[key].rebuild(rows), *args[key])
    return pd.DataFrame({"series": [key], "result": [pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)]})


@functools.cache
def _pin_blas_once() -> None:
    """:func:`pin_blas_threads` once per Python worker process (Spark reuses its workers across tasks)."""
    pin_blas_threads()


@contextmanager
def spark_workers(cfg: SparkConfig) -> Iterator[SparkWorkers]:
    """A session for per-series tasks (stopped on exit when this call started it); see :func:`spark_session`.

    Raises:
        ImportError: pyspark is not installed.
        JavaNotFoundError: No Java 17+ for pyspark.
    """
    with spark_session(cfg) as session:
        yield SparkWorkers(session, cfg.partitions)
