"""A monitoring report as one self-contained HTML page: no script, no external file."""

from __future__ import annotations

from html import escape

from shipyard.schemas.monitoring import ClassificationScores, ColumnDrift, MonitoringReport

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.muted{color:#5b6475}table{border-collapse:collapse;width:100%;margin-top:.5rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e6ec}
th{background:#f5f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;font-size:.8rem}
.bad{background:#fde2e1;color:#9b1c1c}.ok{background:#dcf5e3;color:#17643a}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #e3e6ec;border-radius:.5rem;
padding:.8rem 1rem;min-width:12rem}.card b{font-size:1.4rem;display:block}
"""


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _badge(drifted: bool) -> str:
    return '<span class="badge bad">drift</span>' if drifted else '<span class="badge ok">ok</span>'


def _bar(score: float | None, threshold: float, is_test: bool) -> str:
    """A bar of the score against its threshold (for p-values, 1 - p)."""
    if score is None:
        return ""
    value = 1 - score if is_test else score
    limit = 1 - threshold if is_test else threshold
    scale = max(limit * 2, value, 1e-9)
    width = min(value / scale, 1.0) * 120
    mark = limit / scale * 120
    colour = "#d64545" if (score < threshold if is_test else score >= threshold) else "#3b9a5b"
    return (
        f'<svg width="124" height="12" role="img" aria-label="score">'
        f'<rect width="120" height="10" y="1" fill="#eef0f4"/>'
        f'<rect width="{width:.1f}" height="10" y="1" fill="{colour}"/>'
        f'<line x1="{mark:.1f}" x2="{mark:.1f}" y1="0" y2="12" stroke="#1d2330"/></svg>'
    )


def _drift_rows(columns: list[ColumnDrift]) -> str:
    rows = []
    for c in sorted(columns, key=lambda c: (not c.drifted, c.column)):
        is_test = c.method in ("ks", "chisquare", "z")
        rows.append(
            f"<tr><td>{escape(c.column)}</td><td>{c.kind}</td><td>{c.method}</td>"
            f'<td class="num">{_number(c.score, 4)}</td><td class="num">{c.threshold:g}</td>'
            f"<td>{_bar(c.score, c.threshold, is_test)}</td>"
            f'<td class="num">{_number(c.psi)}</td><td class="num">{c.current_rows}</td>'
            f"<td>{_badge(c.drifted)}</td></tr>"
        )
    return "".join(rows)


def _scores_row(name: str, scores: ClassificationScores | None) -> str:
    if scores is None:
        return f"<tr><td>{name}</td><td colspan='6' class='muted'>no feedback labels yet</td></tr>"
    values = (scores.accuracy, scores.precision, scores.recall, scores.f1, scores.roc_auc)
    cells = "".join(f'<td class="num">{_number(v)}</td>' for v in values)
    return f'<tr><td>{name}</td><td class="num">{scores.rows}</td>{cells}</tr>'


def render_html(report: MonitoringReport) -> str:
    drift = report.dataset_drift
    prediction = report.prediction
    performance = report.performance
    shares = "".join(
        f"<tr><td>{escape(label)}</td>"
        f'<td class="num">{prediction.reference_label_shares.get(label, 0.0):.3f}</td>'
        f'<td class="num">{share:.3f}</td></tr>'
        for label, share in prediction.current_label_shares.items()
    )
    quality = "".join(
        f"<tr><td>{escape(q.column)}</td><td class='num'>{q.missing_share:.3f}</td>"
        f"<td class='num'>{_number(q.out_of_range_share)}</td>"
        f"<td class='num'>{_number(q.unseen_share)}</td>"
        f"<td>{escape(', '.join(q.unseen_examples))}</td></tr>"
        for q in report.quality
    )
    reference = ", ".join(f"{k} {v:.3f}" for k, v in sorted(performance.reference.items()))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(report.model)} v{escape(report.version)}: monitoring</title>
<style>{_STYLE}</style></head><body>
<h1>{escape(report.model)} v{escape(report.version)}</h1>
<p class="muted">{report.rows} predictions logged from {report.window_start:%Y-%m-%d %H:%M}
to {report.window_end:%Y-%m-%d %H:%M} UTC, against the version's training data.
Run {escape(report.id)} at {report.created_at:%Y-%m-%d %H:%M:%S} UTC in {report.seconds:.2f} s.</p>
<div class="cards">
<div class="card">data set {_badge(drift.drifted)}<b>{drift.drifted_columns} / {drift.columns}</b>
columns drifted ({drift.share:.0%}; drifts at {drift.threshold:.0%})</div>
<div class="card">predicted labels {_badge(prediction.label.drifted)}
<b>{_number(prediction.label.score)}</b>{prediction.label.method}</div>
<div class="card">{escape(prediction.probability.column)} {_badge(prediction.probability.drifted)}
<b>{_number(prediction.probability.score)}</b>{prediction.probability.method}</div>
<div class="card">labelled<b>{performance.labelled_share:.1%}</b>of the window's predictions</div>
</div>
<h2>Input drift</h2>
<table><tr><th>column</th><th>kind</th><th>method</th><th>score</th><th>threshold</th>
<th></th><th>PSI</th><th>rows</th><th></th></tr>{_drift_rows(report.columns)}</table>
<h2>Predictions</h2>
<table><tr><th>label</th><th>share in training data</th><th>share in the window</th></tr>
{shares}</table>
<h2>Performance</h2>
<p class="muted">At training, on the holdout: {escape(reference) or "-"}.
Estimated: confidence-based (CBPE), exact if the probabilities are calibrated.</p>
<table><tr><th></th><th>rows</th><th>accuracy</th><th>precision</th><th>recall</th><th>F1</th>
<th>ROC AUC</th></tr>{_scores_row("realised", performance.realised)}
{_scores_row("estimated", performance.estimated)}</table>
<h2>Data quality</h2>
<table><tr><th>column</th><th>missing</th><th>out of range</th><th>unseen categories</th>
<th>examples</th></tr>{quality}</table>
</body></html>
"""
