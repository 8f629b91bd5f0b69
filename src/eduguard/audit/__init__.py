"""Audit: the append-only, SM3 hash-chained log of every data operation (notice item 6).

Public API for other layers (see docs/audit.md): :class:`~eduguard.audit.service.Actor`,
:func:`~eduguard.audit.service.bind_actor`, :func:`~eduguard.audit.service.record`,
:func:`~eduguard.audit.capture.install`.
"""
