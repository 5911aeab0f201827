"""Run per-series work in worker processes with BLAS pinned to one thread each (with a progress bar)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_blas_threads() -> None:
    """Limit BLAS/OpenMP to one thread in this process: n processes x n BLAS threads would oversubscribe."""
    from threadpoolctl import threadpool_limits

    for name in BLAS_ENV:
        os.environ[name] = "1"
    threadpool_limits(limits=1)


def map_tasks(fn: Callable[..., T], tasks: Iterable[tuple[Any, ...]], n_jobs: int, desc: str,
              progress: bool = True) -> list[T]:
    """``[fn(*task) for task in tasks]``, in order, on ``n_jobs`` processes (in this process when 1).

    ``fn`` must be a module-level function and its arguments picklable. Workers are started with ``spawn``
    (no inherited MLflow or sqlite handles) and pin BLAS to one thread.
    """
    tasks = list(tasks)
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress, unit="series")
    if n_jobs <= 1 or len(tasks) <= 1:
        out = []
        for task in tasks:
            out.append(fn(*task))
            bar.update()
        bar.close()
        return out
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx, initializer=pin_blas_threads) as pool:
        futures = [pool.submit(fn, *task) for task in tasks]
        for f in futures:
            f.add_done_callback(lambda _: bar.update())
        out = [f.result() for f in futures]
    bar.close()
    return out
