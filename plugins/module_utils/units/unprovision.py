# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unprovisioning: record what the asset register needs, take the device out of management, prove it.

How a run knows the device is already unprovisioned:
* transport local (MEI on the host): the firmware's own provisioning state, read with GetProvisioningState. Proof.
* transport network: a device that answers and reads ProvisioningState = pre is unprovisioned. A device whose
  WS-Man port does not answer proves nothing (it may be switched off or unplugged): that is a failure unless the
  play sets assume_unprovisioned_if_unreachable, and then the result says it was assumed, not verified.

Verification after the call: network, the WS-Man port stops answering within verify_timeout (an unprovisioned
device closes its network interface; if it still answers, ProvisioningState must read pre); local, the firmware
reports pre within verify_timeout.
"""

from __future__ import annotations

import datetime
import socket
import time

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.identity import read_uuid, require_uuid
from ansible_collections.oob.amt.plugins.module_utils.amt.facts import read_firmware, read_provisioning
from ansible_collections.oob.amt.plugins.module_utils.amt.mei import firmware_version
from ansible_collections.oob.amt.plugins.module_utils.units.accounts import auditor_names, read_accounts
from ansible_collections.oob.amt.plugins.module_utils.units.base import CONFIRMED, REFUSED, UNCONFIRMED
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    AmtError,
    DeviceError,
    IndeterminateError,
    InvalidInputError,
    NotPermittedError,
    UnreachableError,
)

SETUP = schema.AMT_SETUP_AND_CONFIGURATION_SERVICE
AUDIT_LOG = schema.AMT_AUDIT_LOG
SET_AUDIT_LOCK = schema.AUDIT_LOG_SET_AUDIT_LOCK
TIME_SYNCHRONIZATION = schema.AMT_TIME_SYNCHRONIZATION_SERVICE
MODE_FULL = "full"
MODE_PARTIAL = "partial"
TRANSPORT_NETWORK = "network"
TRANSPORT_LOCAL = "local"
METHODS = {MODE_FULL: "Unprovision", MODE_PARTIAL: "PartialUnprovision"}
# Unprovision's ProvisioningMode input: 1 is what every known client sends (docs/amt-reference.md 3.1).
PROVISIONING_MODE_CURRENT = 1
PT_STATUS_BLOCKING_COMPONENT = 2076
# From release 12.0 the Auditor can no longer block unprovisioning (docs/amt-reference.md 3.1).
AUDITOR_CANNOT_BLOCK_FROM_MAJOR = 12
DNS_SUFFIX_SURVIVES_FROM_MAJOR = 12
# How long the Auditor's consent lasts: the unprovision follows at once, well within it.
AUDITOR_CONSENT_SECONDS = 60
POLL_INTERVAL = 1.0
PORT_PROBE_TIMEOUT = 3.0
# What a partial unprovision keeps (docs/amt-reference.md 3.1).
PARTIAL_KEEPS = ["admin_account", "tls_psk_keys", "host_name", "domain_name", "provisioning_server_address"]


class UnprovisionRequest:
    def __init__(self, mode=MODE_FULL, transport=TRANSPORT_NETWORK, assume_unprovisioned_if_unreachable=False, verify_timeout=60,
                 mei_device=None, auditor_username=None, auditor_password=None):
        self.mode = mode
        self.auditor_username = auditor_username
        self.auditor_password = auditor_password
        self.mei_device = mei_device
        self.transport = transport
        self.assume_unprovisioned_if_unreachable = assume_unprovisioned_if_unreachable
        self.verify_timeout = verify_timeout


def validate(request):
    if request.mode not in METHODS:
        raise InvalidInputError("mode: must be %s or %s" % (MODE_FULL, MODE_PARTIAL))
    if request.transport not in (TRANSPORT_NETWORK, TRANSPORT_LOCAL):
        raise InvalidInputError("transport: must be %s or %s" % (TRANSPORT_NETWORK, TRANSPORT_LOCAL))
    if request.transport == TRANSPORT_LOCAL and request.mode == MODE_PARTIAL:
        raise InvalidInputError("mode: partial needs transport=network, the host interface (MEI) offers only a full unprovision")
    if request.transport == TRANSPORT_LOCAL and request.assume_unprovisioned_if_unreachable:
        raise InvalidInputError("assume_unprovisioned_if_unreachable: applies only to transport=network, the host interface reads the state itself")
    if request.transport == TRANSPORT_LOCAL and request.mei_device is not None and not request.mei_device.strip():
        raise InvalidInputError("mei_device: must name the management engine interface (for example /dev/mei0), got an empty value")
    if request.verify_timeout < 0:
        raise InvalidInputError("verify_timeout: must be 0 or more seconds, got %d" % request.verify_timeout)
    _validate_auditor(request)


def _validate_auditor(request):
    if request.auditor_username is None and request.auditor_password is None:
        return
    if request.transport == TRANSPORT_LOCAL:
        raise InvalidInputError("auditor_username: applies only to transport=network; over the host interface (MEI) only a device "
                                "in client control mode can be unprovisioned, where no Auditor's consent is needed")
    if not (request.auditor_username or "").strip():
        raise InvalidInputError("auditor_username: must name the Auditor account when auditor_password is given")
    if not request.auditor_password:
        raise InvalidInputError("auditor_password: must be given with auditor_username")


def summary(mode):
    return "unprovision (%s)" % mode


def firmware_major(version):
    try:
        return int(str(version).split(".", 1)[0])
    except ValueError:
        return None


def survivors(mode, major):
    """What stays on the device after unprovisioning, on real firmware."""
    kept = ["mebx_password"]
    if major is None or major >= DNS_SUFFIX_SURVIVES_FROM_MAJOR:
        kept.append("dns_suffix")
    if mode == MODE_PARTIAL:
        kept.extend(PARTIAL_KEEPS)
    return kept


def survivor_warnings(kept):
    warnings = []
    if "mebx_password" in kept:
        warnings.append("the MEBx password survives unprovisioning: it is not reset to the factory value; change it at the console "
                        "(Ctrl-P at boot) before the machine leaves your control")
    if "dns_suffix" in kept:
        warnings.append("on firmware 12 and later the DNS suffix given for remote configuration survives unprovisioning")
    if "admin_account" in kept:
        warnings.append("a partial unprovision keeps the admin account and password, TLS pre-shared keys, host and domain name "
                        "and the provisioning server address")
    return warnings


def auditor_can_block(control_mode, major):
    return control_mode == "acm" and major is not None and major < AUDITOR_CANNOT_BLOCK_FROM_MAJOR


_AUDITOR_RULE = ("on firmware before 12.0 in admin control mode the Auditor must first call %s.%s with Flag %d "
                 "(UNPROVISIONING_LOCK) and a timeout, signed in as the Auditor; give auditor_username and auditor_password "
                 "and this module does it" % (AUDIT_LOG, SET_AUDIT_LOCK, schema.AUDIT_LOCK_FLAG_UNPROVISIONING))


def _names(names):
    return ", ".join(repr(name) for name in names)


def auditor_blocker_message(names):
    return "the Auditor account %s has not allowed it: %s, or the Auditor allows it and this task runs again within that timeout" % (
        _names(names), _AUDITOR_RULE)


def auditor_check_mode_warning(names):
    return "unprovisioning will succeed only if the Auditor account %s has allowed it: %s" % (_names(names), _AUDITOR_RULE)


def auditor_consent_summary(username):
    return "allow unprovisioning as the Auditor %r (%s.%s, Flag %d UNPROVISIONING_LOCK, %d s)" % (
        username, AUDIT_LOG, SET_AUDIT_LOCK, schema.AUDIT_LOCK_FLAG_UNPROVISIONING, AUDITOR_CONSENT_SECONDS)


def give_auditor_consent(auditor_client, username, outcome):
    """SetAuditLock with UNPROVISIONING_LOCK in the Auditor's session; recorded in outcome as a write."""
    action = auditor_consent_summary(username)
    inputs = [("LockTimeoutInSeconds", AUDITOR_CONSENT_SECONDS), ("Flag", schema.AUDIT_LOCK_FLAG_UNPROVISIONING)]
    try:
        code = auditor_client.invoke(AUDIT_LOG, SET_AUDIT_LOCK, inputs, check=False)["ReturnValue"]
    except IndeterminateError:
        outcome.record(action, UNCONFIRMED)
        raise
    except AmtError as error:
        outcome.record(action, REFUSED)
        raise type(error)("signed in as the Auditor %r, %s.%s failed: %s; nothing was unprovisioned" % (username, AUDIT_LOG, SET_AUDIT_LOCK, error),
                          class_name=AUDIT_LOG, method=SET_AUDIT_LOCK) from None
    if code != 0:
        outcome.record(action, REFUSED)
        name = schema.return_code_name(AUDIT_LOG, SET_AUDIT_LOCK, code)
        error_class = NotPermittedError if code == schema.PT_STATUS_NOT_PERMITTED else DeviceError
        raise error_class("%s.%s returned %d (%s) to the account %r, which must hold the Audit Log realm; nothing was unprovisioned"
                          % (AUDIT_LOG, SET_AUDIT_LOCK, code, name, username),
                          class_name=AUDIT_LOG, method=SET_AUDIT_LOCK, return_value=code, return_name=name)
    outcome.record(action, CONFIRMED)


def port_answers(host, port, timeout=PORT_PROBE_TIMEOUT):
    """(True, None) if a TCP connection to host:port opens, else (False, why) with why 'refused' or 'timed out' or the OS error."""
    try:
        connection = socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        return False, "refused"
    except socket.timeout:
        return False, "timed out"
    except OSError as error:
        return False, error.strerror or str(error)
    connection.close()
    return True, None


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def read_device_time(client):
    """The device's own clock, ISO 8601 UTC: GetLowAccuracyTimeSynch answers Ta0, seconds since 1970 UTC."""
    method = "GetLowAccuracyTimeSynch"
    seconds = schema.as_int(client.invoke(TIME_SYNCHRONIZATION, method, idempotent=True).get("Ta0"))
    if seconds is None:
        raise DeviceError("%s.%s answered without Ta0" % (TIME_SYNCHRONIZATION, method), class_name=TIME_SYNCHRONIZATION, method=method)
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat()


def _wait_for(condition, timeout, clock, sleep):
    """Poll condition() until it is true or timeout seconds pass; returns its last value."""
    deadline = clock() + timeout
    while True:
        if condition():
            return True
        if clock() >= deadline:
            return False
        sleep(POLL_INTERVAL)


class NetworkUnprovision:
    """Over WS-Man with the admin credentials. client_factory returns the run's AmtClient (identity already checked)."""

    def __init__(self, host, port, client_factory, request, clock=time.monotonic, sleep=time.sleep):
        self._host = host
        self._port = port
        self._client_factory = client_factory
        self._request = request
        self._clock = clock
        self._sleep = sleep

    def reachable(self):
        """(answers, why not). Decides whether a run can read the device at all."""
        return port_answers(self._host, self._port)

    def unreachable_outcome(self, why):
        """Unchanged if the play allows assuming; otherwise the UnreachableError explaining why this is no proof."""
        if not self._request.assume_unprovisioned_if_unreachable:
            raise UnreachableError(
                "%s:%d did not answer (%s). An unreachable device is not proof that it is unprovisioned (it may be off or "
                "unplugged): run with transport=local on the host, or set assume_unprovisioned_if_unreachable=true to "
                "record it as unprovisioned without verification" % (self._host, self._port, why))
        return {"verified": False, "evidence": "WS-Man port %d %s" % (self._port, why)}

    def read(self):
        """The asset record and the values later steps need, read before the device forgets them."""
        client = self._client_factory()
        firmware = read_firmware(client)
        provisioning = read_provisioning(client)
        general = client.get(schema.AMT_GENERAL_SETTINGS)
        return {
            "uuid": read_uuid(client),
            "firmware_version": firmware["full_version"],
            "control_mode": provisioning["control_mode"],
            "provisioning_state": provisioning["state"],
            "host_name": general.get("HostName") or None,
            "domain_name": general.get("DomainName") or None,
            "dns_suffix": provisioning["trusted_dns_suffix"] or provisioning["dhcp_dns_suffix"] or None,
            "device_time": read_device_time(client),
            "recorded_at": _utc_now(),
        }

    def blocking_auditors(self, asset):
        """Auditor accounts that may block unprovisioning on this device; empty where the firmware ignores them."""
        if not auditor_can_block(asset["control_mode"], firmware_major(asset["firmware_version"])):
            return []
        return auditor_names(read_accounts(self._client_factory()))

    def apply(self, asset, blockers, outcome):
        """Call (Partial)Unprovision, record it in outcome, then verify. Returns the evidence of the result."""
        method = METHODS[self._request.mode]
        action = summary(self._request.mode)
        inputs = [("ProvisioningMode", PROVISIONING_MODE_CURRENT)] if self._request.mode == MODE_FULL else None
        client = self._client_factory()
        try:
            outputs = client.invoke(SETUP, method, inputs, check=False)
        except IndeterminateError:
            # The interface often drops before the answer arrives: the read-back decides, never a resend.
            try:
                evidence = self._verify(client)
            except AmtError as read_error:
                outcome.record(action, UNCONFIRMED)
                raise IndeterminateError(
                    "%s.%s was sent but no answer came back, and reading the state back failed too (%s): it may or may not "
                    "have taken effect. Run again: it reads the state first" % (SETUP, method, read_error),
                    class_name=SETUP, method=method) from None
            if evidence is None:
                outcome.record(action, UNCONFIRMED)
                raise IndeterminateError(
                    "%s.%s was sent but no answer came back and the device still reads as provisioned: it has not taken "
                    "effect so far, but may still. Run again: it reads the state first" % (SETUP, method), class_name=SETUP, method=method)
            outcome.record(action, CONFIRMED, verified=True)
            return evidence
        except AmtError:
            outcome.record(action, REFUSED)
            raise
        code = outputs["ReturnValue"]
        if code != 0:
            outcome.record(action, REFUSED)
            raise self._refusal(method, code, asset, blockers)
        try:
            evidence = self._verify(client)
        except AmtError as read_error:
            outcome.record(action, CONFIRMED, verified=False)
            raise type(read_error)("%s.%s returned success but the state could not be read back: %s" % (SETUP, method, read_error),
                                   class_name=SETUP, method=method) from None
        outcome.record(action, CONFIRMED, verified=evidence is not None)
        if evidence is None:
            raise DeviceError("%s.%s returned success but after %d s the device still answers on port %d and reads as provisioned"
                              % (SETUP, method, self._request.verify_timeout, self._port), class_name=SETUP, method=method)
        return evidence

    def _verify(self, client):
        if _wait_for(lambda: not port_answers(self._host, self._port)[0], self._request.verify_timeout, self._clock, self._sleep):
            return {"verified": True, "evidence": "WS-Man port %d closed" % self._port}
        try:
            state = schema.as_int(client.get(SETUP).get("ProvisioningState"))
        except UnreachableError:
            return {"verified": True, "evidence": "WS-Man port %d closed" % self._port}
        if schema.PROVISIONING_STATE.get(state) == "pre":
            return {"verified": True, "evidence": "ProvisioningState reads pre"}
        return None

    @staticmethod
    def _refusal(method, code, asset, blockers):
        name = schema.return_code_name(SETUP, method, code)
        message = "%s.%s returned %d (%s)" % (SETUP, method, code, name)
        if blockers and code in (schema.PT_STATUS_NOT_PERMITTED, PT_STATUS_BLOCKING_COMPONENT):
            message += ": " + auditor_blocker_message(blockers)
        elif code == schema.PT_STATUS_NOT_PERMITTED:
            message += ": the connection's account may not unprovision; connect as the admin account"
        elif code == PT_STATUS_BLOCKING_COMPONENT:
            message += ": a firmware component blocks unprovisioning (%s mode, firmware %s)" % (asset["control_mode"], asset["firmware_version"])
        error_class = NotPermittedError if code in (schema.PT_STATUS_NOT_PERMITTED, PT_STATUS_BLOCKING_COMPONENT) else DeviceError
        if code == schema.PT_STATUS_INVALID_PARAMETER:
            error_class = InvalidInputError
        return error_class(message, class_name=SETUP, method=method, return_value=code, return_name=name)


class LocalUnprovision:
    """On the host over MEI (no password). The firmware offers this only in client control mode."""

    def __init__(self, mei, request, expected_uuid=None, clock=time.monotonic, sleep=time.sleep):
        self._mei = mei
        self._request = request
        self._expected_uuid = expected_uuid
        self._clock = clock
        self._sleep = sleep

    def _state(self):
        return schema.PROVISIONING_STATE.get(self._mei.get_provisioning_state(), "unknown")

    def read(self):
        device_uuid = self._mei.get_uuid()
        require_uuid(device_uuid, self._expected_uuid, method="GetUUID")
        return {
            "uuid": device_uuid,
            "firmware_version": firmware_version(self._mei.get_code_versions()),
            "control_mode": schema.CONTROL_MODE.get(self._mei.get_control_mode(), "unknown"),
            "provisioning_state": self._state(),
            "host_name": None,
            "domain_name": None,
            "dns_suffix": self._mei.get_dns_suffix() or None,
            "device_time": None,
            "recorded_at": _utc_now(),
        }

    @staticmethod
    def refuse_mode(asset):
        """Raise before writing when the host interface cannot unprovision this device."""
        if asset["control_mode"] == "acm":
            raise NotPermittedError("the host interface (MEI) can unprovision only a device in client control mode (CCM); this one "
                                    "is in admin control mode (ACM): run with transport=network and the admin credentials",
                                    method="Unprovision")

    def apply(self, outcome):
        action = summary(MODE_FULL)
        try:
            self._mei.unprovision()
        except AmtError:
            outcome.record(action, REFUSED)
            raise
        verified = _wait_for(lambda: self._state() == "pre", self._request.verify_timeout, self._clock, self._sleep)
        outcome.record(action, CONFIRMED, verified=verified)
        if not verified:
            raise DeviceError("the host interface accepted Unprovision but after %d s the firmware still reports the %s state"
                              % (self._request.verify_timeout, self._state()), method="Unprovision")
        return {"verified": True, "evidence": "the firmware reports the pre-provisioning state over MEI"}
