#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_tls
short_description: Give Intel AMT a server certificate and turn on TLS, then reconnect and verify
description:
  - Gives the device a TLS server certificate whose key pair the device generates itself (C(GenerateKeyPair)). The
    device's certificate request (C(GeneratePKCS10RequestEx)) is signed on the controller by the issuer given in
    O(issuer_certificate) and O(issuer_private_key); or, without an issuer, the task fails returning the request as
    RV(csr), to be signed elsewhere and given back as O(certificate). A certificate whose key was made elsewhere is given
    as O(certificate) with O(private_key).
  - The certificate is renewed when it expires within O(server_certificate.renew_before_days), or when its common name or
    subject alternative names differ from O(server_certificate).
  - Adds O(trusted_root_certificates), and sets TLS on the network interface (always on), mutual authentication with
    O(trusted_cn), O(accept_non_secure_connections) and TLS on the local (LMS) interface.
  - Nothing of this takes effect before C(CommitChanges), which the module sends after its writes. The device then
    restarts its network stack; the module waits for it (up to O(restart_timeout) seconds), reconnects over TLS on port
    16993, verifying the certificate against the issuer (or, for a certificate signed elsewhere or one not changed,
    pinning its SHA-256 fingerprint), reads the settings back and only then removes the certificate and key pair it
    replaced.
  - When the answer to C(CommitChanges) is lost (firmware restarts its ports while the answer is in flight), the module
    never sends it again; it reconnects and reads what the device now serves.
  - A run cut off at any point is finished by running the task again; settings written but never committed are detected
    by connecting to the device as it serves now (the certificate on port 16993, port 16992 still open) and committed.
  - Later tasks must connect as RV(connection) says; see the examples for switching a play's connection variables.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  server_certificate:
    description:
      - The server certificate the device must present.
    type: dict
    required: true
    suboptions:
      common_name:
        description: The subject's common name, for example the device's DNS name.
        type: str
        required: true
      subject_alt_names:
        description:
          - DNS names and IP addresses the certificate is valid for. When the module signs, the host name this task
            connects to must be among them (or be the common name), or the device could not be verified afterwards.
        type: list
        elements: str
        default: []
      key_length:
        description: RSA key length of a newly generated key pair.
        type: int
        choices: [2048, 3072]
        default: 2048
      validity_days:
        description: Days a certificate the module signs is valid (1 to 3650).
        type: int
        default: 365
      renew_before_days:
        description: Renew the certificate when it expires within this many days (less than O(server_certificate.validity_days)).
        type: int
        default: 30
  issuer_certificate:
    description:
      - PEM certificate of the CA that signs the device's request on the controller. Later tasks verify the device with
        it (their C(ca_path)).
    type: str
  issuer_private_key:
    description: PEM private key of O(issuer_certificate).
    type: str
  issuer_private_key_passphrase:
    description: Passphrase of an encrypted O(issuer_private_key).
    type: str
  certificate:
    description:
      - A PEM certificate signed elsewhere for the key pair the device generated (from RV(csr) of an earlier run), or for
        O(private_key). It must carry O(server_certificate.common_name) and O(server_certificate.subject_alt_names).
    type: str
  private_key:
    description:
      - The unencrypted PEM RSA private key (2048 or 3072 bits) of O(certificate), when the key was not generated on the
        device. It is sent to the device with C(AddKey) (PKCS#1) unless the device already holds it.
    type: str
  trusted_root_certificates:
    description:
      - PEM CA certificates the device trusts for client certificates (mutual authentication). Added when missing; roots
        already on the device are kept.
    type: list
    elements: str
    default: []
  mutual_authentication:
    description:
      - Require a client certificate issued by one of the trusted roots on the network interface. Needs O(trusted_root_certificates)
        and the connection's C(client_cert) and C(client_key), so that the task can still reach the device after the change.
    type: bool
    default: false
  trusted_cn:
    description: With mutual authentication, the common names a client certificate may carry (none given allows any).
    type: list
    elements: str
    default: []
  accept_non_secure_connections:
    description:
      - Keep answering without TLS on port 16992 of the network interface. From CSME 16.1 the firmware has no such port
        and V(true) is refused.
    type: bool
    default: false
  local_tls:
    description: TLS on the local (LMS) interface. From AMT 19 the local interface is TLS-only and V(false) is refused.
    type: bool
    default: true
  local_accept_non_secure_connections:
    description: With O(local_tls=true), keep answering without TLS on the local interface too.
    type: bool
    default: false
  restart_timeout:
    description:
      - Seconds to wait for the device after C(CommitChanges). Firmware may take a minute or more to restart its TLS
        stack after a switch.
    type: int
    default: 180
notes:
  - O(issuer_private_key) never leaves the controller; a key pair the device generates never leaves the device.
  - Certificates and key pairs this module replaced are removed only after the new certificate has been verified. A run
    cut off after the commit leaves the replaced certificate on the device; the next run, once the device serves what the
    task asks, removes it and its key pair as a leftover - any certificate that is not a trusted root, not in use, made
    for server authentication only (no clientAuth, so no 802.1X or CIRA client certificate) and issued for
    O(server_certificate.common_name). One the device refuses to delete (still in use) stays, with its key pair. A key
    pair or certificate a cut-off run added before putting it in use is used by the next run rather than another one made.
  - Only the network interface can be checked from the controller after the commit; the local interface's settings are
    read back, not observed in use.
requirements:
  - cryptography
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: TLS for an AMT fleet, certificates signed by the site CA
  hosts: amt
  gather_facts: false
  module_defaults:
    group/oob.amt.amt:
      hostname: "{{ amt_hostname }}"
      password: "{{ vault_amt_password }}"
      use_tls: "{{ amt_use_tls }}"
      ca_path: "{{ amt_ca_path }}"
  tasks:
    - name: Server certificate, TLS only on both interfaces
      oob.amt.amt_tls:
        server_certificate:
          common_name: "{{ inventory_hostname }}"
          subject_alt_names: ["{{ amt_hostname }}"]
        issuer_certificate: "{{ lookup('file', 'pki/amt-ca.pem') }}"
        issuer_private_key: "{{ vault_amt_ca_key }}"
      delegate_to: localhost
      register: tls

    # The device now answers only over TLS on 16993, with a certificate the site CA issued: later tasks (and later
    # plays, through the inventory) must connect that way.
    - name: Connect as the device now expects
      ansible.builtin.set_fact:
        amt_use_tls: "{{ tls.connection.use_tls }}"
        amt_ca_path: pki/amt-ca.pem

    - name: Read the result over the new connection
      oob.amt.amt_info:
        gather_subset: [tls]
      delegate_to: localhost

- name: A certificate signed elsewhere, in two runs
  hosts: amt
  gather_facts: false
  tasks:
    - name: First run returns the device's request (the task fails until the certificate is given)
      oob.amt.amt_tls:
        hostname: "{{ amt_hostname }}"
        password: "{{ vault_amt_password }}"
        server_certificate: {common_name: "{{ inventory_hostname }}"}
        certificate: "{{ lookup('file', 'signed/' ~ inventory_hostname ~ '.pem', errors='ignore') | default(omit, true) }}"
      delegate_to: localhost
      register: tls
      ignore_errors: true

    - name: Keep the request for the CA
      ansible.builtin.copy:
        content: "{{ tls.csr }}"
        dest: "requests/{{ inventory_hostname }}.csr"
        mode: "0644"
      delegate_to: localhost
      when: tls.csr is defined

    - name: Pin the new certificate for later tasks
      ansible.builtin.set_fact:
        amt_cert_fingerprint: "{{ tls.connection.cert_fingerprint }}"
      when: tls.connection is defined
"""

RETURN = r"""
actions:
  description:
    - The changes made, or in check mode the changes a real run would make, in order.
    - After a failure, the changes that reached the device or may have; RV(writes) tells which.
  returned: always
  type: list
  elements: str
  sample: ["install a new server certificate for amt-0001.example.com (no server certificate is in use)",
           "commit the TLS changes (CommitChanges), then reconnect over TLS and verify"]
writes:
  description:
    - Each write sent to the device, in order, with what is known of it.
    - V(confirmed) the device acknowledged it (C(verified) whether reading it back showed it);
      V(unconfirmed) its answer was lost and it may or may not be on the device (the result then has C(indeterminate=true));
      V(refused) the device answered with an error. A C(CommitChanges) whose answer was lost is V(confirmed) with
      C(verified=true) when the device, reached again, serves the new settings.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "commit the TLS changes (CommitChanges), then reconnect over TLS and verify", "status": "confirmed", "verified": true}]
tls:
  description:
    - TLS after the task, with the names and values of this module's options (C(amt_info)'s C(tls) subset reports the same).
  returned: success
  type: dict
  contains:
    server_certificate:
      description: C(common_name) and C(subject_alt_names) of the certificate in use; null without one.
      type: dict
    trusted_root_certificates:
      description: PEM of the trusted root certificates on the device.
      type: list
      elements: str
    remote_tls:
      description: Whether TLS is on on the network interface.
      type: bool
    mutual_authentication:
      description: Whether the network interface requires a client certificate.
      type: bool
    trusted_cn:
      description: Common names allowed for client certificates.
      type: list
      elements: str
    accept_non_secure_connections:
      description: Whether port 16992 still answers without TLS.
      type: bool
    local_tls:
      description: Whether TLS is on on the local interface.
      type: bool
    local_accept_non_secure_connections:
      description: Whether the local interface still answers without TLS.
      type: bool
certificate:
  description: The server certificate in use after the task.
  returned: success
  type: dict
  contains:
    fingerprint:
      description: SHA-256 of the certificate (DER), colon-separated, as C(cert_fingerprint) takes it.
      type: str
    not_after:
      description: Expiry, ISO 8601 in UTC.
      type: str
    issuer:
      description: The issuer's distinguished name (RFC 4514).
      type: str
    instance_id:
      description: The certificate's C(AMT_PublicKeyCertificate) InstanceID.
      type: str
connection:
  description:
    - How later tasks reach the device. C(ca_path) (the issuer's certificate file) verifies it when the module signed;
      C(cert_fingerprint) pins the certificate in every case.
  returned: success
  type: dict
  contains:
    port:
      description: The WS-Man port, 16993.
      type: int
    use_tls:
      description: Always true.
      type: bool
    cert_fingerprint:
      description: The certificate's SHA-256 fingerprint.
      type: str
  sample: {"port": 16993, "use_tls": true, "cert_fingerprint": "3A:...:9F"}
csr:
  description: The device's certificate request (PEM) when no issuer was given and a new certificate is needed.
  returned: when a certificate must be signed elsewhere
  type: str
"""

from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import tls_apply
from ansible_collections.oob.amt.plugins.module_utils.units.tls import Tls
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError


def apply(module, outcome):
    tls_apply.apply(module, Tls(dict(module.params)), outcome, module.params["restart_timeout"])


def main():
    module = AmtModule(
        amt_argument_spec(
            server_certificate=dict(type="dict", required=True, options=dict(
                common_name=dict(type="str", required=True),
                subject_alt_names=dict(type="list", elements="str", default=[]),
                key_length=dict(type="int", choices=[2048, 3072], default=2048),
                validity_days=dict(type="int", default=365),
                renew_before_days=dict(type="int", default=30),
            )),
            issuer_certificate=dict(type="str"),
            issuer_private_key=dict(type="str", no_log=True),
            issuer_private_key_passphrase=dict(type="str", no_log=True),
            certificate=dict(type="str"),
            private_key=dict(type="str", no_log=True),
            trusted_root_certificates=dict(type="list", elements="str", default=[]),
            mutual_authentication=dict(type="bool", default=False),
            trusted_cn=dict(type="list", elements="str", default=[]),
            accept_non_secure_connections=dict(type="bool", default=False),
            local_tls=dict(type="bool", default=True),
            local_accept_non_secure_connections=dict(type="bool", default=False),
            restart_timeout=dict(type="int", default=180),
        ),
        mutually_exclusive=[("issuer_certificate", "certificate")],
        required_together=[("issuer_certificate", "issuer_private_key")],
        required_by={"private_key": "certificate"},
    )
    if module.params["restart_timeout"] < 1:
        module.fail_from(InvalidInputError("restart_timeout: must be 1 or more, got %d" % module.params["restart_timeout"]))
    module.run_procedure("tls", apply)


if __name__ == "__main__":
    main()
