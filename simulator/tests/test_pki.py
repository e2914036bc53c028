"""amtsim.pki: chains verify, the PKCS#12 opens with its password, a restart reuses everything."""
import hashlib
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.verification import PolicyBuilder, Store

from amtsim.pki import AMT_PROVISIONING_OID, Pki


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("pki-state")


@pytest.fixture(scope="module")
def pki(state_dir):
    return Pki(state_dir)


def _verify_server(chain_pem: bytes, roots_pem: bytes, ip: str) -> None:
    leaf, *intermediates = x509.load_pem_x509_certificates(chain_pem)
    store = Store(x509.load_pem_x509_certificates(roots_pem))
    verifier = PolicyBuilder().store(store).build_server_verifier(x509.IPAddress(ipaddress.ip_address(ip)))
    verifier.verify(leaf, intermediates)


def test_device_certificate_verifies_against_ca_pem_for_its_address(pki, state_dir):
    chain, key = pki.issue_device_cert("amt-0001", ["127.77.0.1", "127.78.0.1"])
    _verify_server(chain, (state_dir / "ca.pem").read_bytes(), "127.77.0.1")
    _verify_server(chain, pki.ca_cert_pem, "127.78.0.1")
    leaf = x509.load_pem_x509_certificates(chain)[0]
    private_key = serialization.load_pem_private_key(key, password=None)
    assert leaf.public_key().public_numbers() == private_key.public_key().public_numbers()


def test_device_certificate_does_not_verify_for_another_address(pki):
    chain = pki.issue_device_cert("amt-0002", ["127.77.0.2"])[0]
    with pytest.raises(Exception, match="(?i)mismatch|match|subject"):
        _verify_server(chain, pki.ca_cert_pem, "127.77.0.3")


def test_devices_share_one_key_but_get_their_own_certificate(pki):
    first, first_key = pki.issue_device_cert("amt-0003", ["127.77.0.3"])
    second, second_key = pki.issue_device_cert("amt-0004", ["127.77.0.4"])
    assert first_key == second_key
    assert first != second


def test_provisioning_pkcs12_opens_with_its_password_and_holds_the_chain(pki):
    data = pki.provisioning_pkcs12_path.read_bytes()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"wrong password")
    key, leaf, extra = pkcs12.load_key_and_certificates(data, pki.provisioning_pkcs12_password.encode())
    assert key is not None and leaf is not None and len(extra) == 2
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert AMT_PROVISIONING_OID in usages
    assert leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value.endswith("." + pki.dns_suffix)
    intermediate, root = extra
    leaf.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)
    assert pki.provisioning_root_hash_sha256 == hashlib.sha256(root.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_password_is_not_stored_in_the_public_files(pki, state_dir):
    password = pki.provisioning_pkcs12_password.encode()
    for path in [state_dir / "ca.pem", *sorted((state_dir / "pki").glob("*.pem")), state_dir / "pki" / "provisioning.json"]:
        assert password not in path.read_bytes()
    assert (state_dir / "pki" / "provisioning.password").stat().st_mode & 0o077 == 0


def test_restart_reuses_ca_keys_provisioning_and_issued_certificates(pki, state_dir):
    chain, key = pki.issue_device_cert("amt-0005", ["127.77.0.5"])
    pki.save()
    again = Pki(state_dir)
    assert again.ca_cert_pem == pki.ca_cert_pem
    assert again.device_key_pem == pki.device_key_pem
    assert again.provisioning_pkcs12_password == pki.provisioning_pkcs12_password
    assert again.provisioning_root_hash_sha256 == pki.provisioning_root_hash_sha256
    assert again.issue_device_cert("amt-0005", ["127.77.0.5"]) == (chain, key)


def test_a_new_state_dir_gets_a_new_ca(pki, tmp_path):
    assert Pki(tmp_path, dns_suffix="fleet.test").ca_cert_pem != pki.ca_cert_pem
    assert Pki(tmp_path).dns_suffix == "fleet.test"
