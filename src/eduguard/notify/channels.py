"""Sending one delivery: SMTP for e-mail, an HTTP POST for a group robot. Failures become
short codes (never the server's text, which may echo an address); ``permanent`` ones are
not tried again.

Webhook body: ``{"msgtype": "text", "text": {"content": …}}`` — the text message that WeCom
(企业微信) and DingTalk (钉钉) group robots both accept; a JSON answer with a non-zero
``errcode`` counts as a failure.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from eduguard.config import Settings

MAX_RESPONSE = 64 * 1024


class SendFailed(Exception):
    def __init__(self, code: str, *, permanent: bool = False) -> None:
        super().__init__(code)
        self.code, self.permanent = code, permanent


def send_email(settings: Settings, address: str, subject: str, text: str) -> None:
    if not settings.smtp_host:
        raise SendFailed("smtp_not_configured", permanent=True)
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = address
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="eduguard")
    message.set_content(text)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.notify_timeout_seconds
        ) as client:
            if settings.smtp_starttls:
                client.starttls()
            if settings.smtp_username and settings.smtp_password is not None:
                client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused:
        raise SendFailed("smtp_recipient_refused", permanent=True) from None
    except smtplib.SMTPAuthenticationError:
        raise SendFailed("smtp_auth_failed") from None
    except smtplib.SMTPResponseException as error:
        permanent = 500 <= error.smtp_code < 600
        raise SendFailed(f"smtp_{error.smtp_code}", permanent=permanent) from None
    except TimeoutError:
        raise SendFailed("smtp_timeout") from None
    except (smtplib.SMTPException, OSError):
        raise SendFailed("smtp_unreachable") from None


def post_webhook(settings: Settings, name: str, text: str) -> None:
    secret = settings.notify_webhooks.get(name)
    if secret is None:
        raise SendFailed("webhook_not_configured", permanent=True)
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False)
    url = secret.get_secret_value()
    if not url.startswith(("https://", "http://")):  # Settings checks it too: never file:
        raise SendFailed("webhook_bad_url", permanent=True)
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url,
        data=body.encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 - the URL is checked in Settings
            request, timeout=settings.notify_timeout_seconds
        ) as response:
            answer = response.read(MAX_RESPONSE)
    except urllib.error.HTTPError as error:
        raise SendFailed(f"webhook_http_{error.code}", permanent=error.code in (400, 404)) from None
    except TimeoutError:
        raise SendFailed("webhook_timeout") from None
    except (urllib.error.URLError, OSError):
        raise SendFailed("webhook_unreachable") from None
    try:
        parsed = json.loads(answer) if answer.strip() else {}
    except ValueError:
        return  # a robot that answers plain text: the HTTP status said it was accepted
    if isinstance(parsed, dict) and parsed.get("errcode", 0) not in (0, "0"):
        raise SendFailed("webhook_errcode")
