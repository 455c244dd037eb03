"""The @@model@@ pipeline: edit it, then `shipyard train @@model@@`.

shipyard calls ``build_pipeline(features, seed)`` with the training features (a DataFrame,
without the target) and fits what it returns. Any scikit-learn estimator with
``predict_proba`` works; a pipeline of these steps is also converted to ONNX for the fast
path (the server checks the conversion gives the same answers, else it serves this one).
"""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_pipeline(features: pd.DataFrame, seed: int) -> Pipeline:
    numbers = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    categories = [c for c in features.columns if c not in numbers]
    preprocess = ColumnTransformer(
        [
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                categories,
            ),
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
        ]
    )
    classifier = LogisticRegression(max_iter=2_000, random_state=seed)
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])
