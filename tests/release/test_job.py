"""The export job: a failure leaves nothing behind and can be retried; the masking job never
reads a column it was not asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select

from eduguard.audit.models import AuditEvent
from eduguard.protection import job as mask_job
from eduguard.protection.policy import load_policy
from eduguard.release import flows, jobs, service

from .conftest import World, write_csv


def _approved_release(world: World) -> dict[str, Any]:
    """A release of two fields, requested and approved at every step (queued for the job)."""
    world.login("researcher")
    made = world.client.post(
        "/api/v1/releases",
        json={
            "dataset_id": world.dataset,
            "fields": ["xm", "cj"],
            "purpose": "成绩统计分析",
            "recipient": "县教研室",
            "legal_basis": "教研工作职责",
        },
    ).json()
    for step in made["steps"]:
        world.login({"data_owner": "owner1", "pi_officer": "pio1"}[step["role"]])
        world.client.post(
            f"/api/v1/releases/{made['id']}/decision",
            json={"decision": "approve", "reason": "同意"},
        )
    return made


def test_a_failed_export_leaves_nothing_and_can_be_retried(world: World, tmp_path: Path) -> None:
    made = _approved_release(world)
    source = tmp_path / "students.csv"
    source.unlink()  # the data went away between approval and the job
    assert world.work() == [made["id"]]
    world.login("researcher")
    failed = world.client.get(f"/api/v1/releases/{made['id']}").json()
    assert failed["job_status"] == "failed" and failed["state"] == "approved"
    assert failed["job_error"]
    folder = world.home / "releases" / str(made["id"])
    assert not folder.exists() or list(folder.iterdir()) == []
    assert world.client.get(f"/api/v1/releases/{made['id']}/download").status_code == 409
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        results = session.scalars(
            select(AuditEvent.result).where(
                AuditEvent.action == "release.produce", AuditEvent.object_id == str(made["id"])
            )
        ).all()
    assert results == ["failed"]

    write_csv(source, world.rows)
    with factory() as session, session.begin():
        flows.retry(session, made["id"])
    # Two workers: the first claim takes the release, the second finds nothing to take.
    with factory() as first, first.begin():
        assert service.claim(first, made["id"]) is not None
    with factory() as second, second.begin():
        assert service.claim(second, made["id"]) is None
        assert service.claim(second) is None
    assert world.work() == []
    state = world.client.app.state  # type: ignore[attr-defined]
    runtime = jobs.Runtime(factory, state.settings.home, state.settings.keys_dir)
    jobs.execute(runtime, made["id"])
    done = world.client.get(f"/api/v1/releases/{made['id']}").json()
    assert done["job_status"] == "succeeded" and done["state"] == "fulfilled"
    assert world.work() == []  # produced once


def test_mask_job_reads_only_the_wanted_columns(tmp_path: Path) -> None:
    frame = pl.DataFrame({"xm": ["王子涵", "李欣怡"], "lxdh": ["13800000000", "13900000000"]})

    source = tmp_path / "in.csv"
    frame.write_csv(source)
    out = tmp_path / "out.csv"
    report = mask_job.run(
        mask_job.MaskJob(
            str(source), load_policy(None), out, "csv", b"k" * 32, columns_wanted=["xm"]
        )
    )
    assert [c["column"] for c in report["tables"][0]["columns"]] == ["xm"]
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "xm" and "138" not in text and "lxdh" not in text
    with pytest.raises(mask_job.MaskFailed) as raised:
        mask_job.run(
            mask_job.MaskJob(
                str(source), load_policy(None), tmp_path / "x.csv", "csv", b"k" * 32,
                columns_wanted=["xm", "no_such"],
            )
        )  # fmt: skip
    assert raised.value.code == "column_unknown"
    assert not (tmp_path / "x.csv").exists()


def test_the_job_opens_the_source_under_the_catalogs_host_policy(world: World) -> None:
    """A release reads a registered source as a scan does: a source row pointed at a host the
    allow-list refuses (loopback is not in the default list) fails the job, and the listening
    port never sees a connection."""
    import socket
    import threading

    from eduguard.catalog.models import DataSource

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted: list[object] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(connection)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    made = _approved_release(world)
    factory = world.client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        source = session.scalars(select(DataSource)).one()
        # planted behind the API's back (the API refuses it at registration)
        source.kind = type(source.kind)("database")
        source.location = f"postgresql://u@127.0.0.1:{port}/x"
    try:
        assert world.work() == [made["id"]]
    finally:
        done.set()
        thread.join()
        listener.close()
    world.login("researcher")
    failed = world.client.get(f"/api/v1/releases/{made['id']}").json()
    assert failed["job_status"] == "failed"
    assert "无法连接数据源" in (failed["job_error"] or "")
    assert accepted == []  # refused before any connection
