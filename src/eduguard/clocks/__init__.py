"""One clock: every deadline the law sets is a row here (working days on the Chinese
calendar where the rule says so), with reminders, escalation and closure with a reason."""
