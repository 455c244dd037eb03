"""Predict, read the prediction back from the log, and send the true label.

    SHIPYARD_API_KEY=sy_... python examples/quickstart.py http://localhost:8000

Runs against any shipyard server serving the attrition example (``shipyard demo`` prints a
key with the predict and read scopes; ``shipyard keys create`` mints others).
The test suite runs this file against a live server.
"""

from __future__ import annotations

import os
import sys

from shipyard.client import ShipyardClient

EMPLOYEE = {
    "Age": 41, "BusinessTravel": "Travel_Rarely", "DailyRate": 1102, "Department": "Sales",
    "DistanceFromHome": 1, "Education": "College", "EducationField": "Life_Sciences",
    "EnvironmentSatisfaction": "Medium", "Gender": "Female", "HourlyRate": 94,
    "JobInvolvement": "High", "JobLevel": 2, "JobRole": "Sales_Executive",
    "JobSatisfaction": "Very_High", "MaritalStatus": "Single", "MonthlyIncome": 5993,
    "MonthlyRate": 19479, "NumCompaniesWorked": 8, "OverTime": "Yes", "PercentSalaryHike": 11,
    "PerformanceRating": "Excellent", "RelationshipSatisfaction": "Low", "StockOptionLevel": 0,
    "TotalWorkingYears": 8, "TrainingTimesLastYear": 0, "WorkLifeBalance": "Bad",
    "YearsAtCompany": 6, "YearsInCurrentRole": 4, "YearsSinceLastPromotion": 0,
    "YearsWithCurrManager": 5,
}  # fmt: skip


def main(url: str, api_key: str | None) -> None:
    with ShipyardClient(url, api_key=api_key) as client:
        health = client.health()
        print(f"serving {health.model} v{health.version} ({health.status})")

        answer = client.predict("attrition", EMPLOYEE)
        prediction = answer.predictions[0]
        print(
            f"predicted {prediction.label} "
            f"(P(Yes) = {prediction.probabilities['Yes']:.2f}) with v{prediction.version}"
        )

        logged = client.prediction(prediction.prediction_id)
        assert logged.inputs == EMPLOYEE

        feedback = client.feedback(prediction.prediction_id, "Yes")
        print(f"feedback recorded: {feedback.label}")

        page = client.predictions(model="attrition", limit=10)
        print(f"logged predictions: {len(page.items)}")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000",
        os.environ.get("SHIPYARD_API_KEY"),
    )
