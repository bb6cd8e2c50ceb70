"""Sending one mail: SMTP, GOV.UK Notify, or a file in a folder (when neither is configured).

`send(message, config)` raises `SendError` saying whether trying again may help; the outbox
(`service.notify`) decides when to try again. Messages are the stdlib's `EmailMessage`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

BACKENDS = ("smtp", "notify", "folder")
ICS_NAME = "peer-review-visits.ics"


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass
class Outgoing:
    """What one mail says; the outbox row holds the same fields."""

    to: str
    subject: str
    body: str
    ics: str | None
    page_url: str
    ref: str  # our own id for it (the outbox row), used in the Message-ID and file name


def backend(config) -> str:
    """The configured backend: `MAIL_BACKEND` outright, else Notify with a key, SMTP with a
    server, a folder with neither."""
    chosen = (config.get("MAIL_BACKEND") or "auto").lower()
    if chosen in BACKENDS:
        return chosen
    if chosen != "auto":
        raise SendError(f"MAIL_BACKEND is {chosen!r}: use auto, {', '.join(BACKENDS)}", permanent=True)
    if config.get("NOTIFY_API_KEY"):
        return "notify"
    if config.get("MAIL_SERVER"):
        return "smtp"
    return "folder"


def build(out: Outgoing, config) -> EmailMessage:
    msg = EmailMessage()
    sender = config["MAIL_DEFAULT_SENDER"]
    msg["From"] = sender
    msg["To"] = out.to
    msg["Subject"] = out.subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    domain = email.utils.parseaddr(sender)[1].partition("@")[2] or "localhost"
    msg["Message-ID"] = email.utils.make_msgid(idstring=f"outbox-{out.ref}", domain=domain)
    msg.set_content(out.body)
    if out.ics:
        # An all-day event calendar, as the feeds serve it; METHOD:PUBLISH tells a mail client
        # to offer "add to calendar" rather than treat it as a meeting invitation.
        msg.add_attachment(
            out.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename=ICS_NAME,
            params={"method": "PUBLISH"},
        )
    return msg


def send(out: Outgoing, config) -> tuple[str, str | None]:
    """Send `out`; the backend used and the provider's reference (a file path, a Notify id)."""
    name = backend(config)
    if name == "smtp":
        return name, _smtp(build(out, config), config)
    if name == "notify":
        return name, _notify(out, config)
    return name, _folder(build(out, config), out, config)


def _smtp(msg: EmailMessage, config) -> str | None:
    host, port, timeout = config.get("MAIL_SERVER"), config["MAIL_PORT"], config["MAIL_TIMEOUT_S"]
    if not host:
        raise SendError("MAIL_SERVER is not set", permanent=False)
    try:
        if config.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            refused = smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise SendError(f"the server refused the recipient: {exc.recipients}", permanent=min(codes) >= 500) from None
    except smtplib.SMTPAuthenticationError as exc:
        # The account is wrong, not the mail: once an operator fixes it, the retry goes out.
        raise SendError(f"SMTP sign-in refused ({exc.smtp_code}): {exc.smtp_error!r}") from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"SMTP server {host}:{port} not reachable: {type(exc).__name__}: {exc}") from None
    if refused:
        raise SendError(f"the server refused {sorted(refused)}", permanent=True)
    return msg["Message-ID"]


def _notify(out: Outgoing, config) -> str | None:
    if not config.get("NOTIFY_TEMPLATE_ID"):
        raise SendError("NOTIFY_TEMPLATE_ID is not set (an e-mail template with ((subject)) and ((body)))")
    kwargs = {"base_url": config["NOTIFY_BASE_URL"]} if config.get("NOTIFY_BASE_URL") else {}
    try:
        client = NotificationsAPIClient(config["NOTIFY_API_KEY"], timeout=int(config["MAIL_TIMEOUT_S"]), **kwargs)
        response = client.send_email_notification(
            email_address=out.to,
            template_id=config["NOTIFY_TEMPLATE_ID"],
            personalisation={"subject": out.subject, "body": out.body, "page_url": out.page_url},
            reference=f"outbox-{out.ref}",
            email_reply_to_id=config.get("NOTIFY_REPLY_TO_ID"),
        )
    except HTTPError as exc:
        # 400: the request itself is wrong (address, template); 403: the key (fixable);
        # 429 and 5xx: Notify is busy or down.
        raise SendError(f"GOV.UK Notify {exc.status_code}: {exc.message}", permanent=exc.status_code == 400) from None
    except Exception as exc:  # the HTTP connection itself (requests' errors), or a malformed key
        raise SendError(f"GOV.UK Notify not reachable: {type(exc).__name__}: {exc}") from None
    return str(response.get("id")) if isinstance(response, dict) else None


def _folder(msg: EmailMessage, out: Outgoing, config) -> str:
    folder = config["MAIL_FOLDER"]
    try:
        os.makedirs(folder, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        safe = re.sub(r"[^A-Za-z0-9@._-]", "_", out.to)
        path = os.path.join(folder, f"{stamp}-{out.ref}-{safe}.eml")
        with open(path, "wb") as f:
            f.write(msg.as_bytes())
    except OSError as exc:
        raise SendError(f"could not write to {folder}: {exc}") from None
    return path
