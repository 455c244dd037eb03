"""Native thread pools while serving.

A server runs many small predictions from several threads at once. OpenMP and BLAS teams
sized for one big computation then spin-wait after every call and fight each other for the
cores: on two cores a HistGradientBoosting server used 1.5 cores for work worth one
(research/serving-anchors.md, observation 3). One native thread per call is faster there.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def limit_native_threads(threads: int = 1) -> None:
    """Cap OpenMP and BLAS pools for the rest of the process."""
    threadpool_limits(limits=threads)
