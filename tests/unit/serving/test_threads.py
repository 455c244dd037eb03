from __future__ import annotations

import sklearn.ensemble  # loads the OpenMP runtime, as loading a model does in a server
from threadpoolctl import threadpool_info

from shipyard.serving.threads import prediction_executor


def test_prediction_threads_run_single_threaded_native_pools() -> None:
    executor = prediction_executor(threads=2, native_threads=1)
    try:
        pools = executor.submit(threadpool_info).result(timeout=30)
    finally:
        executor.shutdown()
    assert sklearn.ensemble.HistGradientBoostingClassifier  # what these pools would run
    assert "openmp" in {pool["user_api"] for pool in pools}
    assert {pool["num_threads"] for pool in pools} == {1}
