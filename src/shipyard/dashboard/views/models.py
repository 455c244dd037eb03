"""Models: versions and their metrics, champion and challenger, the shadow comparison, the
history of the aliases, model cards; promote and roll back with an admin key."""

from __future__ import annotations

import streamlit as st

from shipyard.dashboard.connection import act, caller, client, fetch, is_admin, page_for_model_read
from shipyard.schemas.lifecycle import ComparisonRead, ModelCard
from shipyard.schemas.models import ModelRead

METRICS = ("roc_auc", "accuracy", "f1", "precision", "recall")


def _versions(model: ModelRead) -> None:
    st.subheader("Versions")
    rows = []
    for v in sorted(
        model.versions, key=lambda v: int(v.version) if v.version.isdigit() else 0, reverse=True
    ):
        row: dict[str, object] = {
            "version": v.version,
            "aliases": ", ".join(f"@{a}" for a in v.aliases),
            "served here": v.version == model.served_version,
            "registered (UTC)": v.created_at,
        }
        row.update({m: v.metrics.get(m) for m in METRICS if m in v.metrics})
        rows.append(row)
    st.dataframe(
        rows, hide_index=True, column_config={"served here": st.column_config.CheckboxColumn()}
    )


def _comparison(comparison: ComparisonRead) -> None:
    st.subheader(
        f"Shadow comparison: v{comparison.served_version} against "
        f"@challenger v{comparison.challenger_version}"
    )
    if comparison.rows == 0:
        st.info(
            "The challenger has not shadowed any request yet: it scores the same records "
            "as requests arrive."
        )
        return
    columns = st.columns(4)
    columns[0].metric("Shadowed requests", f"{comparison.rows:,}")
    columns[1].metric(
        "Same label", f"{comparison.agreement:.1%}" if comparison.agreement is not None else "-"
    )
    difference = comparison.mean_probability_difference
    columns[2].metric(
        "Mean |Δ probability|", f"{difference:.3f}" if difference is not None else "-"
    )
    columns[3].metric("With feedback", f"{comparison.labelled_rows:,}")
    if comparison.served and comparison.challenger:
        st.dataframe(
            [
                {
                    "version": f"v{comparison.served_version} (served)",
                    **comparison.served.model_dump(),
                },
                {
                    "version": f"v{comparison.challenger_version} (challenger)",
                    **comparison.challenger.model_dump(),
                },
            ],
            hide_index=True,
        )


def _cards(cards: list[ModelCard]) -> None:
    st.subheader("Retrains")
    if not cards:
        st.caption(
            "No retrain yet: `shipyard retrain NAME`, the retrain policy or a Prefect flow "
            "make one."
        )
        return
    st.dataframe(
        [
            {
                "when (UTC)": c.created_at,
                "candidate": c.version,
                "champion": c.champion_version,
                "outcome": c.outcome,
                "metric": c.comparison.metric,
                "candidate score": c.comparison.candidate,
                "champion score": c.comparison.champion,
                "p-value": c.comparison.p_value,
                "trigger": c.trigger,
            }
            for c in cards
        ],
        hide_index=True,
    )
    latest = cards[0]
    with st.expander(f"Model card of v{latest.version}"):
        for reason in latest.reasons:
            st.markdown(f"- {reason}")
        st.json(latest.model_dump(mode="json"), expanded=False)


def _steer(model: ModelRead) -> None:
    st.subheader("Promote or roll back")
    versions = sorted(
        (v.version for v in model.versions),
        key=lambda v: int(v) if v.isdigit() else 0,
        reverse=True,
    )
    left, right = st.columns(2)
    with left, st.form("promote"):
        version = st.selectbox("Version to serve", versions, key="promote_version")
        reason = st.text_input("Why", key="promote_reason")
        if st.form_submit_button("Promote", type="primary"):
            moved = act(
                "promoted", lambda: client().promote(model.name, str(version), reason=reason)
            )
            if moved is not None:
                st.rerun()
    with right, st.form("rollback"):
        st.caption("Back to the version served before the current one.")
        why = st.text_input("Why", key="rollback_reason")
        if st.form_submit_button("Roll back"):
            moved = act("rolled back", lambda: client().rollback(model.name, reason=why))
            if moved is not None:
                st.rerun()


def render() -> None:
    model = page_for_model_read("Models")
    if model is None:
        return
    name = model.name
    columns = st.columns(4)
    columns[0].metric("Served here", f"v{model.served_version}" if model.served_version else "none")
    columns[1].metric("@champion", model.aliases.get("champion", "-"))
    columns[2].metric("@challenger", model.aliases.get("challenger", "-"))
    if model.predictor:
        columns[3].metric("Predictor", model.predictor.kind, help=model.predictor.reason)
    if not model.versions:
        st.info(f"No version of {name} is registered: `shipyard train {name}` registers one.")
        return
    _versions(model)
    if "challenger" in model.aliases:
        comparison = fetch("the shadow comparison", lambda: client().comparison(name))
        if comparison is not None:
            _comparison(comparison)
    cards = fetch("the model cards", lambda: client().cards(name))
    if cards is not None:
        _cards(cards.items)
    history = fetch("the alias history", lambda: client().history(name, limit=20))
    if history is not None and history.items:
        st.subheader("Alias history")
        st.dataframe([m.model_dump() for m in history.items], hide_index=True)
    if is_admin(caller()):
        _steer(model)
    else:
        st.caption("Promote and roll back need the admin scope: sign in as an admin user.")


render()
