"""One notice e-mail over SMTP (aiosmtplib): plain text, marked as sent automatically.

Without an SMTP server configured nothing is sent and the delivery is skipped,
not failed: a demo or a site without mail still works its tickets.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from models.notifications import AttemptOutcome, SmtpServer

NO_SERVER = "no SMTP server configured: e-mail not sent"


def notice_email(
    *, sender: str, to: str, subject: str, body: str, delivery_id: int
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(idstring=f"linecare-{delivery_id}")
    # Tells auto-responders and out-of-office replies not to answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-LineCare-Delivery"] = str(delivery_id)
    message.set_content(body)
    return message


async def send_email(
    server: SmtpServer | None, *, to: str, subject: str, body: str, delivery_id: int
) -> AttemptOutcome:
    """Send the notice to ``to``; skipped when no server is configured."""
    if server is None:
        return AttemptOutcome(delivered=False, skipped=True, error=NO_SERVER)
    try:
        message = notice_email(
            sender=server.sender, to=to, subject=subject, body=body, delivery_id=delivery_id
        )
        await aiosmtplib.send(
            message,
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.tls == "tls",
            start_tls=server.tls == "starttls",
            timeout=server.timeout_s,
        )
    except (aiosmtplib.SMTPException, OSError, ValueError) as error:
        return AttemptOutcome(delivered=False, error=f"{type(error).__name__}: {error}"[:500])
    return AttemptOutcome(delivered=True)
