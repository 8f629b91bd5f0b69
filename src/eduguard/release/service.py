"""The release domain's own logic: rows, the job queue, where files live. Services flush."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eduguard.db.base import utcnow
from eduguard.errors import NotFound
from eduguard.release.models import JobStatus, ReleaseRequest
from eduguard.release.schemas import ReleaseCreate

RELEASES_DIR = "releases"


def create(
    session: Session,
    data: ReleaseCreate,
    *,
    review_id: int,
    system_id: int,
    dataset_name: str,
    requester_id: int | None,
) -> ReleaseRequest:
    release = ReleaseRequest(
        review_id=review_id,
        system_id=system_id,
        dataset_id=data.dataset_id,
        dataset_name=dataset_name,
        requester_id=requester_id,
        purpose=data.purpose.strip(),
        recipient=data.recipient.strip(),
        legal_basis=data.legal_basis.strip(),
        ethics_note=data.ethics_note.strip(),
        fields="\n".join(data.fields),
        quasi_identifiers="\n".join(data.quasi_identifiers),
        k=data.k,
        l_diversity=data.l_diversity,
        sensitive_attribute=data.sensitive_attribute,
        job_status=JobStatus.waiting,
    )
    session.add(release)
    session.flush()
    return release


def get(session: Session, release_id: int, *, reviews: Any = None) -> ReleaseRequest:
    """The release; ``reviews`` (a SELECT of visible review ids) narrows what may be seen."""
    query = select(ReleaseRequest).where(ReleaseRequest.id == release_id)
    if reviews is not None:
        query = query.where(ReleaseRequest.review_id.in_(reviews))
    release = session.scalar(query)
    if release is None:
        raise NotFound("release_not_found", f"数据发布申请不存在：{release_id}", "not found")
    return release


def list_releases(session: Session, *, reviews: Any, limit: int = 200) -> Sequence[ReleaseRequest]:
    query = select(ReleaseRequest).where(ReleaseRequest.review_id.in_(reviews))
    return session.scalars(query.order_by(ReleaseRequest.id.desc()).limit(limit)).all()


def queue(release: ReleaseRequest) -> None:
    release.job_status, release.job_error = JobStatus.queued, None


def claim(session: Session, release_id: int | None = None) -> ReleaseRequest | None:
    """Take a queued release (the oldest, or ``release_id``) for this process: a guarded
    update, so two workers never produce the same release."""
    query = select(ReleaseRequest.id).where(ReleaseRequest.job_status == JobStatus.queued)
    if release_id is not None:
        query = query.where(ReleaseRequest.id == release_id)
    for candidate in session.scalars(query.order_by(ReleaseRequest.id).limit(5)).all():
        taken = session.execute(
            update(ReleaseRequest)
            .where(ReleaseRequest.id == candidate, ReleaseRequest.job_status == JobStatus.queued)
            .values(job_status=JobStatus.running, started_at=utcnow())
        )
        if getattr(taken, "rowcount", 0) == 1:
            return session.get(ReleaseRequest, candidate)
    return None


def folder(home: Path, release_id: int) -> Path:
    return home / RELEASES_DIR / str(release_id)


def output_name(release: ReleaseRequest) -> str:
    stem = re.sub(r"[^\w.\-]+", "_", release.dataset_name).strip("._") or "dataset"
    stem = re.sub(r"\.(csv|tsv|txt|xlsx|xlsm|xls|parquet|json|jsonl|ndjson)$", "", stem, flags=re.I)
    return f"release-{release.id}-{stem}.{release.output_format}"


def stored_file(home: Path, relative: str | None) -> Path:
    """A release file under ``home``; a missing file or a path escaping the folder is 404."""
    base = (home / RELEASES_DIR).resolve()
    path = (base / relative).resolve() if relative else base
    if not relative or not path.is_relative_to(base) or not path.is_file():
        raise NotFound("release_file_missing", "脱敏数据文件不存在（可能尚未生成或已被清理）")
    return path
