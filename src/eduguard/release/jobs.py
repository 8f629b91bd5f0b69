"""Producing approved releases, never inside a web request.

``eduguard release run`` claims queued releases (a guarded status update), reads the source
and writes the de-identified copy outside any transaction (the masking job writes a temporary
file and renames it), then records the outcome in one transaction: the review becomes
fulfilled, or the release is marked failed with a Chinese message and nothing is left behind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit import service as audit_service
from eduguard.audit.service import Actor
from eduguard.crypto import DecryptionFailed
from eduguard.db.engine import transaction
from eduguard.errors import EduguardError, failure_report
from eduguard.release import flows, service
from eduguard.release.models import ReleaseRequest
from eduguard.source_urls import SourcePolicy

logger = logging.getLogger("eduguard.release.worker")
WORKER_ACTOR = Actor(username="worker", client_address="local", reason="后台数据发布任务")
MIN_REDACTED = 4


@dataclass(frozen=True)
class Runtime:
    factory: sessionmaker[Session]  # with the keyring: source passwords are sealed columns
    home: Path
    keys_dir: Path
    pseudonym_key: str | None = None
    # catalog.flows.source_policy(settings): the job opens a registered source as scans do
    source_policy: SourcePolicy | None = None


def _redact(text: str, secret: str | None) -> str:
    if not secret or len(secret) < MIN_REDACTED:
        return text
    return text.replace(secret, "***")


def _fail(runtime: Runtime, release_id: int, message: str) -> None:
    with transaction(runtime.factory) as session:
        audit_service.bind_actor(session, WORKER_ACTOR)
        release = session.get(ReleaseRequest, release_id)
        if release is not None:
            flows.job_failed(session, release, message)


def execute(runtime: Runtime, release_id: int) -> None:
    """Produce one claimed (running) release. Never raises for a bad source."""
    secret: str | None = None
    try:
        with transaction(runtime.factory) as session:
            release = service.get(session, release_id)
            job = flows.job_input(session, release, runtime.home)
    except DecryptionFailed:
        _fail(
            runtime,
            release_id,
            "数据源密码无法解密（字段加密密钥可能已更换），请重新填写数据源地址",
        )
        return
    except EduguardError as error:
        _fail(runtime, release_id, error.message_zh)
        return
    secret = job.secret
    try:
        report = flows.produce(job, runtime.keys_dir, runtime.pseudonym_key, runtime.source_policy)
    except EduguardError as error:
        _fail(runtime, release_id, _redact(f"{error.message_zh}（{error.code}）", secret))
        return
    except OSError as error:
        _fail(
            runtime,
            release_id,
            f"写入失败，未留下任何输出：{error.strerror or type(error).__name__}",
        )
        return
    except Exception as error:  # a bug must fail the release, not stop the worker
        error_id, summary = failure_report(error)
        logger.error("release %s failed: error %s: %s", release_id, error_id, summary)
        _fail(runtime, release_id, f"生成出错（{type(error).__name__}，错误编号 {error_id}）")
        return
    with transaction(runtime.factory) as session:
        audit_service.bind_actor(session, WORKER_ACTOR)
        release = service.get(session, release_id)
        flows.job_succeeded(session, release, job.output, runtime.home, report)


def run_next(runtime: Runtime, release_id: int | None = None) -> int | None:
    """Claim and produce the oldest queued release (or ``release_id``); its id, or None."""
    with transaction(runtime.factory) as session:
        claimed = service.claim(session, release_id)
        claimed_id = claimed.id if claimed is not None else None
    if claimed_id is not None:
        execute(runtime, claimed_id)
    return claimed_id


def work(runtime: Runtime) -> list[int]:
    """Produce every queued release; the ids done."""
    done = []
    while (release_id := run_next(runtime)) is not None:
        done.append(release_id)
    return done
