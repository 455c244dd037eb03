"""Training maths for the example models: data sets, candidate pipelines, evaluation.

Knows scikit-learn and pandas; knows nothing of MLflow, HTTP or SQL.
"""
