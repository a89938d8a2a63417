"""The local certificate authority and the certificate of the instance hosts.

Generated on first start under ``<data>/tls/``. Clients trust ``ca.pem`` explicitly
(``requests`` ``verify=<ca.pem>``); nothing here ever disables verification.
``serve --expose --host NAME`` asks for NAME as an extra subject alternative name: the
host certificate is reissued by the same CA, so learners trust the CA once.

Why not ``trustme``: it makes throw-away CAs for test fixtures (named after trustme, valid
until the year 3000, kept in memory). This CA is persisted, reused across restarts, and
installed by learners and trainers in their browsers' trust stores, so it needs a bounded
life (10 years; host certificates 397 days), a name that says "not for production", and
private keys written 0600 from creation. ``cryptography`` does that in one screen.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .private import write_private

HOST_NAMES = ("localhost",)
HOST_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    cert: Path
    key: Path


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _valid(cert_path: Path, days_left: int = 7) -> bool:
    if not cert_path.exists():
        return False
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    limit = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days_left)
    return cert.not_valid_after_utc > limit


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name.lower())


def _covers(cert_path: Path, names: list[x509.GeneralName]) -> bool:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return all(n in sans for n in names)


def ca_fingerprint(ca_cert: Path) -> str:
    """SHA-256 fingerprint of the CA (``AB:CD:…``): what learners compare before trusting it."""
    cert = x509.load_pem_x509_certificate(Path(ca_cert).read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def ensure_tls(data_dir: Path, extra_names: Iterable[str] = ()) -> TlsFiles:
    """Create (or reuse) the CA and a host certificate for localhost/127.0.0.1/::1.

    ``extra_names`` (host names or IP addresses) are added to the host certificate's
    subject alternative names; a certificate lacking one is reissued by the same CA::

        ensure_tls(Path(".localorg"), ["trainer-laptop.local"])
    """
    wanted = [x509.DNSName(h) for h in HOST_NAMES]
    wanted += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in HOST_IPS]
    wanted += [n for n in map(_san, extra_names) if n not in wanted]
    folder = Path(data_dir) / "tls"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # keys inside (B-44)
    files = TlsFiles(folder / "ca.pem", folder / "host.pem", folder / "host-key.pem")
    ca_key_path = folder / "ca-key.pem"
    now = dt.datetime.now(dt.timezone.utc)

    if not (_valid(files.ca_cert, days_left=30) and ca_key_path.exists()):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Local Salesforce orgs (tutorial)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "localorg tutorial CA - not for production"),
        ])
        ca_cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        write_private(ca_key_path, _key_pem(ca_key))
        files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        files.cert.unlink(missing_ok=True)  # a new CA invalidates the old host certificate

    if not (_valid(files.cert) and files.key.exists() and _covers(files.cert, wanted)):
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=397))
            .add_extension(x509.SubjectAlternativeName(wanted), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        write_private(files.key, _key_pem(key))
        files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files
