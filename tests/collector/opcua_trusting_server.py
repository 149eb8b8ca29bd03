"""A secured OPC UA server that refuses client certificates until an operator trusts them.

As PLCs do: an unknown client certificate is filed in ``<pki>/rejected/`` and
refused; the operator trusts it by moving it to ``<pki>/trusted/``. The server
refuses either where asyncua's own server does, on CreateSession with
``BadCertificateUntrusted``, or, like several third-party stacks, with a
ServiceFault in answer to OpenSecureChannel, which asyncua's client cannot parse.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, cast

import pytest
from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.crypto import cert_gen
from asyncua.server import binary_server_asyncio
from asyncua.server.server import Server
from asyncua.server.uaprocessor import UaProcessor
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.ua_binary import struct_from_binary
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

NAMESPACE = "urn:linecare:test:trusting"


class RefuseAt(Enum):
    CREATE_SESSION = "create_session"
    OPEN_SECURE_CHANNEL = "open_secure_channel"


class OperatorTrustList:
    """The server's trusted and rejected folders, as an operator sees them."""

    def __init__(self, pki: Path) -> None:
        self.trusted = pki / "trusted"
        self.rejected = pki / "rejected"
        self.trusted.mkdir(parents=True, exist_ok=True)
        self.rejected.mkdir(parents=True, exist_ok=True)

    def admits(self, der: bytes) -> bool:
        """Whether the certificate is trusted; an unknown one is filed as rejected."""
        name = hashlib.sha1(der, usedforsecurity=False).hexdigest().upper() + ".der"
        if (self.trusted / name).exists():
            return True
        (self.rejected / name).write_bytes(der)
        return False

    def trust_rejected(self) -> list[str]:
        """The operator's step: move every rejected certificate to trusted."""
        moved = sorted(path.name for path in self.rejected.iterdir())
        for name in moved:
            shutil.move(self.rejected / name, self.trusted / name)
        return moved


@dataclass
class TrustingServer:
    url: str
    server: Server
    trust_list: OperatorTrustList
    speed_node: ua.NodeId

    async def write_speed(self, value: float, at: datetime) -> None:
        when = cast(ua.DateTime, at.astimezone(UTC).replace(tzinfo=None))
        await self.server.write_attribute_value(
            self.speed_node,
            ua.DataValue(
                Value=ua.Variant(value, ua.VariantType.Double),
                SourceTimestamp=when,
                ServerTimestamp=when,
            ),
        )


def _refusing_processor(trust_list: OperatorTrustList) -> type[UaProcessor]:
    class RefusingProcessor(UaProcessor):
        def open_secure_channel(self, algohdr: Any, seqhdr: Any, body: Any) -> None:
            certificate = algohdr.SenderCertificate
            if not certificate or trust_list.admits(certificate):
                super().open_secure_channel(algohdr, seqhdr, body)  # type: ignore[no-untyped-call]
                return
            request = struct_from_binary(ua.OpenSecureChannelRequest, body)
            # The answer is secured for the client's own (refused) certificate, as stacks do.
            self._connection.select_policy(algohdr.SecurityPolicyURI, certificate)
            fault = ua.ServiceFault()
            fault.ResponseHeader.ServiceResult = ua.StatusCode(
                ua.UInt32(StatusCodes.BadSecurityChecksFailed)
            )
            self.send_response(  # type: ignore[no-untyped-call]
                request.RequestHeader.RequestHandle, seqhdr, fault, ua.MessageType.SecureOpen
            )

    return RefusingProcessor


@asynccontextmanager
async def trusting_server(
    url: str,
    pki: Path,
    refuse_at: RefuseAt,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[TrustingServer]:
    """A server on ``url`` with one variable, ``ns=2;s=line-1.l1-filler.speed``."""
    trust_list = OperatorTrustList(pki)
    server = Server()
    await server.init()
    server.set_endpoint(url)
    server.set_server_name("LineCare test PLC")
    key, certificate = pki / "own" / "server_key.pem", pki / "own" / "server.der"
    certificate.parent.mkdir(parents=True, exist_ok=True)
    await cert_gen.setup_self_signed_certificate(
        key,
        certificate,
        "urn:linecare:test:plc",
        "127.0.0.1",
        [ExtendedKeyUsageOID.SERVER_AUTH],
        {"commonName": "LineCare test PLC"},
    )
    await server.load_certificate(str(certificate))
    await server.load_private_key(str(key))
    server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
    if refuse_at is RefuseAt.CREATE_SESSION:
        server.set_certificate_validator(_validator(trust_list))
    else:
        monkeypatch.setattr(binary_server_asyncio, "UaProcessor", _refusing_processor(trust_list))
    namespace = await server.register_namespace(NAMESPACE)
    machine = await server.nodes.objects.add_folder(namespace, "l1-filler")
    speed = ua.NodeId(ua.String("line-1.l1-filler.speed"), ua.Int16(namespace))
    await machine.add_variable(speed, ua.QualifiedName("speed", namespace), 0.0)
    async with server:
        yield TrustingServer(url, server, trust_list, speed)


def _validator(
    trust_list: OperatorTrustList,
) -> Callable[[x509.Certificate, ua.ApplicationDescription], Any]:
    async def validate(certificate: x509.Certificate, _: ua.ApplicationDescription) -> None:
        if not trust_list.admits(certificate.public_bytes(serialization.Encoding.DER)):
            raise ServiceError(StatusCodes.BadCertificateUntrusted)

    return validate
