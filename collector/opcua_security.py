"""Secured OPC UA connections: the client certificate, server trust and the user login.

The client's application instance certificate and private key are generated on
the first secured connection into ``<certificate_dir>/own/`` and reused from then
on; the certificate is renewed (same key) once it expires. Operators trust
``own/client_certificate.der`` on the PLC.

The server's certificate is checked against ``<certificate_dir>/trusted/``:
``first_use`` stores the certificate seen on the first connection and accepts only
that one afterwards (trust on first use: the first connection must happen on a
network you trust, and a replaced PLC certificate is refused until its stored
file is deleted); ``pinned`` accepts only a file an operator put there.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asyncua import ua
from asyncua.client.client import Client
from asyncua.crypto import cert_gen, security_policies
from asyncua.crypto.validator import CertificateValidatorMethod
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaStatusCodeError
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from models.opcua_source import OpcUaSecurity, SecurityMode, SecurityPolicy, ServerTrust

APPLICATION_URI = "urn:linecare:collector"
_APPLICATION_NAME = "LineCare collector"
# Long enough that PLC administrators do not re-trust it every year.
_CERTIFICATE_DAYS = 5 * 365

_POLICIES: dict[SecurityPolicy, type[security_policies.SecurityPolicy]] = {
    SecurityPolicy.BASIC256SHA256: security_policies.SecurityPolicyBasic256Sha256,
}
_MODES = {
    SecurityMode.SIGN: ua.MessageSecurityMode.Sign,
    SecurityMode.SIGN_AND_ENCRYPT: ua.MessageSecurityMode.SignAndEncrypt,
}
# Login failures the server reports on ActivateSession; retrying will not help
# until the configuration changes, but the collector keeps trying (backoff-capped).
_LOGIN_REFUSED = {
    StatusCodes.BadUserAccessDenied,
    StatusCodes.BadIdentityTokenInvalid,
    StatusCodes.BadIdentityTokenRejected,
}


@dataclass(frozen=True, slots=True)
class OpcUaCredentials:
    """Secrets for one endpoint, from the environment, never from the plant file."""

    certificate_dir: Path
    username: str | None = None
    password: str | None = field(default=None, repr=False)


class UntrustedServerError(Exception):
    """The server presented a certificate the trust policy does not accept."""


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    certificate: Path
    private_key: Path


def client_certificate_path(directory: Path) -> Path:
    """Where the client certificate that operators trust on a server is kept (DER)."""
    return directory / "own" / "client_certificate.der"


def ensure_client_certificate(
    directory: Path, *, host_name: str | None = None
) -> ClientCertificate:
    """The client certificate and key in ``directory/own``; created on first use.

    Blocking file I/O: call it through ``asyncio.to_thread`` from async code.
    """
    own = directory / "own"
    own.mkdir(parents=True, exist_ok=True)
    paths = ClientCertificate(client_certificate_path(directory), own / "client_key.pem")
    if paths.private_key.exists():
        key = serialization.load_pem_private_key(paths.private_key.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{paths.private_key} is not an RSA key")
    else:
        key = cert_gen.generate_private_key()
        _write_private(paths.private_key, cert_gen.dump_private_key_as_pem(key))
    if not _valid_certificate_of(paths.certificate, key):
        host = host_name or socket.gethostname()
        certificate = cert_gen.generate_self_signed_app_certificate(
            key,
            _APPLICATION_NAME,
            {},
            [x509.UniformResourceIdentifier(APPLICATION_URI), x509.DNSName(host)],
            extended=[ExtendedKeyUsageOID.CLIENT_AUTH],
            days=_CERTIFICATE_DAYS,
        )
        paths.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.DER))
    return paths


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def _valid_certificate_of(path: Path, key: rsa.RSAPrivateKey) -> bool:
    if not path.exists():
        return False
    certificate = x509.load_der_x509_certificate(path.read_bytes())
    matches_key = _public_bytes(certificate.public_key()) == _public_bytes(key.public_key())
    return matches_key and certificate.not_valid_after_utc > datetime.now(UTC)


def _public_bytes(key: object) -> bytes:
    if not isinstance(key, rsa.RSAPublicKey):
        return b""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def trusted_certificate_path(directory: Path, endpoint: str) -> Path:
    """Where the accepted certificate of the server at ``endpoint`` is kept."""
    readable = re.sub(r"[^A-Za-z0-9.-]+", "_", endpoint.removeprefix("opc.tcp://")).strip("_")
    return directory / "trusted" / f"{readable}.der"


def check_server_certificate(
    directory: Path, endpoint: str, presented: bytes, trust: ServerTrust
) -> None:
    """Accept the server certificate ``presented`` (DER) or raise ``UntrustedServerError``.

    Blocking file I/O: call it through ``asyncio.to_thread`` from async code.
    """
    path = trusted_certificate_path(directory, endpoint)
    if not path.exists():
        if trust is ServerTrust.PINNED:
            raise UntrustedServerError(
                f"{endpoint} presented certificate {_fingerprint(presented)}; trust is pinned"
                f" and {path} does not exist"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(presented)
        return
    known = path.read_bytes()
    if known != presented:
        raise UntrustedServerError(
            f"{endpoint} presented certificate {_fingerprint(presented)}, not the trusted"
            f" {_fingerprint(known)} in {path}; delete that file to trust the new one"
        )


def _fingerprint(der: bytes) -> str:
    return "SHA256:" + hashlib.sha256(der).hexdigest()[:16]


def new_client(endpoint: str, *, timeout_s: float = 10.0) -> Client:
    """A client that introduces itself as the LineCare collector."""
    # The connection probe gets as long as a request: a busy PLC answers late, and
    # a late answer is not a lost connection.
    client = Client(url=endpoint, timeout=timeout_s, watchdog_intervall=timeout_s / 2)
    client.application_uri = APPLICATION_URI
    client.name = client.description = _APPLICATION_NAME
    # Servers commonly cap sessions at 10 minutes; asking for more only earns a warning.
    client.session_timeout = 600_000
    return client


async def apply_security(
    client: Client, endpoint: str, security: OpcUaSecurity, credentials: OpcUaCredentials | None
) -> None:
    """Set up ``client`` for the endpoint's security policy, mode and login."""
    if security.user_login:
        if credentials is None or not credentials.username or credentials.password is None:
            raise ValueError(f"{endpoint} needs a username and password, none is configured")
        client.set_user(credentials.username)
        client.set_password(credentials.password)
        if security.policy is SecurityPolicy.NONE:
            # The password travels encrypted with the server's certificate: only to a trusted one.
            client.certificate_validator = _trusting(credentials, endpoint, security.server_trust)
    if security.policy is SecurityPolicy.NONE:
        return
    if credentials is None:
        raise ValueError(f"{endpoint} is secured: a certificate directory is needed")
    # Key generation and file access block: they run in a thread.
    own = await asyncio.to_thread(ensure_client_certificate, credentials.certificate_dir)
    policy = _POLICIES[security.policy]
    mode = _MODES[security.mode]
    endpoints = await client.connect_and_get_server_endpoints()
    offered = Client.find_endpoint(endpoints, mode, policy.URI)
    if not offered.ServerCertificate:
        raise UntrustedServerError(f"{endpoint} offers {policy.URI} without a certificate")
    der = _first_certificate(offered.ServerCertificate)
    await asyncio.to_thread(
        check_server_certificate, credentials.certificate_dir, endpoint, der, security.server_trust
    )
    await client.set_security(
        policy, own.certificate, own.private_key, server_certificate=der, mode=mode
    )


def _trusting(
    credentials: OpcUaCredentials, endpoint: str, trust: ServerTrust
) -> CertificateValidatorMethod:
    async def validate(certificate: x509.Certificate, _: ua.ApplicationDescription) -> None:
        der = certificate.public_bytes(serialization.Encoding.DER)
        await asyncio.to_thread(
            check_server_certificate, credentials.certificate_dir, endpoint, der, trust
        )

    return validate


def _first_certificate(der: bytes) -> bytes:
    """The server's own certificate, when it sends its whole chain (concatenated DER)."""
    certificate = x509.load_der_x509_certificate(der[: _der_length(der)])
    return certificate.public_bytes(serialization.Encoding.DER)


def _der_length(der: bytes) -> int:
    # A DER SEQUENCE: tag, then a short length or 0x8N and N length bytes.
    if der[1] < 0x80:
        return 2 + der[1]
    size = der[1] & 0x7F
    return 2 + size + int.from_bytes(der[2 : 2 + size], "big")


def login_refused(error: BaseException) -> bool:
    return isinstance(error, UaStatusCodeError) and error.code in _LOGIN_REFUSED


def describe_failure(error: BaseException) -> str:
    """A one-line reason for a failed connection, naming a refused login as such."""
    if login_refused(error):
        return (
            f"the server refused the login ({type(error).__name__}):"
            " check the username and password"
        )
    return f"{type(error).__name__}: {error}"
