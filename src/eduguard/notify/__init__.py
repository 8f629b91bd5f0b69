"""The outbox: messages to people, written in the transaction of their cause, delivered by
the worker (e-mail over SMTP, a WeCom/DingTalk-style robot webhook, the console inbox)."""
