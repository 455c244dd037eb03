"""Try it: a form built from the served version's input schema; the answer comes from the
API, and is logged like any other prediction."""

from __future__ import annotations

from typing import Any

import streamlit as st

from shipyard.dashboard import charts
from shipyard.dashboard.connection import act, client, page_for_model_read
from shipyard.schemas.models import InputFieldRead

ANSWER_KEY = "try_it_answer"


def _field(field: InputFieldRead, key: str) -> Any:
    label = field.name + ("" if field.required else " (optional)")
    known = (
        f"seen in training: {field.minimum:g} to {field.maximum:g}"
        if field.minimum is not None and field.maximum is not None
        else None
    )
    if field.choices:
        index = (
            field.choices.index(str(field.example)) if str(field.example) in field.choices else 0
        )
        return st.selectbox(label, field.choices, index=index, key=key)
    if field.type == "integer":
        start = int(field.example) if isinstance(field.example, int | float) else 0
        return st.number_input(label, value=start, step=1, key=key, help=known)
    if field.type == "number":
        start_value = float(field.example) if isinstance(field.example, int | float) else 0.0
        return st.number_input(label, value=start_value, key=key, help=known)
    if field.type == "boolean":
        return st.checkbox(label, value=bool(field.example), key=key)
    return st.text_input(label, value=str(field.example or ""), key=key)


def render() -> None:
    model = page_for_model_read("Try it")
    if model is None:
        return
    name = model.name
    if not model.input_schema:
        st.info(
            f"{name} has no version loaded here yet, so there is no form: `shipyard models list`."
        )
        return
    st.caption(
        f"A form for {name} v{model.served_version}, from its input schema; values start at "
        "typical values of the training data. The answer is a real prediction, logged like "
        "any other."
    )
    with st.form("try_it"):
        columns = st.columns(3)
        record = {}
        for index, field in enumerate(model.input_schema):
            with columns[index % 3]:
                record[field.name] = _field(field, f"try_{name}_{field.name}")
        submitted = st.form_submit_button("Predict", type="primary")
    if submitted:
        answer = act("predicted", lambda: client().predict(name, record))
        if answer is None:
            st.session_state.pop(ANSWER_KEY, None)
        else:
            st.session_state[ANSWER_KEY] = answer.predictions[0]
    answer = st.session_state.get(ANSWER_KEY)
    if answer is not None and answer.model == name:
        st.subheader(f"Answer: {answer.label}")
        left, right = st.columns([2, 1])
        left.altair_chart(charts.probabilities_chart(answer.probabilities), width="stretch")
        right.metric("Probability", f"{answer.probabilities[answer.label]:.1%}")
        right.caption(
            f"v{answer.version} · {answer.latency_ms:.2f} ms in the model · logged as "
            f"{answer.prediction_id}"
        )


render()
