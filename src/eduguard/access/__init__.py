"""Permission decisions with reasons: (principal, action, resource unit) → allow/deny + why."""
