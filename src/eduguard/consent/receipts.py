"""Consent receipts in the shape of ISO/IEC TS 27560 (consent record information structure):
one JSON record per ledger event, with the notice (rules version and its SM3), the purpose and
its legal basis, the personal-information categories, the recipients and retention, the event
(given/refused/withdrawn, by whom, how verified, over which channel, when) and the ledger's
integrity (chain position and hash). The subject appears only as its keyed reference."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from eduguard.consent import flows, service
from eduguard.consent.models import Action, ConsentSubject, GivenBy
from eduguard.orgs.models import InformationSystem
from eduguard.processing import service as processing_service
from eduguard.processing.models import ProcessingPurpose

SCHEMA = "eduguard.consent-receipt/1 (ISO/IEC TS 27560)"
EVENT_TYPE = {
    Action.grant: "given",
    Action.refuse: "refused",
    Action.withdraw: "withdrawn",
    Action.handover: "delegation-ended",
}


def receipts(session: Session, subject: ConsentSubject) -> dict[str, Any]:
    service.check_intact(session, subject)
    records = []
    for row in service.events(session, subject.id):
        purpose = session.get(ProcessingPurpose, row.purpose_id)
        assert purpose is not None
        system = session.get(InformationSystem, purpose.system_id)
        assert system is not None
        version = (
            processing_service.get_version(session, row.rules_version_id)
            if row.rules_version_id
            else None
        )
        agreed: dict[str, Any] = json.loads(row.terms) if row.terms else {}
        entry = processing_service.basis_entry(agreed.get("legal_basis") or "consent")
        records.append(
            {
                "schema_version": SCHEMA,
                "record_id": f"consent-event-{row.id}",
                "timestamp": row.at.isoformat(),
                "controller": {"name": system.owner_unit.name, "system": system.name},
                "notice": {
                    "version": version.number if version else None,
                    "sm3": row.rules_sm3 or None,
                    "audience": version.audience if version else None,
                    "url": f"/rules/versions/{version.id}" if version else None,
                },
                "data_subject": {"reference": subject.reference, "kind": subject.kind.value},
                "purpose": {
                    "id": purpose.id,
                    "name": purpose.name,
                    "legal_basis": agreed.get("legal_basis"),
                    "legal_basis_clause": entry["clause"],
                    "necessity": agreed.get("necessity"),
                    "personal_data_categories": agreed.get("categories", []),
                    "fields": agreed.get("fields", []),
                    "retention": purpose.retention_period,
                    "recipients": [r[0] for r in agreed.get("recipients", [])],
                    "automated_decision": agreed.get("automated_decision", False),
                    "terms_sm3": row.terms_hash,
                },
                "event": {
                    "type": EVENT_TYPE[Action(row.action)],
                    "given_by": GivenBy(row.given_by).value,
                    "delegate": {"guardian_id": row.guardian_id, "role": "guardian"}
                    if row.given_by == GivenBy.guardian
                    else None,
                    "verification": row.verification,
                    "method": row.channel,
                    "recorded_by": row.recorded_by,
                },
                "integrity": {
                    "ledger": "per-subject SM3 chain",
                    "sequence": row.seq,
                    "prev_hash": row.prev_hash,
                    "hash": row.hash,
                },
            }
        )
    return {
        "schema_version": SCHEMA,
        "data_subject": {"reference": subject.reference, "kind": subject.kind.value},
        "ledger_head": {"sequence": subject.head_seq, "hash": subject.head_hash},
        "records": records,
        "state": [s.model_dump(mode="json") for s in flows.subject_read(session, subject).states],
    }
