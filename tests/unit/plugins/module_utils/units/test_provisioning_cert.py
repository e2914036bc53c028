# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.oob.amt.plugins.module_utils.units import provisioning_cert
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

PASSWORD = "p12-Secret!"
NOW = datetime.datetime.now(datetime.timezone.utc)
AMT_OID = x509.ObjectIdentifier(provisioning_cert.AMT_PROVISIONING_OID)


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(name, key, issuer=None, issuer_key=None, ca=False, usages=None, days=30):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.subject if issuer else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(days=2)).not_valid_after(NOW + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki():
    root_key, intermediate_key, leaf_key = _key(), _key(), _key()
    root = _cert("test root", root_key, ca=True)
    intermediate = _cert("test intermediate", intermediate_key, root, root_key, ca=True)
    leaf = _cert("provisioning.corp.example", leaf_key, intermediate, intermediate_key,
                 usages=[ExtendedKeyUsageOID.SERVER_AUTH, AMT_OID])
    return {"root": root, "root_key": root_key, "intermediate": intermediate, "intermediate_key": intermediate_key,
            "leaf": leaf, "leaf_key": leaf_key}


def _p12(key, cert, extra, password=PASSWORD):
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(b"test", key, cert, extra, encryption)


def test_load_orders_a_shuffled_chain_leaf_first(pki):
    loaded = provisioning_cert.load(_p12(pki["leaf_key"], pki["leaf"], [pki["root"], pki["intermediate"]]), PASSWORD)
    assert [cert.subject for cert in loaded.chain] == [pki["leaf"].subject, pki["intermediate"].subject, pki["root"].subject]
    assert loaded.root_hash == hashlib.sha256(pki["root"].public_bytes(serialization.Encoding.DER)).hexdigest()
    assert loaded.dns_names == ["provisioning.corp.example"]


def test_leaf_is_found_by_its_key_even_when_the_bundle_names_another_certificate(pki):
    loaded = provisioning_cert.load(pkcs12.serialize_key_and_certificates(
        b"x", pki["leaf_key"], None, [pki["root"], pki["leaf"], pki["intermediate"]], serialization.NoEncryption()), None)
    assert loaded.leaf.subject == pki["leaf"].subject


def test_signature_verifies_with_the_leaf_public_key(pki):
    loaded = provisioning_cert.load(_p12(pki["leaf_key"], pki["leaf"], [pki["intermediate"], pki["root"]]), PASSWORD)
    signature = loaded.sign_nonces(b"f" * 20, b"m" * 20)
    pki["leaf"].public_key().verify(signature, b"f" * 20 + b"m" * 20, padding.PKCS1v15(), hashes.SHA256())


def test_client_identity_excludes_the_root_and_the_key_is_unencrypted_pem(pki):
    loaded = provisioning_cert.load(_p12(pki["leaf_key"], pki["leaf"], [pki["intermediate"], pki["root"]]), PASSWORD)
    assert len(x509.load_pem_x509_certificates(loaded.client_cert_pem())) == 2
    assert loaded.key_pem().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_wrong_password_names_the_options_not_the_password(pki):
    with pytest.raises(InvalidInputError) as error:
        provisioning_cert.load(_p12(pki["leaf_key"], pki["leaf"], [pki["intermediate"], pki["root"]]), "wrong-one")
    assert "provisioning_cert_password" in str(error.value) and "wrong-one" not in str(error.value)


def test_missing_key_is_named(pki):
    data = pkcs12.serialize_key_and_certificates(b"x", None, None, [pki["leaf"], pki["intermediate"], pki["root"]],
                                                 serialization.BestAvailableEncryption(PASSWORD.encode()))
    with pytest.raises(InvalidInputError, match="holds no private key"):
        provisioning_cert.load(data, PASSWORD)


def test_key_of_no_certificate_is_refused(pki):
    with pytest.raises(InvalidInputError, match="belongs to none"):
        provisioning_cert.load(_p12(_key(), None, [pki["leaf"], pki["intermediate"], pki["root"]]), PASSWORD)


def test_non_rsa_key_is_refused(pki):
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("provisioning.corp.example", key, pki["intermediate"], pki["intermediate_key"], usages=[AMT_OID])
    with pytest.raises(InvalidInputError, match="not RSA"):
        provisioning_cert.load(_p12(key, leaf, [pki["intermediate"], pki["root"]]), PASSWORD)


def test_missing_intermediate_breaks_the_chain(pki):
    with pytest.raises(InvalidInputError, match="incomplete.*provisioning.corp.example"):
        provisioning_cert.load(_p12(pki["leaf_key"], pki["leaf"], [pki["root"]]), PASSWORD)


def test_unrelated_certificate_is_reported(pki):
    stranger = _cert("stranger root", _key(), ca=True)
    with pytest.raises(InvalidInputError, match="not in the leaf's chain.*stranger root"):
        provisioning_cert.load(_p12(pki["leaf_key"], pki["leaf"], [pki["intermediate"], pki["root"], stranger]), PASSWORD)


def test_leaf_without_amt_usage_is_refused(pki):
    key = _key()
    leaf = _cert("web.corp.example", key, pki["intermediate"], pki["intermediate_key"], usages=[ExtendedKeyUsageOID.SERVER_AUTH])
    with pytest.raises(InvalidInputError, match="not an AMT provisioning certificate"):
        provisioning_cert.load(_p12(key, leaf, [pki["intermediate"], pki["root"]]), PASSWORD)


def test_expired_certificate_is_refused(pki):
    key = _key()
    leaf = _cert("provisioning.corp.example", key, pki["intermediate"], pki["intermediate_key"], usages=[AMT_OID], days=1)
    with pytest.raises(InvalidInputError, match="expired"):
        provisioning_cert.load(_p12(key, leaf, [pki["intermediate"], pki["root"]]), PASSWORD,
                               now=NOW + datetime.timedelta(days=5))


def test_chain_longer_than_amt_accepts_is_refused(pki):
    keys = [_key(), _key(), _key()]
    certs = [pki["root"]]
    issuer_key = pki["root_key"]
    for index, key in enumerate(keys):
        certs.append(_cert("ca %d" % index, key, certs[-1], issuer_key, ca=True))
        issuer_key = key
    leaf_key = _key()
    leaf = _cert("provisioning.corp.example", leaf_key, certs[-1], issuer_key, usages=[AMT_OID])
    with pytest.raises(InvalidInputError, match="at most 4"):
        provisioning_cert.load(_p12(leaf_key, leaf, certs), PASSWORD)


def test_content_must_be_base64():
    assert provisioning_cert.decode_content(base64.b64encode(b"abc").decode() + "\n") == b"abc"
    with pytest.raises(InvalidInputError, match="provisioning_cert_content"):
        provisioning_cert.decode_content("not base64 !")


@pytest.mark.parametrize("names, suffix, expected", [
    (["provisioning.corp.example"], "corp.example", True),
    (["provisioning.corp.example"], "CORP.example.", True),
    (["provisioning.corp.example"], "example.org", False),
    (["provisioning.notcorp.example"], "corp.example", False),
    (["provisioning.corp.example"], "", False),
])
def test_suffix_matching(names, suffix, expected):
    assert provisioning_cert.matches_suffix(names, suffix) is expected
