"""Native thread pools while serving.

A server runs many small predictions from several threads at once. OpenMP and BLAS teams
sized for one big computation then spin-wait after every call and fight each other for the
cores: on two cores a HistGradientBoosting server used 1.5 cores for work worth one
(research/serving-anchors.md, observation 3). One native thread per call is faster there.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import threadpool_limits


def prediction_executor(threads: int, native_threads: int) -> ThreadPoolExecutor:
    """Threads for predictions, each with its OpenMP / BLAS teams capped.

    OpenMP's thread count is a per-thread setting, so the cap is applied in each worker
    thread as it starts, not once for the process.
    """
    return ThreadPoolExecutor(
        max_workers=threads,
        thread_name_prefix="predict",
        initializer=threadpool_limits,
        initargs=(native_threads,),
    )
