"""The dashboard against a real running API: each page in Streamlit's AppTest, then every
page in a real browser (Debian's chromium), screenshotted, with no error box anywhere; and
the one-port mode (dashboard at ``/``, API at ``/api``) that a Hugging Face Space runs."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from shipyard.dashboard.hosting import ENTRY
from tests.browser import browser_page, open_page, png_height, screenshot, wait_until_rendered
from tests.conftest import attrition_record, make_settings
from tests.e2e.conftest import (
    RunningServer,
    free_port,
    launch_server,
    server_environment,
    spawn,
    stop,
    wait_until_answering,
)
from tests.e2e.test_alerting import simulate

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("SHIPYARD_TEST_SCREENSHOTS")
"""Also copy the browser's screenshots here (the docs' images come from a test run)."""
PAGES = {
    "overview": ("", "Overview"),
    "predictions": ("predictions", "Predictions"),
    "monitoring": ("monitoring", "Monitoring"),
    "models": ("models", "Models"),
    "try_it": ("try_it", "Try it"),
}


def wait_for_shadow_answers(url: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        comparison = httpx.get(f"{url}/v1/models/attrition/comparison", timeout=10).json()
        if comparison["rows"] > 0:
            return dict(comparison)
        time.sleep(0.3)
    raise TimeoutError("the challenger shadowed no request")


@pytest.fixture(scope="module")
def api(trained_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with a day's worth of everything: traffic with and without drift, feedback,
    one refused request, a retrained @challenger shadowing requests, a monitoring run."""
    root = tmp_path_factory.mktemp("dashboard-api")
    store = root / "data"
    shutil.copytree(trained_store, store)
    server = launch_server(make_settings(store, f"sqlite:///{root / 'log.db'}"), root)
    try:
        simulate(server, 0.0, 300, "--feedback", "0.5")
        simulate(server, 0.5, 300, "--feedback", "1", "--concept", "OverTime=Yes")
        retrained = httpx.post(
            f"{server.url}/v1/models/attrition/retrain", json={"promote": False}, timeout=120
        )
        assert retrained.status_code == 201, retrained.text
        simulate(server, 0.5, 200, "--feedback", "0.5")
        refused = httpx.post(
            f"{server.url}/v1/models/attrition/predict", json={**attrition_record(), "Age": "x"}
        )
        assert refused.status_code == 422
        assert httpx.post(f"{server.url}/v1/models/attrition/monitoring", timeout=60).is_success
        wait_for_shadow_answers(server.url)
        yield server
    finally:
        stop(server.process)


@pytest.fixture
def dashboard(api: RunningServer, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The dashboard's entry script, reading ``api``."""
    monkeypatch.setenv("SHIPYARD_DASHBOARD__API_URL", api.url)
    app = AppTest.from_file(str(ENTRY), default_timeout=60)
    app.run()
    return app


def healthy(app: AppTest) -> AppTest:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def metric(app: AppTest, label: str) -> str:
    (found,) = [m for m in app.metric if m.label == label]
    return str(found.value)


def table_with(app: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The page's table that has ``column``."""
    (found,) = [t.value for t in app.dataframe if column in t.value.columns]
    return found


def get(api: RunningServer, path: str, **params: object) -> dict:
    answer = httpx.get(f"{api.url}{path}", params=params, timeout=30)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture
def dashboard_process(api: RunningServer, tmp_path: Path) -> Iterator[str]:
    """``shipyard dashboard`` (``streamlit run``) reading ``api``, as a user starts it: under
    the prod profile, without any of the server's settings (it needs none of them)."""
    port = free_port()
    log_path = tmp_path / "dashboard.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_")}
    env["SHIPYARD_ENV"] = "prod"
    process = spawn(["dashboard", "--api-url", api.url, "--port", str(port)], env, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/_stcore/health", process, 60)
        yield url
    except (RuntimeError, TimeoutError) as error:
        raise AssertionError(f"{error}\n{log_path.read_text()}") from error
    finally:
        stop(process)


def keep(shot: Path) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(SCREENSHOTS) / shot.name)


def test_every_page_renders_with_data_in_a_real_browser(
    dashboard_process: str, api: RunningServer, tmp_path: Path
) -> None:
    with browser_page() as page:
        for name, (path, title) in PAGES.items():
            problems = open_page(page, f"{dashboard_process}/{path}")
            assert problems == [], f"{name}: {problems}"
            assert page.locator("h1").first.inner_text() == title
            assert page.get_by_text("Page not found").count() == 0
            if name == "try_it":
                page.get_by_role("button", name="Predict").click()
                page.get_by_text("Answer:").wait_for()
                wait_until_rendered(page)
            charts = page.locator('[data-testid="stVegaLiteChart"]').count()
            tables = page.locator('[data-testid="stDataFrame"]').count()
            assert charts + tables > 0, f"{name} shows no data"
            shot = screenshot(page, tmp_path / f"dashboard-{name}.png")
            # The whole page, not the window: Streamlit scrolls inside its main area.
            assert png_height(shot) > 1000, f"{name}: only the window was captured"
            keep(shot)


def test_overview_shows_the_traffic_the_api_counted(dashboard: AppTest, api: RunningServer) -> None:
    traffic = get(api, "/v1/models/attrition/traffic", window="1h", buckets=60)
    healthy(dashboard)
    assert dashboard.title[0].value == "Overview"
    assert metric(dashboard, "Requests") == f"{traffic['requests']:,}"
    assert metric(dashboard, "Predictions") == f"{traffic['predictions']:,}"
    assert traffic["predictions"] >= 800  # what the fixture sent
    assert metric(dashboard, "Errors") == "1"  # the refused record
    assert metric(dashboard, "Served version") == "1"
    statuses = table_with(dashboard, "status")
    assert dict(zip(statuses["status"], statuses["requests"], strict=True)) == traffic["statuses"]


def test_predictions_filter_and_open_one_record(dashboard: AppTest, api: RunningServer) -> None:
    dashboard.switch_page("views/predictions.py").run()
    healthy(dashboard)
    listed = dashboard.dataframe[0].value
    newest = get(api, "/v1/predictions", model="attrition", limit=50)["items"]
    assert list(listed["id"]) == [p["id"] for p in newest]

    dashboard.text_input(key="predictions_label").input("Yes").run()
    healthy(dashboard)
    assert set(dashboard.dataframe[0].value["label"]) == {"Yes"}

    chosen = dashboard.selectbox(key="predictions_open").value
    record = get(api, f"/v1/predictions/{chosen}")
    assert dashboard.subheader[0].value == f"Prediction {chosen}"
    inputs = dashboard.dataframe[1].value
    assert dict(zip(inputs["field"], inputs["value"], strict=True)) == {
        k: str(v) for k, v in record["inputs"].items()
    }
    assert any(f"**Answer: {record['label']}**" in m.value for m in dashboard.markdown)


def test_monitoring_shows_drift_quality_and_performance(
    dashboard: AppTest, api: RunningServer
) -> None:
    latest = get(api, "/v1/models/attrition/monitoring")["latest"]
    dashboard.switch_page("views/monitoring.py").run()
    healthy(dashboard)
    assert metric(dashboard, "Data set") == (
        "drifted" if latest["dataset_drift"]["drifted"] else "stable"
    )
    assert metric(dashboard, "Rows in window") == f"{latest['rows']:,}"
    assert (
        metric(dashboard, "ROC AUC realised")
        == f"{latest['performance']['realised']['roc_auc']:.3f}"
    )
    quality, columns = table_with(dashboard, "missing"), table_with(dashboard, "PSI")
    assert list(quality["column"]) == [q["column"] for q in latest["quality"]]
    assert list(columns["drifted"]) == [c["drifted"] for c in latest["columns"]]

    runs_before = len(get(api, "/v1/models/attrition/monitoring")["history"])
    dashboard.button(key="monitoring_run").click().run()
    healthy(dashboard)
    assert len(get(api, "/v1/models/attrition/monitoring")["history"]) == runs_before + 1


def test_models_show_the_challenger_and_promote_and_roll_back(
    dashboard: AppTest, api: RunningServer
) -> None:
    dashboard.switch_page("views/models.py").run()
    healthy(dashboard)
    comparison = get(api, "/v1/models/attrition/comparison")
    assert metric(dashboard, "@champion") == "1"
    assert metric(dashboard, "@challenger") == "2"
    assert metric(dashboard, "Shadowed requests") == f"{comparison['rows']:,}"
    assert list(table_with(dashboard, "served here")["version"]) == ["2", "1"]
    assert list(table_with(dashboard, "outcome")["outcome"]) == ["challenger"]

    dashboard.selectbox(key="promote_version").select("2")
    dashboard.text_input(key="promote_reason").input("looks better")
    dashboard.form_submit_button[0].click().run()
    healthy(dashboard)
    assert get(api, "/v1/models/attrition")["aliases"]["champion"] == "2"
    assert metric(dashboard, "Served here") == "v2"

    dashboard.text_input(key="rollback_reason").input("not yet")
    dashboard.form_submit_button[1].click().run()
    healthy(dashboard)
    model = get(api, "/v1/models/attrition")
    assert (model["aliases"]["champion"], model["served_version"]) == ("1", "1")
    moves = get(api, "/v1/models/attrition/history")["items"]
    assert [(m["kind"], m["reason"]) for m in moves[:2]] == [
        ("rollback", "not yet"),
        ("promote", "looks better"),
    ]


def test_try_it_sends_the_form_and_shows_the_logged_answer(
    dashboard: AppTest, api: RunningServer
) -> None:
    schema = get(api, "/v1/models/attrition")["input_schema"]
    dashboard.switch_page("views/try_it.py").run()
    healthy(dashboard)
    dashboard.number_input(key="try_attrition_Age").set_value(58)
    dashboard.selectbox(key="try_attrition_OverTime").select("Yes")
    dashboard.form_submit_button[0].click().run()
    healthy(dashboard)

    (logged,) = get(api, "/v1/predictions", model="attrition", limit=1)["items"]
    expected = {f["name"]: f["example"] for f in schema} | {"Age": 58, "OverTime": "Yes"}
    assert logged["inputs"] == expected
    assert dashboard.subheader[0].value == f"Answer: {logged['label']}"
    assert any(logged["id"] in c.value for c in dashboard.caption)


def test_an_empty_log_says_how_to_fill_it(
    start_server,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    server = start_server()
    monkeypatch.setenv("SHIPYARD_DASHBOARD__API_URL", server.url)
    app = healthy(AppTest.from_file(str(ENTRY), default_timeout=60).run())
    assert any("shipyard simulate --model attrition" in i.value for i in app.info)
    app.switch_page("views/monitoring.py").run()
    assert any("No monitoring run yet" in i.value for i in healthy(app).info)


def test_an_unreachable_api_is_said_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPYARD_DASHBOARD__API_URL", f"http://127.0.0.1:{free_port()}")
    app = AppTest.from_file(str(ENTRY), default_timeout=60).run()
    assert not app.exception
    assert "did not answer" in app.error[0].value
    assert "SHIPYARD_DASHBOARD__API_URL" in app.error[0].value


def test_a_read_key_looks_and_a_signed_in_admin_steers(
    start_server,
    store_copy: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """Auth on: the dashboard's own key is read-only; an operator signs in to act."""
    from shipyard.db import open_database
    from shipyard.domain.auth import Scope
    from shipyard.services import keys, users

    server = start_server(store=store_copy, env={"SHIPYARD_AUTH__ENABLED": "true"})
    database = open_database(server.settings.resolved_database_url())
    try:
        reader = keys.create_key(database, "dashboard", frozenset({Scope.READ})).plaintext
        app_key = keys.create_key(database, "app", frozenset({Scope.PREDICT})).plaintext
        users.create_user(database, "ops", "a long enough password", frozenset({Scope.ADMIN}))
    finally:
        database.dispose()
    sent = httpx.post(
        f"{server.url}/v1/models/attrition/predict",
        json=attrition_record(),
        headers={"X-API-Key": app_key},
    )
    assert sent.status_code == 200
    monkeypatch.setenv("SHIPYARD_DASHBOARD__API_URL", server.url)
    monkeypatch.setenv("SHIPYARD_DASHBOARD__API_KEY", reader)
    app = healthy(AppTest.from_file(str(ENTRY), default_timeout=60).run())
    assert any("api-key:dashboard (read)" in c.value for c in app.sidebar.caption)
    assert metric(app, "Predictions") == "1"  # aggregates cover everyone's traffic
    with pytest.raises(ValueError, match="registered"):
        app.switch_page("views/try_it.py")  # no predict scope: no page to try it
    app.switch_page("views/predictions.py").run()
    assert any("sees only the predictions it made" in i.value for i in healthy(app).info)
    app.switch_page("views/models.py").run()
    assert not [f for f in healthy(app).selectbox if f.key == "promote_version"]
    assert any("sign in as an admin user" in c.value for c in app.caption)

    app.text_input(key="sign_in_user").input("ops")
    app.text_input(key="sign_in_password").input("not the password")
    app.sidebar.form_submit_button[0].click().run()
    assert any("Invalid" in w.value or "401" in w.value for w in app.warning)

    app.text_input(key="sign_in_password").input("a long enough password")
    app.sidebar.form_submit_button[0].click().run()
    healthy(app)
    assert any("user:ops (admin, predict, read)" in c.value for c in app.sidebar.caption)
    assert [f.key for f in app.selectbox if f.key == "promote_version"] == ["promote_version"]
    app.switch_page("views/predictions.py").run()
    listed = table_with(healthy(app), "id")
    assert list(listed["id"]) == [sent.json()["predictions"][0]["prediction_id"]]

    app.sidebar.button[0].click().run()  # sign out
    assert any("api-key:dashboard (read)" in c.value for c in healthy(app).sidebar.caption)


def test_one_port_serves_the_dashboard_and_the_api(trained_store: Path, tmp_path: Path) -> None:
    """What a Hugging Face Space runs: one process, one port, the API under /api."""
    store = tmp_path / "data"
    shutil.copytree(trained_store, store)
    settings = make_settings(store, f"sqlite:///{tmp_path / 'log.db'}")
    port = free_port()
    log_path = tmp_path / "one-port.log"
    process = spawn(
        ["dashboard", "--with-api", "--port", str(port)], server_environment(settings), log_path
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/api/readyz", process, 90)
        answered = httpx.post(f"{url}/api/v1/models/attrition/predict", json=attrition_record())
        assert answered.status_code == 200
        assert answered.headers["x-content-type-options"] == "nosniff"  # the API's own headers
        with browser_page() as page:
            assert open_page(page, f"{url}/") == []
            assert page.locator("h1").first.inner_text() == "Overview"
            requests = page.locator('[data-testid="stMetric"]').filter(
                has=page.get_by_text("Requests", exact=True)
            )
            assert requests.locator('[data-testid="stMetricValue"]').inner_text() == "1"
            keep(screenshot(page, tmp_path / "dashboard-one-port.png"))
    except (AssertionError, RuntimeError, TimeoutError) as error:
        raise AssertionError(f"{error}\n{log_path.read_text()}") from error
    finally:
        stop(process)
