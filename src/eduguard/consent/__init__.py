"""Consent: subjects (keyed references, never plaintext ID numbers), guardians, the append-only
hash-chained consent ledger, the gate ``can_process`` and one-time consent links."""
