# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host-based activation: bring a device in pre-provisioning into client (CCM) or admin control mode (ACM).

Runs on the managed host. The device's state, the local system account, the trusted root hashes and the DNS suffix
come from the MEI (AMTHI); the activation calls go over WS-Man to the local manageability service (LMS). Paths
(docs/amt-reference.md 3.2, 3.2.1):

* CCM: IPS_HostBasedSetupService.Setup as the local system account. Where the local ports are TLS-only (AMT 19+)
  Setup leaves the device "in" provisioning and the new admin finishes with CommitChanges.
* ACM before AMT 19: AddNextCertInChain (leaf first), then AdminSetup signed with the certificate's key, then
  SetMEBxPassword as the new admin.
* ACM from AMT 19: StartConfigurationHBased over MEI, then a mutual TLS session pinned to the certificate the
  firmware names, in which SetAdminAclEntryEx, SetMEBxPassword and CommitChanges finish the activation.
* CCM to ACM: AddNextCertInChain and UpgradeClientToAdmin as the admin.

A device left "in" provisioning by an interrupted attempt is returned to "pre" with StopConfiguration and activated
again. Nothing that changes the device is retried: when an answer is lost, the MEI tells whether the step took effect.
An existing admin password is never replaced: a provisioned device must already accept admin_password.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import tempfile
import time

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.identity import require_uuid
from ansible_collections.oob.amt.plugins.module_utils.amt.mei import MeiError, firmware_version
from ansible_collections.oob.amt.plugins.module_utils.units.base import CONFIRMED, NOT_SENT, REFUSED, UNCONFIRMED
from ansible_collections.oob.amt.plugins.module_utils.units.password_policy import check_password
from ansible_collections.oob.amt.plugins.module_utils.units.provisioning_cert import CERT_OPTION, matches_suffix
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    AmtError,
    AuthenticationError,
    DeviceError,
    IndeterminateError,
    InvalidInputError,
    NotPermittedError,
    UnreachableError,
)

CCM = "ccm"
ACM = "acm"
MODES = (CCM, ACM)
ADMIN_USERNAME = "admin"
LMS_HTTP_PORT = 16992
LMS_TLS_PORT = 16993
HOST_SETUP = schema.IPS_HOST_BASED_SETUP_SERVICE
SETUP = schema.AMT_SETUP_AND_CONFIGURATION_SERVICE
AUTHORIZATION = schema.AMT_AUTHORIZATION_SERVICE

# GetChangeEnabled bits (rpc-go pkg/amt): the "AMT enabled" bit is meaningful only with the new interface version.
CHANGE_AMT_ENABLED = 0x02
CHANGE_TLS_ENFORCED = 0x40
CHANGE_NEW_INTERFACE = 0x80

DIGEST_MD5_A1 = 2
RSA_SHA256 = 2
NONCE_BYTES = 20
CHAIN_COMPLETE = 2

ACTION_NONE = "none"
ACTION_ACTIVATE = "activate"
ACTION_UPGRADE = "upgrade"
ACTION_RESTART = "restart"

MEBX_SET = "set"
MEBX_NOT_SET = "not_set"
MEBX_UNCHANGED = "unchanged"
MEBX_NOT_APPLICABLE = "not_applicable"

MASK = "********"
# rpc-go re-reads the control mode up to 3 times, 1 s apart, when an activating call lost its answer.
MODE_READBACK_ATTEMPTS = 3
MODE_READBACK_INTERVAL = 1.0
PORT_POLL_INTERVAL = 0.2
# Unprovisioning restarts the firmware's interfaces: they stay closed for about 60 s (MeshCentral holds 60 s before it
# asks again; rpc-go allows 90 s for a TLS restart; docs/firmware-timing.md 4). A device in pre-provisioning may be in that window.
RESTART_AFTER_UNPROVISION = 90


class ProvisionRequest:
    def __init__(self, control_mode, admin_password, mebx_password=None, certificate=None):
        self.control_mode = control_mode
        self.admin_password = admin_password
        self.mebx_password = mebx_password
        self.certificate = certificate


def validate(control_mode, admin_password, mebx_password, has_certificate, mei_device=None, lms_hostname=None):
    """Check the options against AMT's rules before anything is read or sent; return warnings. Raises InvalidInputError.

    mei_device and lms_hostname are checked when given: the module passes them, so that a wrong one is refused
    before the first MEI read.
    """
    if control_mode not in MODES:
        raise InvalidInputError("control_mode: must be %s or %s" % MODES)
    if not admin_password:
        raise InvalidInputError("admin_password: is required, it becomes the password of the AMT admin account")
    check_password("admin_password", admin_password)
    if mei_device is not None and not mei_device.strip():
        raise InvalidInputError("mei_device: must name the management engine interface (for example /dev/mei0), got an empty value")
    if lms_hostname is not None and not lms_hostname.strip():
        raise InvalidInputError("lms_hostname: must name the host of the local manageability service (for example localhost), "
                                "got an empty value")
    warnings = []
    if control_mode == CCM:
        if mebx_password:
            warnings.append("mebx_password is not applicable in client control mode: the firmware blocks SetMEBxPassword in CCM, so it was not sent")
        return warnings
    if not has_certificate:
        raise InvalidInputError("%s: is required with control_mode=acm: set %s or %s_content" % (CERT_OPTION, CERT_OPTION, CERT_OPTION))
    if mebx_password:
        check_password("mebx_password", mebx_password)
    return warnings


def network_admin_password(digest_realm, password):
    """NetworkAdminPassword of Setup / AdminSetup: lower-case hex MD5 of admin:realm:password (docs/amt-reference.md 3.2)."""
    return hashlib.md5(("%s:%s:%s" % (ADMIN_USERNAME, digest_realm, password)).encode("utf-8")).hexdigest()


def admin_digest_password(digest_realm, password):
    """DigestPassword of SetAdminAclEntryEx: base64 of the same 16 MD5 bytes (docs/amt-reference.md 3.2.1, 4.2)."""
    return base64.b64encode(bytes.fromhex(network_admin_password(digest_realm, password))).decode("ascii")


def plan(host, want):
    """What a run must do for a device in ``host`` (read_host's dict) to end in control mode ``want``."""
    if host["new_interface"] and not host["amt_enabled"]:
        raise NotPermittedError("Intel AMT is disabled in the BIOS (the management engine reports it off): enable it in the "
                                "firmware setup (MEBx) and run again")
    state, mode = host["provisioning_state"], host["control_mode"]
    if state == "in":
        return ACTION_RESTART
    if state == "pre":
        return ACTION_ACTIVATE
    if mode == want:
        return ACTION_NONE
    if mode == CCM and want == ACM:
        return ACTION_UPGRADE
    raise NotPermittedError("the device is already provisioned in %s, and %s cannot be reached from there: unprovision it "
                            "first (oob.amt.amt_unprovision), then activate it again" % (mode, want))


def check_certificate_fits(certificate, trusted_hashes, dns_suffix):
    """The firmware's own ACM preconditions, checked before anything is sent. Raises InvalidInputError."""
    active = dict((entry["hash"].lower(), entry["name"]) for entry in trusted_hashes if entry["is_active"])
    if certificate.root_hash not in active:
        raise InvalidInputError(
            "%s: its root certificate (SHA-256 %s) is not trusted by the device, whose active root hashes are %s. Use a "
            "provisioning certificate from one of those vendors, or add the root's hash in the MEBx"
            % (CERT_OPTION, certificate.root_hash, ", ".join(sorted(active.values())) or "none"))
    names = certificate.dns_names
    if not dns_suffix:
        raise InvalidInputError("%s: the device has no DNS suffix to match the certificate (%s): set the provisioning DNS "
                                "suffix in the MEBx, or give the host a DHCP domain (option 15)" % (CERT_OPTION, ", ".join(names)))
    if not matches_suffix(names, dns_suffix):
        raise InvalidInputError("%s: DNS suffix mismatch, the device's provisioning DNS suffix is %r but the certificate is issued for %s"
                                % (CERT_OPTION, dns_suffix, ", ".join(names)))


def diff(host, want, action, mebx):
    before = {"control_mode": host["control_mode"], "provisioning_state": host["provisioning_state"]}
    if action == ACTION_NONE:
        return {"before": before, "after": dict(before)}
    after = {"control_mode": want, "provisioning_state": "post"}
    if action != ACTION_UPGRADE:
        after["admin_password"] = MASK
    if mebx == MEBX_SET:
        after["mebx_password"] = MASK
    return {"before": before, "after": after}


def mebx_outcome(action, want, mebx_password):
    if want == CCM:
        return MEBX_NOT_APPLICABLE
    if action == ACTION_NONE:
        return MEBX_UNCHANGED
    return MEBX_SET if mebx_password else MEBX_NOT_SET


def read_host(mei):
    """The device as the management engine reports it, before any WS-Man call."""
    try:
        change = mei.get_change_enabled()
        host = {
            "uuid": mei.get_uuid(),
            "control_mode": schema.CONTROL_MODE.get(mei.get_control_mode(), "unknown"),
            "provisioning_state": schema.PROVISIONING_STATE.get(mei.get_provisioning_state(), "unknown"),
            "firmware_version": firmware_version(mei.get_code_versions()),
            "amt_enabled": bool(change & CHANGE_AMT_ENABLED),
            "new_interface": bool(change & CHANGE_NEW_INTERFACE),
            "local_tls_enforced": bool(change & CHANGE_TLS_ENFORCED),
        }
    except MeiError as error:
        if error.status is None:
            raise MeiError("%s. Run the task on the managed host with become: true; the mei_me driver must be loaded and "
                           "Intel AMT enabled in the BIOS" % error.message) from None
        raise
    return host


def check_identity(host, expected_uuid):
    require_uuid(host["uuid"], expected_uuid, reporter="the management engine")


class LocalInterface:
    """WS-Man sessions to the LMS: plain HTTP on 16992, or TLS on 16993 where the firmware enforces it."""

    def __init__(self, hostname, tls, validate_certs=True, ca_path=None, cert_fingerprint=None, timeout=30, workdir=None):
        self.hostname = hostname
        # Set by the Provisioner for a device in pre-provisioning: how long its firmware may keep the ports closed.
        self.restart_wait = None
        self.tls = tls
        self.port = LMS_TLS_PORT if tls else LMS_HTTP_PORT
        self._validate_certs = validate_certs
        self._ca_path = ca_path
        self._cert_fingerprint = cert_fingerprint
        self.timeout = timeout
        self._workdir = workdir
        self._clients = []
        self._secret_dirs = []

    @property
    def verifiable(self):
        """Whether the device's certificate can be checked without asking the firmware for it first."""
        return not self.tls or bool(self._ca_path or self._cert_fingerprint) or not self._validate_certs

    def wait_listening(self):
        """Wait for the LMS port to accept: up to timeout (the firmware restarts its local ports after activation), or
        up to restart_wait when the firmware may be restarting after an unprovision."""
        wait = max(self.timeout, self.restart_wait or 0)
        deadline = time.monotonic() + wait
        while True:
            try:
                socket.create_connection((self.hostname, self.port), timeout=min(self.timeout, 5)).close()
                return
            except OSError as error:
                if time.monotonic() >= deadline:
                    raise UnreachableError(self._unreachable_message(wait, error.strerror or error))
            time.sleep(PORT_POLL_INTERVAL)

    def _unreachable_message(self, waited, why):
        where = "the local manageability service (LMS) did not accept a connection at %s:%d for %d s (%s)" % (
            self.hostname, self.port, waited, why)
        if self.restart_wait:
            return ("%s. The management engine reports the device in pre-provisioning: if it was unprovisioned shortly before, "
                    "its firmware keeps its interfaces closed for about 60 s while it restarts, so run the task again in a minute; "
                    "otherwise check that the lms service runs on the host and that lms_hostname is right" % where)
        return "%s: check that the lms service runs on the host and that lms_hostname is right" % where

    def session(self, username, password, pinned_fingerprint=None, certificate=None):
        """An AmtClient for one account; pinned_fingerprint replaces CA verification, certificate is presented for mutual TLS."""
        from ansible_collections.oob.amt.plugins.module_utils.amt.client import AmtClient
        from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport

        self.wait_listening()
        client_cert = client_key = None
        if certificate is not None:
            client_cert, client_key = self._write_client_identity(certificate)
        transport = WsmanTransport(
            hostname=self.hostname, port=self.port, username=username, password=password, use_tls=self.tls,
            validate_certs=self._validate_certs, ca_path=self._ca_path if self.tls else None,
            client_cert=client_cert, client_key=client_key,
            cert_fingerprint=(pinned_fingerprint or self._cert_fingerprint) if self.tls else None, timeout=self.timeout)
        client = AmtClient(transport)
        self._clients.append(client)
        return client

    def _write_client_identity(self, certificate):
        # requests loads client certificates only from files: the key lives in a private directory for this run only.
        directory = tempfile.mkdtemp(prefix="amt-provision-", dir=self._workdir)
        self._secret_dirs.append(directory)
        paths = []
        for name, data in (("cert.pem", certificate.client_cert_pem()), ("key.pem", certificate.key_pem())):
            path = os.path.join(directory, name)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
                handle.write(data)
            paths.append(path)
        return paths

    def close(self):
        for client in self._clients:
            client.close()
        self._clients = []
        for directory in self._secret_dirs:
            shutil.rmtree(directory, ignore_errors=True)
        self._secret_dirs = []


STOP_CONFIGURATION = "return the device to pre-provisioning (StopConfiguration)"
ACTION_SUMMARIES = {ACTION_ACTIVATE: "activate AMT in %s", ACTION_UPGRADE: "upgrade to %s",
                    ACTION_RESTART: "restart the interrupted activation in %s"}


class Provisioner:
    """One run: read, plan, and (unless outcome.check_mode) apply and verify. run() fills the outcome (units/base.py):
    what it plans, each write with its status, the diff and the result fields."""

    def __init__(self, mei, local_factory, request, outcome, expected_uuid=None, sleep=time.sleep):
        self.mei = mei
        self._local_factory = local_factory
        self.request = request
        self.outcome = outcome
        self.check_mode = outcome.check_mode
        self.expected_uuid = expected_uuid
        self._sleep = sleep
        self.local = None
        self.digest_realm = None
        self._system = None
        self._admin = None

    def run(self):
        host = read_host(self.mei)
        check_identity(host, self.expected_uuid)
        want = self.request.control_mode
        action = plan(host, want)
        mebx = mebx_outcome(action, want, self.request.mebx_password)
        if action != ACTION_NONE:
            self.outcome.planned = [ACTION_SUMMARIES[action] % want.upper()]
        self.outcome.diff = diff(host, want, action, mebx)
        self.local = self._local_factory(host["local_tls_enforced"])
        if host["provisioning_state"] == "pre":
            self.local.restart_wait = RESTART_AFTER_UNPROVISION
        try:
            self._prepare(host, action)
            if not self.check_mode:
                self._apply(host, action)
        finally:
            self.local.close()
        self.outcome.extra.update({
            "control_mode": want if action != ACTION_NONE else host["control_mode"],
            "uuid": host["uuid"],
            "digest_realm": self.digest_realm,
            "firmware_version": host["firmware_version"],
            "local_tls_enforced": host["local_tls_enforced"],
            "mebx_password": mebx,
        })

    # --- sessions -------------------------------------------------------------------------------------------
    def _system_session(self):
        """The local system account's session (from the MEI), opened once; it also reads the digest realm."""
        if self._system is None:
            username, password = self.mei.get_local_system_account()
            self._system = self.local.session(username, password)
            self.digest_realm = self._system.get(schema.AMT_GENERAL_SETTINGS).get("DigestRealm")
        return self._system

    def _admin_session(self):
        """A new admin session with admin_password: after an activating call the firmware restarts its local ports."""
        return self.local.session(ADMIN_USERNAME, self.request.admin_password)

    # --- before anything changes --------------------------------------------------------------------------
    def _prepare(self, host, action):
        if action in (ACTION_NONE, ACTION_UPGRADE):
            self._admin = self._checked_admin_session(host)
        if action != ACTION_NONE and self.request.control_mode == ACM:
            check_certificate_fits(self.request.certificate, self.mei.get_certificate_hashes(), self.mei.get_dns_suffix())
        if action == ACTION_ACTIVATE and self.local.verifiable:
            self._system_session()

    def _checked_admin_session(self, host):
        """Log in as admin with admin_password: proves the password matches and yields the digest realm."""
        client = self._admin_session()
        try:
            self.digest_realm = client.get(schema.AMT_GENERAL_SETTINGS).get("DigestRealm")
        except AuthenticationError:
            raise AuthenticationError(
                "the device is already provisioned in %s but does not accept admin_password for the admin account: this "
                "module never replaces an existing admin password; change it with oob.amt.amt_password, or unprovision "
                "the device first" % host["control_mode"]) from None
        return client

    # --- changes --------------------------------------------------------------------------------------------
    def _apply(self, host, action):
        want = self.request.control_mode
        if action == ACTION_RESTART:
            self._record(STOP_CONFIGURATION, self.mei.stop_configuration)
            if self.mei.get_provisioning_state() != 0:
                raise DeviceError("StopConfiguration did not return the device to pre-provisioning; unprovision it first")
        if action == ACTION_UPGRADE:
            self._upgrade()
        elif action != ACTION_NONE and want == CCM:
            self._activate_ccm(host)
        elif action != ACTION_NONE and host["local_tls_enforced"]:
            self._activate_acm_over_tls()
        elif action != ACTION_NONE:
            self._activate_acm()

    def _mode_after(self, expected):
        """Read the control mode back over MEI until it is ``expected`` or the attempts run out."""
        for attempt in range(MODE_READBACK_ATTEMPTS):
            if attempt:
                self._sleep(MODE_READBACK_INTERVAL)
            if schema.CONTROL_MODE.get(self.mei.get_control_mode()) == expected:
                return True
        return False

    def _record(self, summary, call):
        """Run one write that has no read-back of its own, recording it as confirmed or refused."""
        try:
            result = call()
        except IndeterminateError:
            self.outcome.record(summary, UNCONFIRMED)
            raise
        except NOT_SENT:
            raise
        except AmtError:
            self.outcome.record(summary, REFUSED)
            raise
        self.outcome.record(summary, CONFIRMED)
        return result

    def _activating_call(self, call, expected_mode, summary):
        """Run a call that should leave the device in expected_mode; a lost answer is settled by reading the mode."""
        try:
            call()
        except IndeterminateError:
            if not self._mode_after(expected_mode):
                self.outcome.record(summary, UNCONFIRMED)
                raise
            self.outcome.record(summary, CONFIRMED, verified=True)
            return
        except NOT_SENT:
            raise
        except AmtError:
            self.outcome.record(summary, REFUSED)
            raise
        if not self._mode_after(expected_mode):
            self.outcome.record(summary, CONFIRMED, verified=False)
            raise DeviceError("the activating call succeeded but the management engine does not report %s" % expected_mode)
        self.outcome.record(summary, CONFIRMED, verified=True)

    def _admin_password_inputs(self):
        return [("NetAdminPassEncryptionType", DIGEST_MD5_A1),
                ("NetworkAdminPassword", network_admin_password(self.digest_realm, self.request.admin_password))]

    def _activate_ccm(self, host):
        system = self._system_session()
        inputs = self._admin_password_inputs()
        if not host["local_tls_enforced"]:
            self._activating_call(lambda: system.invoke(HOST_SETUP, "Setup", inputs), CCM, "activate AMT in CCM (Setup)")
            return
        self._record("start the CCM activation (Setup)", lambda: system.invoke(HOST_SETUP, "Setup", inputs))
        if self.mei.get_provisioning_state() != 1:
            raise DeviceError("Setup succeeded but the device is not in provisioning, so CommitChanges cannot follow")
        self._commit(self._admin_session(), CCM)

    def _commit(self, client, expected_mode):
        """CommitChanges ends TLS-enforced activation; after a refusal the device goes back to pre so the play can retry."""
        try:
            self._activating_call(lambda: client.invoke(SETUP, "CommitChanges"), expected_mode,
                                  "commit the activation in %s (CommitChanges)" % expected_mode.upper())
        except IndeterminateError:
            raise
        except AmtError as error:
            hint = ""
            if error.return_value == schema.PT_STATUS_DATA_MISSING:
                hint = ": the firmware needs the MEBx password during ACM activation, set mebx_password"
            error.message = "%s%s. %s" % (error.message, hint, self._abandon_activation())
            raise

    def _send_chain(self, client):
        chain = self.request.certificate.chain_der
        for index, der in enumerate(chain):
            inputs = [
                ("NextCertificate", base64.b64encode(der).decode("ascii")),
                ("IsLeafCertificate", index == 0),
                ("IsRootCertificate", index == len(chain) - 1),
            ]
            self._record("send provisioning certificate %d of %d" % (index + 1, len(chain)),
                         lambda inputs=inputs: client.invoke(HOST_SETUP, "AddNextCertInChain", inputs))
        if schema.as_int(client.get(HOST_SETUP).get("CertChainStatus")) != CHAIN_COMPLETE:
            raise DeviceError("the device accepted every certificate but does not report the chain complete")

    def _signed_nonce_inputs(self, client):
        configuration_nonce = base64.b64decode(client.get(HOST_SETUP).get("ConfigurationNonce") or "")
        mc_nonce = os.urandom(NONCE_BYTES)
        signature = self.request.certificate.sign_nonces(configuration_nonce, mc_nonce)
        return [("McNonce", base64.b64encode(mc_nonce).decode("ascii")), ("SigningAlgorithm", RSA_SHA256),
                ("DigitalSignature", base64.b64encode(signature).decode("ascii"))]

    def _set_mebx(self, client):
        if self.request.mebx_password:
            self._record("set the MEBx password", lambda: client.invoke(SETUP, "SetMEBxPassword", [("Password", self.request.mebx_password)]))

    def _activate_acm(self):
        system = self._system_session()
        self._send_chain(system)
        inputs = self._admin_password_inputs() + self._signed_nonce_inputs(system)
        self._activating_call(lambda: system.invoke(HOST_SETUP, "AdminSetup", inputs), ACM, "activate AMT in ACM (AdminSetup)")
        if self.request.mebx_password:
            self._set_mebx(self._admin_session())

    def _upgrade(self):
        self._send_chain(self._admin)
        inputs = self._signed_nonce_inputs(self._admin)
        self._activating_call(lambda: self._admin.invoke(HOST_SETUP, "UpgradeClientToAdmin", inputs), ACM, "upgrade to ACM (UpgradeClientToAdmin)")
        if self.request.mebx_password:
            self._set_mebx(self._admin_session())

    def _activate_acm_over_tls(self):
        certificate = self.request.certificate
        device_cert_hash = self._record("start the host-based ACM configuration (StartConfigurationHBased)",
                                        lambda: self.mei.start_configuration_hbased(certificate.leaf_hash, "sha256"))
        username, password = self.mei.get_local_system_account()
        try:
            session = self.local.session(username, password, pinned_fingerprint=device_cert_hash, certificate=certificate)
            if self.digest_realm is None:
                self.digest_realm = session.get(schema.AMT_GENERAL_SETTINGS).get("DigestRealm")
            self._record("set the admin password (SetAdminAclEntryEx)", lambda: session.invoke(AUTHORIZATION, "SetAdminAclEntryEx", [
                ("Username", ADMIN_USERNAME), ("DigestPassword", admin_digest_password(self.digest_realm, self.request.admin_password))]))
            self._set_mebx(session)
        except AmtError as error:
            error.message = "%s. %s" % (error.message, self._abandon_activation())
            raise
        self._commit(session, ACM)

    def _abandon_activation(self):
        """After a failed step: back to pre-provisioning while the device is still "in"; otherwise say where it ended.

        A failed ACM attempt on AMT 19+ can leave the device post-provisioned in CCM (the simulator's
        acm-lands-in-ccm fault): StopConfiguration no longer applies there, and a re-run upgrades it to ACM.
        """
        try:
            if self.mei.get_provisioning_state() == 1:
                self._record(STOP_CONFIGURATION, self.mei.stop_configuration)
                return "The device was returned to pre-provisioning"
            mode = schema.CONTROL_MODE.get(self.mei.get_control_mode(), "unknown")
        except AmtError as mei_error:
            return "Its state could not be read back over the MEI afterwards (%s)" % mei_error
        if mode == CCM and self.request.control_mode == ACM:
            return "The device is now provisioned in CCM; run the module again to upgrade it to ACM"
        return "The device is now in control mode %s" % mode
