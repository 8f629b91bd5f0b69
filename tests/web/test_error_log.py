"""Issue #13 item 17: an unexpected error leaves in the server's log an error id, the exception's
type and where it was raised — never its message or the SQL parameters, which can carry
personal data. The user sees the error id. On a live uvicorn server (its own logging too)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from fastapi import Request
from sqlalchemy import text

from eduguard.catalog import jobs as catalog_jobs

PLANTED = "110101199003074477"  # a synthetic ID-card number planted in the failure


def _add_failing_routes(app: Any) -> None:
    def boom() -> None:
        raise ValueError(f"学生 张三 证件号 {PLANTED} 无法处理")

    def sql_boom(request: Request) -> None:
        with request.app.state.session_factory() as session:
            session.execute(text("INSERT INTO no_such_table (v) VALUES (:v)"), {"v": PLANTED})

    app.add_api_route("/api/v1/test-boom", boom)
    app.add_api_route("/test-sql-boom", sql_boom)
    # Routes added after the app was built go after the catch-all ones: move them first.
    app.router.routes.insert(0, app.router.routes.pop())
    app.router.routes.insert(0, app.router.routes.pop())


def test_unexpected_errors_log_an_id_and_type_never_values(
    live_server: tuple[str, Any],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    base, app = live_server
    _add_failing_routes(app)
    with httpx2.Client(base_url=base) as client:
        api = client.get("/api/v1/test-boom")
        console = client.get("/test-sql-boom")
    assert api.status_code == 500
    error_id = api.json()["error"]["details"]["error_id"]
    assert len(error_id) >= 8 and error_id in api.json()["error"]["message"]
    assert console.status_code == 500 and "错误编号" in console.text
    assert PLANTED not in api.text + console.text
    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    assert PLANTED not in logged
    assert "Traceback" not in logged
    assert error_id in logged
    assert "ValueError" in logged and "sqlalchemy.exc." in logged
    assert "in boom" in logged and "in sql_boom" in logged
    assert "test_error_log.py" in logged  # where: the innermost frame of ours


def test_a_worker_failure_is_logged_by_id_and_type(caplog: pytest.LogCaptureFixture) -> None:
    from eduguard.errors import failure_report

    try:
        raise RuntimeError(f"column value {PLANTED}")
    except RuntimeError as exc:
        error_id, summary = failure_report(exc)
    assert PLANTED not in summary and "RuntimeError" in summary and error_id not in summary
    assert catalog_jobs.logger.name.startswith("eduguard")
