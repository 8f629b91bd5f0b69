"""Compliance: the notice's requirements as versioned rules, findings and remediation tasks."""
