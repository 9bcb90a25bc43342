"""HTTPS to a pinned address: the certificate is checked against the URL's host name."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes.webhook_receiver import WebhookReceiver
from webhooks.services import delivery_attempt, delivery_create


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` (its own CA), and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def https_receiver(tmp_path, settings, request):
    certified_name = request.param
    cert_file, key_file = self_signed(tmp_path, certified_name)
    settings.WEBHOOKS_CA_BUNDLE = str(cert_file)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    with WebhookReceiver(tls=context) as receiver:
        yield receiver


@pytest.mark.parametrize("https_receiver", ["receiver.test"], indirect=True)
def test_it_checks_the_certificate_of_the_host_name_while_connecting_to_its_address(
    db, hosts, https_receiver
):
    hosts({"receiver.test": ["127.0.0.1"]})
    delivery = delivery_create(
        url=https_receiver.url(host="receiver.test"), event="extension.success", payload={}
    )

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code == 200, attempt.error
    assert https_receiver.server_names == ["receiver.test"]
    assert https_receiver.requests[0].headers["host"] == f"receiver.test:{https_receiver.port}"


@pytest.mark.parametrize("https_receiver", ["someone-else.test"], indirect=True)
def test_it_refuses_a_certificate_for_another_name(db, hosts, https_receiver):
    hosts({"receiver.test": ["127.0.0.1"]})
    delivery = delivery_create(
        url=https_receiver.url(host="receiver.test"), event="extension.success", payload={}
    )

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code is None
    assert "certificate" in attempt.error.lower()
    assert https_receiver.requests == []
