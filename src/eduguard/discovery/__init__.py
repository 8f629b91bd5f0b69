"""Sensitive-data discovery and grading (``eduguard scan``).

Public contract: ../shared/contracts/scan-report.md and pi-types.md.
"""
