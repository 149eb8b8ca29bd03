"""A secured server's refusal of LineCare's client certificate, told apart and explained.

A PLC refuses a client certificate it does not trust yet; that is the normal
first step of commissioning, not a fault. Servers say so in three ways:
``BadCertificateUntrusted`` on CreateSession, ``BadSecurityChecksFailed`` (which
hides the reason on purpose), or a ServiceFault in answer to OpenSecureChannel,
which asyncua cannot parse and turns into a bare ``AssertionError``. All three
come out here as one line that says which certificate to trust and where the
server has probably filed it.
"""

from __future__ import annotations

import hashlib
import traceback
from dataclasses import dataclass
from pathlib import Path

from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaStatusCodeError

# Status codes with which a server refuses the client's certificate; trusting the
# certificate on the server (or replacing it) is the remedy for each.
_REFUSALS = {
    StatusCodes.BadCertificateUntrusted: "BadCertificateUntrusted",
    StatusCodes.BadSecurityChecksFailed: "BadSecurityChecksFailed",
    StatusCodes.BadCertificateChainIncomplete: "BadCertificateChainIncomplete",
    StatusCodes.BadCertificateRevoked: "BadCertificateRevoked",
    StatusCodes.BadCertificateInvalid: "BadCertificateInvalid",
    StatusCodes.BadCertificateUseNotAllowed: "BadCertificateUseNotAllowed",
    StatusCodes.BadCertificateUriInvalid: "BadCertificateUriInvalid",
    StatusCodes.BadCertificateTimeInvalid: "BadCertificateTimeInvalid",
}
# asyncua's function that fails an assertion when a server refuses OpenSecureChannel.
_OPEN_SECURE_CHANNEL = "open_secure_channel"


@dataclass(frozen=True, slots=True)
class CertificateRefusal:
    """The server refused the client certificate; ``status`` as the server said it."""

    status: str


def certificate_refusal(error: BaseException, *, secured: bool) -> CertificateRefusal | None:
    """The refusal ``error`` stands for, or None when it is another failure.

    ``secured``: the connection used a security policy; only then can a server
    refuse the certificate, and only then is asyncua's assertion a refusal.
    """
    if not secured:
        return None
    if isinstance(error, UaStatusCodeError):
        name = _REFUSALS.get(error.code)
        return CertificateRefusal(name) if name is not None else None
    if isinstance(error, AssertionError) and _raised_in(error, _OPEN_SECURE_CHANNEL):
        return CertificateRefusal("secure channel refused")
    return None


def _raised_in(error: BaseException, function: str) -> bool:
    return any(frame.name == function for frame in traceback.extract_tb(error.__traceback__))


def thumbprint(der: bytes) -> str:
    """The certificate's SHA-1 thumbprint in upper-case hex, as OPC UA servers list it."""
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


def trust_instruction(endpoint: str, refusal: CertificateRefusal, certificate: Path) -> str:
    """One line: who refused, which certificate to trust, and where the server keeps it.

    Reads the certificate file (small, local): call it through ``asyncio.to_thread``
    from async code that must not block.
    """
    try:
        print_ = thumbprint(certificate.read_bytes())
    except OSError:
        print_ = "unknown (file unreadable)"
    return (
        f"{endpoint} refused LineCare's client certificate ({refusal.status}):"
        f" trust {certificate} (thumbprint {print_}) on the server;"
        " it is often waiting in the server's rejected certificates folder"
        " (e.g. pki/rejected): move it to trusted, and LineCare connects on its next attempt"
    )
