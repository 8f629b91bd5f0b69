"""Accounts, roles, login sessions (issue: identity and access)."""
