"""The simulator's certificates: a CA for device TLS certificates and a provisioning chain for ACM.

Everything lives under ``state_dir/pki/`` and is created on the first run and loaded on later runs, so a
restarted fleet presents the same certificates and users keep trusting the same ``state_dir/ca.pem``.

* Device TLS: one RSA key shared by every device (generating 1,000 keys would make start-up slow) and one
  certificate per device, issued by the simulator CA (ECDSA P-256: signing is much faster than with RSA) and
  cached in ``pki/issued.json`` (written by :meth:`Pki.save`).
* Provisioning (ACM): root CA -> intermediate CA -> leaf "provisioning certificate" for ``dns_suffix``. The leaf
  carries Intel's AMT provisioning OID in its extended key usage. The chain and the leaf key are written to
  ``pki/provisioning.p12``, protected by a generated password kept in ``pki/provisioning.password``.
"""
from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

AMT_PROVISIONING_OID = ObjectIdentifier("2.16.840.1.113741.1.2.3")
DEFAULT_DNS_SUFFIX = "amtsim.example"

_VALIDITY = datetime.timedelta(days=3650)
# Backdated so that a device clock a little behind the host still accepts the certificates.
_BACKDATE = datetime.timedelta(days=1)


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable only by its owner, atomically (every file of a state directory is written this way)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)  # a .tmp left by an older run keeps its mode through os.open
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def _new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "amtsim"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _ca_cert(common_name: str, key, issuer_cert: x509.Certificate | None = None, issuer_key=None,
             path_length: int | None = None) -> x509.Certificate:
    """A CA certificate: self-signed when no issuer is given."""
    subject = _name(common_name)
    builder = _builder(subject, issuer_cert.subject if issuer_cert else subject, key.public_key())
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
    builder = builder.add_extension(x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
        key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)


class Pki:
    """Creates or loads the simulator's certificates under ``state_dir``.

    Public attributes: ``ca_cert_pem`` (bytes), ``ca_path`` (``state_dir/ca.pem``), ``device_key_pem`` (bytes) and
    ``device_key_path`` (the same key as a file, e.g. for ``SSLContext.load_cert_chain``),
    ``dns_suffix``, ``provisioning_pkcs12_path``, ``provisioning_pkcs12_password``,
    ``provisioning_root_hash_sha256`` (hex), ``provisioning_root_cert_pem``, ``provisioning_chain_pem``
    (leaf, intermediate, root as one PEM bundle).
    """

    def __init__(self, state_dir, dns_suffix: str = DEFAULT_DNS_SUFFIX):
        self.state_dir = Path(state_dir)
        self.pki_dir = self.state_dir / "pki"
        self.pki_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._issued_path = self.pki_dir / "issued.json"
        self._issued = json.loads(self._issued_path.read_text()) if self._issued_path.exists() else {}
        self._issued_unsaved = False
        self.ca_path = self.state_dir / "ca.pem"
        self._load_or_create_ca()
        self._load_or_create_device_key()
        self._load_or_create_provisioning(dns_suffix)

    # --- simulator CA and device certificates ---------------------------------------------------------------
    def _load_or_create_ca(self) -> None:
        key_path, cert_path = self.pki_dir / "ca.key.pem", self.pki_dir / "ca.cert.pem"
        if key_path.exists() and cert_path.exists():
            self._ca_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            self._ca_cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        else:
            self._ca_key = ec.generate_private_key(ec.SECP256R1())
            self._ca_cert = _ca_cert("amtsim device CA", self._ca_key, path_length=0)
            write_private(key_path, _key_pem(self._ca_key))
            write_private(cert_path, _cert_pem(self._ca_cert))
        self.ca_cert_pem = _cert_pem(self._ca_cert)
        if not self.ca_path.exists() or self.ca_path.read_bytes() != self.ca_cert_pem:
            write_private(self.ca_path, self.ca_cert_pem)

    def _load_or_create_device_key(self) -> None:
        key_path = self.device_key_path = self.pki_dir / "device.key.pem"
        if key_path.exists():
            self.device_key_pem = key_path.read_bytes()
        else:
            self.device_key_pem = _key_pem(_new_rsa_key())
            write_private(key_path, self.device_key_pem)
        self._device_public_key = serialization.load_pem_private_key(self.device_key_pem, password=None).public_key()

    def issue_device_cert(self, common_name: str, san_ips) -> tuple:
        """(cert_pem, key_pem) for a device's TLS server: the leaf followed by the CA, and the shared device key.

        The certificate names ``common_name`` (also as a DNS SAN) and every address in ``san_ips``. Issued
        certificates are cached by name and addresses (on disk once :meth:`save` ran), so a restarted fleet reuses them.
        """
        addresses = sorted({str(ipaddress.ip_address(ip)) for ip in san_ips})
        cache_key = json.dumps([common_name, addresses])
        if cache_key in self._issued:
            return self._issued[cache_key].encode(), self.device_key_pem
        sans = [x509.DNSName(common_name)] + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in addresses]
        cert = (_builder(_name(common_name), self._ca_cert.subject, self._device_public_key)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(_leaf_key_usage(), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()), critical=False)
                .sign(self._ca_key, hashes.SHA256()))
        chain_pem = _cert_pem(cert) + self.ca_cert_pem
        self._issued[cache_key] = chain_pem.decode()
        self._issued_unsaved = True
        return chain_pem, self.device_key_pem

    def save(self) -> None:
        """Write the certificates issued since the last save to the cache."""
        if self._issued_unsaved:
            self._issued_unsaved = False
            write_private(self._issued_path, json.dumps(dict(self._issued)).encode())

    # --- provisioning chain (ACM) ---------------------------------------------------------------------------
    def _load_or_create_provisioning(self, dns_suffix: str) -> None:
        meta_path = self.pki_dir / "provisioning.json"
        self.provisioning_pkcs12_path = self.pki_dir / "provisioning.p12"
        password_path = self.pki_dir / "provisioning.password"
        chain_path = self.pki_dir / "provisioning-chain.pem"
        existing = json.loads(meta_path.read_text()) if meta_path.exists() else None
        if existing is None or not self.provisioning_pkcs12_path.exists() or not password_path.exists():
            self._create_provisioning(dns_suffix, chain_path, password_path)
            write_private(meta_path, json.dumps({"dns_suffix": dns_suffix}).encode())
            existing = {"dns_suffix": dns_suffix}
        self.dns_suffix = existing["dns_suffix"]
        self.provisioning_pkcs12_password = password_path.read_text().strip()
        self.provisioning_chain_pem = chain_path.read_bytes()
        root = x509.load_pem_x509_certificates(self.provisioning_chain_pem)[-1]
        self.provisioning_root_cert_pem = _cert_pem(root)
        self.provisioning_root_hash_sha256 = hashlib.sha256(root.public_bytes(serialization.Encoding.DER)).hexdigest()

    def _create_provisioning(self, dns_suffix: str, chain_path: Path, password_path: Path) -> None:
        root_key, intermediate_key, leaf_key = _new_rsa_key(), _new_rsa_key(), _new_rsa_key()
        root = _ca_cert("amtsim provisioning root CA", root_key, path_length=1)
        intermediate = _ca_cert("amtsim provisioning intermediate CA", intermediate_key, root, root_key, path_length=0)
        common_name = f"provisioning.{dns_suffix}"
        leaf = (_builder(_name(common_name), intermediate.subject, leaf_key.public_key())
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(_leaf_key_usage(), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH, AMT_PROVISIONING_OID]),
                               critical=False)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(intermediate_key.public_key()), critical=False)
                .sign(intermediate_key, hashes.SHA256()))
        password = secrets.token_urlsafe(18)
        bundle = pkcs12.serialize_key_and_certificates(
            b"amtsim provisioning certificate", leaf_key, leaf, [intermediate, root],
            serialization.BestAvailableEncryption(password.encode()))
        write_private(password_path, password.encode())
        write_private(self.provisioning_pkcs12_path, bundle)
        write_private(chain_path, _cert_pem(leaf) + _cert_pem(intermediate) + _cert_pem(root))
