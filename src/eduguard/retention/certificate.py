"""The 销毁/归档证明 of a disposition run: a JSON document whose every field has its own SM3
digest, the digests signed (Ed25519, the audit signing key) and the whole document's SM3
anchored in the audit chain (``retention.run.complete``). :func:`verify` works offline, from
the file alone, and names the field a changed byte belongs to."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from eduguard.retention import residuals
from eduguard.retention.models import DispositionRun, ManifestEntry

FORMAT = "eduguard.retention-certificate/1"
SIGNED = ("format", "field_digests", "public_key", "signature", "document_sm3")
METHODS = {
    "delete": "删除：在源库逐批删除选中的行（每批一个事务）",
    "anonymise": "匿名化：将选中行的个人信息字段置空（行键保留，仅用于计数与核对）",
    "archive": "归档：选中行移入平台归档库（SM4 加密保存，仅审计管理员和主管单位经审计的申请可读），再从源库删除",
}


def sm3(data: bytes) -> str:
    hasher = hashes.Hash(hashes.SM3())
    hasher.update(data)
    return hasher.finalize().hex()


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def manifest_sm3(session: Session, run_id: int) -> str:
    """SM3 over the run's keyed row hashes in order: the scope, without a single value."""
    hasher = hashes.Hash(hashes.SM3())
    for key_hash in session.scalars(
        select(ManifestEntry.key_hash)
        .where(ManifestEntry.run_id == run_id)
        .order_by(ManifestEntry.key_hash)
        .execution_options(yield_per=10_000)
    ):
        hasher.update(key_hash.encode() + b"\n")
    return hasher.finalize().hex()


def build(
    session: Session,
    run: DispositionRun,
    *,
    system: str,
    dataset: str,
    rule: str,
    legal_basis: str,
    approvals: list[dict[str, str]],
    counts: dict[str, int],
) -> dict[str, Any]:
    """The certificate's fields (before signing)."""
    kind = "归档证明" if run.disposition.value == "archive" else "销毁证明"
    return {
        "title": f"数据{kind}（处置任务 {run.id}）",
        "run_id": run.id,
        "system": system,
        "dataset": dataset,
        "rule": rule,
        "legal_basis": legal_basis or "—",
        "cutoff": run.cutoff.isoformat(),
        "selection_query": run.selection_sql,
        "method": METHODS[run.disposition.value],
        "approvers": approvals,
        "planned_by": run.planned_by,
        "executor": run.executor or "",
        "started_at": run.started_at.isoformat() if run.started_at else "",
        "finished_at": run.finished_at.isoformat() if run.finished_at else "",
        "counts": {
            "rows_before": run.rows_before,
            "selected_at_plan": run.selected,
            "processed": run.processed,
            "rows_after": run.rows_after,
            "manifest_rows": counts.get("done", 0) + counts.get("pending", 0),
            "manifest_pending": counts.get("pending", 0),
            "kept_by_subject_holds": run.held_rows,
            # selected at the plan by the subject's age (None: no birth date or ID column)
            "selected_by_subject_class": (
                json.loads(run.subject_classes) if run.subject_classes else None
            ),
        },
        "verification": {"query": run.selection_sql, "remaining_selected": run.remaining_after},
        "manifest_sm3": manifest_sm3(session, run.id),
        # backups until their expiry, each processor or recipient and whether it confirmed
        **residuals.certificate_fields(session, run),
    }


def sign(fields: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    digests = {name: sm3(canonical(value)) for name, value in fields.items()}
    signature = key.sign(canonical(digests))
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    document = {
        **fields,
        "format": FORMAT,
        "field_digests": digests,
        "public_key": base64.b64encode(public).decode(),
        "signature": base64.b64encode(signature).decode(),
    }
    document["document_sm3"] = sm3(canonical(document))
    return document


def reissue(session: Session, run: DispositionRun, key: Ed25519PrivateKey) -> dict[str, Any]:
    """The run's certificate again, its residual copies stated as they stand now (a holder's
    confirmation arrives after the disposition): every other field as first issued, the
    revision counted and the superseded document's SM3 named; signed anew."""
    if run.certificate is None:
        raise ValueError("the run has no certificate yet")
    previous = json.loads(run.certificate)
    fields = {k: v for k, v in previous.items() if k not in SIGNED}
    fields |= residuals.certificate_fields(session, run)
    fields["revision"] = int(previous.get("revision", 1)) + 1
    fields["supersedes_sm3"] = previous["document_sm3"]
    return sign(fields, key)


def store(document: dict[str, Any]) -> tuple[str, str]:
    """The file's text (pretty, UTF-8) and its SM3 (what the audit chain records)."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True), str(
        document["document_sm3"]
    )


def verify(raw: bytes, expected_key: Ed25519PublicKey | None = None) -> list[str]:
    """Problems found in a certificate file ([] when intact), each naming its field."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return [f"文件不是有效的 UTF-8（第 {exc.start} 字节）"]
    except json.JSONDecodeError as exc:
        return [f"文件不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近）"]
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return ["format：不是 eduguard 的销毁/归档证明"]
    problems: list[str] = []
    digests = document.get("field_digests")
    if not isinstance(digests, dict):
        return ["field_digests：缺失或已被改动"]
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["public_key"]))
        public.verify(base64.b64decode(document["signature"]), canonical(digests))
    except (KeyError, ValueError, InvalidSignature):
        problems.append("field_digests/signature/public_key：签名不符（摘要表、签名或公钥被改动）")
    else:
        if expected_key is not None and expected_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        ) != base64.b64decode(document["public_key"]):
            problems.append("public_key：不是本平台的审计签名公钥")
    fields = {k: v for k, v in document.items() if k not in SIGNED}
    for name in sorted(set(fields) | set(digests)):
        if name not in fields:
            problems.append(f"{name}：字段缺失")
        elif name not in digests:
            problems.append(f"{name}：多出的字段（未签名）")
        elif sm3(canonical(fields[name])) != digests[name]:
            problems.append(f"{name}：内容与签名时不一致")
    whole = {k: v for k, v in document.items() if k != "document_sm3"}
    if not problems and sm3(canonical(whole)) != document.get("document_sm3"):
        problems.append("document_sm3：与文件内容不一致")
    return problems
