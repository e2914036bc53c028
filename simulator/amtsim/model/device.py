"""amtsim.model.Device: one simulated AMT device, as DESIGN.md specifies it."""
from __future__ import annotations

import random
import string
import uuid as uuid_module

from amtsim.model import access, host_interface
from amtsim.model import audit_records as events
from amtsim.model.accounts import Accounts
from amtsim.model.alarm_clock import AlarmClock
from amtsim.model.audit import AuditLog
from amtsim.model.capabilities import Capabilities
from amtsim.model.cira import Cira
from amtsim.model.clock import Clock
from amtsim.model.credentials import Credentials
from amtsim.model.codes import NOT_PERMITTED
from amtsim.model.firmware import DEFAULT_FIRMWARE, Firmware
from amtsim.model.general import General
from amtsim.model.host_power import HostPower
from amtsim.model.ieee8021x import Ieee8021x
from amtsim.model.inventory import Inventory
from amtsim.model.kerberos import Kerberos
from amtsim.model.message_log import MessageLog
from amtsim.model.network_ports import NetworkPorts
from amtsim.model.power import ON, Power
from amtsim.model.provisioning import COMPLETED_HOST_BASED_ACM, COMPLETED_HOST_BASED_CCM, POST, Provisioning
from amtsim.model.provisioning_record import ProvisioningRecord
from amtsim.model.redirection import Redirection
from amtsim.model.screen import Screen
from amtsim.model.tls import Tls
from amtsim.model.wireless import Wireless
from amtsim.types import EPR, Effect, MethodResult, WsmanFault

STATE_FORMAT = 1
PROFILES = ("factory", "ccm", "acm")
# Attribute name -> component type. Order matters: later components read earlier ones while resetting.
_COMPONENTS = (("accounts", Accounts), ("audit", AuditLog), ("provisioning", Provisioning), ("tls", Tls),
               ("wireless", Wireless), ("redirection", Redirection), ("power", Power), ("general", General),
               ("kerberos", Kerberos), ("clock", Clock), ("cira", Cira),
               ("ieee8021x", Ieee8021x), ("credentials", Credentials),
               ("message_log", MessageLog),
               ("host_power", HostPower),
               ("inventory", Inventory),
               ("capabilities", Capabilities),
               ("alarm_clock", AlarmClock),
               ("screen", Screen),
               ("network_ports", NetworkPorts),
               ("provisioning_record", ProvisioningRecord))
_COMPONENT_OF_CLASS = {class_name: attribute for attribute, kind in _COMPONENTS for class_name in kind.INSTANCES}
# Components a full unprovision returns to factory state (the audit log, the host's power state and the clock survive).
_FACTORY_RESET = ("accounts", "provisioning", "tls", "wireless", "redirection", "general", "kerberos", "cira", "ieee8021x",
                  "alarm_clock")
_IGNORED_SELECTORS = ("__cimnamespace",)
_PASSWORD_SPECIALS = "!@#$%^*"


def _strong_password(rng: random.Random, length: int = 16) -> str:
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, _PASSWORD_SPECIALS)
    characters = [rng.choice(pool) for pool in pools]
    characters += [rng.choice(string.ascii_letters + string.digits + _PASSWORD_SPECIALS) for _position in range(length - 4)]
    rng.shuffle(characters)
    return "".join(characters)


def _selector_matches(value, wanted) -> bool:
    if isinstance(wanted, EPR):
        return isinstance(value, EPR) and value.resource_uri == wanted.resource_uri and \
            dict(value.selectors) == dict(wanted.selectors)
    return value is not None and not isinstance(value, (list, EPR)) and str(value) == str(wanted)


class Device:
    """State and rules of one device; the protocol layer calls the methods below (DESIGN.md)."""

    def __init__(self, index: int, firmware: str, device_uuid: str, digest_realm: str, pki):
        self.index = index
        self.firmware = Firmware.parse(firmware)
        self.uuid = device_uuid
        self.digest_realm = digest_realm
        self.pki = pki
        self.addresses = []  # the device's IP addresses, for its certificate; set by the fleet
        self.dirty = True
        self._effects = []
        self._pki_identity = None
        for attribute, kind in _COMPONENTS:
            setattr(self, attribute, kind(self))

    # --- construction and persistence ---------------------------------------------------------------------
    @classmethod
    def new(cls, index: int, profile: str, firmware: str, rng: random.Random, pki) -> Device:
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
        device_uuid = str(uuid_module.UUID(int=rng.getrandbits(128), version=4))
        device = cls(index, firmware or DEFAULT_FIRMWARE, device_uuid, f"Digest:{rng.getrandbits(128):032X}", pki)
        device.accounts.set_local_system_password(_strong_password(rng, 32))
        device.provisioning.dns_suffix = pki.dns_suffix
        if profile != "factory":
            device._provision_profile(profile, rng)
        device._effects.clear()
        device.dirty = True
        return device

    def _provision_profile(self, profile: str, rng: random.Random) -> None:
        self.audit.log(events.PROVISIONING_STARTED)
        self.accounts.set_admin_password("admin", _strong_password(rng))
        if profile == "acm":
            self.provisioning.set_mebx_password(_strong_password(rng))
        self.provisioning.control_mode = profile
        self.provisioning.provisioning_state = POST
        self.audit.log(events.PROVISIONING_COMPLETED, None,
                       bytes([COMPLETED_HOST_BASED_ACM if profile == "acm" else COMPLETED_HOST_BASED_CCM]))
        self.tls.configure_from_pki()
        self.general.general.update(HostName=f"amt-{self.index:04d}", DomainName=self.pki.dns_suffix)

    @classmethod
    def from_state(cls, state: dict, pki) -> Device:
        if state.get("format") != STATE_FORMAT:
            raise ValueError("unknown device state format")
        device = cls(state["index"], state["firmware"], state["uuid"], state["digest_realm"], pki)
        device.addresses = list(state.get("addresses", []))
        for attribute, _component in _COMPONENTS:
            getattr(device, attribute).load(state["components"].get(attribute, {}))
        device.dirty = False
        return device

    def to_state(self) -> dict:
        return {"format": STATE_FORMAT, "index": self.index, "firmware": str(self.firmware), "uuid": self.uuid,
                "digest_realm": self.digest_realm, "addresses": list(self.addresses),
                "components": {attribute: getattr(self, attribute).to_state() for attribute, _component in _COMPONENTS}}

    def factory_reset(self, keep_admin: bool) -> None:
        """Unprovision: back to factory settings; PartialUnprovision keeps the admin, host and domain names."""
        admin = (self.accounts.admin_username, self.accounts.admin_ha1, self.accounts.admin_password)
        names = (self.general.general["HostName"], self.general.general["DomainName"])
        for attribute in _FACTORY_RESET:
            getattr(self, attribute).reset()
        if keep_admin:
            self.accounts.admin_username, self.accounts.admin_ha1, self.accounts.admin_password = admin
            self.general.general["HostName"], self.general.general["DomainName"] = names
        self.dirty = True

    # --- identity -----------------------------------------------------------------------------------------
    @property
    def server_header(self) -> str:
        return self.firmware.server_header

    @property
    def control_mode(self) -> str:
        return self.provisioning.control_mode if self.provisioning.provisioning_state == POST else "none"

    @property
    def admin_username(self) -> str | None:
        return self.accounts.admin_username if self.accounts.admin_ha1 else None

    @property
    def admin_password(self) -> str | None:
        return self.accounts.admin_password if self.accounts.admin_ha1 else None

    # --- authentication -----------------------------------------------------------------------------------
    def ha1(self, username: str, interface: str) -> str | None:
        return self.accounts.ha1(username, interface)

    def realms_of(self, username: str) -> frozenset:
        return self.accounts.realms_of(username)

    def accepts_empty_digest(self) -> bool:
        return self.firmware.accepts_empty_digest()

    # --- network side -------------------------------------------------------------------------------------
    def listeners(self) -> dict:
        return self.tls.listeners()

    def pki_identity(self) -> tuple:
        if self._pki_identity is None:
            self._pki_identity = self.pki.issue_device_cert(f"amt-{self.index:04d}.{self.pki.dns_suffix}", self.addresses)
        return self._pki_identity

    def tls_identity(self):
        served = self.listeners()
        if not (served["remote"]["tls"] or served["local"]["tls"]):
            return None
        return self.tls.identity()

    def tls_versions(self) -> tuple:
        return self.firmware.tls_versions()

    def host_powered_on(self) -> bool:
        """Whether the host is in S0; the firmware answers slower while it sleeps or is off."""
        return self.power.power_state == ON

    def trusted_client_roots(self) -> list:
        roots = self.tls.trusted_root_pems()
        if self.provisioning.hbased_pending():
            roots.append(self.pki.provisioning_root_cert_pem)
        return roots

    def effect(self, kind: str, reason: str = "") -> None:
        wanted = Effect(kind, reason)
        if wanted not in self._effects:
            self._effects.append(wanted)

    def take_effects(self) -> list:
        effects, self._effects = self._effects, []
        return effects

    # --- WS-Man -------------------------------------------------------------------------------------------
    def _component(self, class_name: str):
        self.alarm_clock.wake_if_due()  # every WS-Man operation passes here: answer from the state after due alarms
        attribute = _COMPONENT_OF_CLASS.get(class_name)
        if attribute is None:
            raise WsmanFault("DestinationUnreachable")
        return getattr(self, attribute)

    def _instances(self, class_name: str, caller) -> list:
        component = self._component(class_name)
        return getattr(component, component.INSTANCES[class_name])(caller)

    def _select(self, class_name: str, selectors: dict, caller, body=None):
        instances = self._instances(class_name, caller)
        wanted = {name: value for name, value in (selectors or {}).items() if name not in _IGNORED_SELECTORS}
        if not wanted and body is not None and len(instances) > 1 and "InstanceID" in body.props:
            wanted = {"InstanceID": body.props["InstanceID"]}
        if any(all(name not in instance.props for instance in instances) for name in wanted) and instances:
            raise WsmanFault("InvalidSelectors")
        for instance in instances:
            if all(_selector_matches(instance.props.get(name), value) for name, value in wanted.items()):
                # Without selectors a multi-instance class answers its first instance (our choice, UNCONFIRMED).
                return instance
        raise WsmanFault("DestinationUnreachable")

    def get(self, class_name: str, selectors: dict, caller):
        self._component(class_name)
        access.require_transfer(class_name, caller.realms)
        return self._select(class_name, selectors, caller)

    def enumerate(self, class_name: str, caller) -> list:
        self._component(class_name)
        access.require_transfer(class_name, caller.realms)
        return self._instances(class_name, caller)

    def _handler(self, class_name: str, table: str):
        component = self._component(class_name)
        name = getattr(component, table).get(class_name)
        if name is None:
            raise WsmanFault("ActionNotSupported")
        return getattr(component, name)

    def put(self, class_name: str, selectors: dict, instance, caller):
        handler = self._handler(class_name, "PUTS")
        access.require_transfer(class_name, caller.realms)
        current = self._select(class_name, selectors, caller, body=instance)
        stored = handler(current, instance, caller)
        if stored is not None:  # association classes answer the instance they changed themselves
            return stored
        key = {name: current.props[name] for name in ("InstanceID", "Name") if name in current.props}
        return self._select(class_name, key, caller)

    def create(self, class_name: str, instance, caller) -> EPR:
        handler = self._handler(class_name, "CREATES")
        access.require_transfer(class_name, caller.realms)
        return handler(instance, caller)

    def delete(self, class_name: str, selectors: dict, caller) -> None:
        handler = self._handler(class_name, "DELETES")
        access.require_transfer(class_name, caller.realms)
        handler(self._select(class_name, selectors, caller), caller)

    def invoke(self, class_name: str, method: str, selectors: dict, inputs: dict, caller) -> MethodResult:
        component = self._component(class_name)
        name = component.METHODS.get((class_name, method))
        if name is None:
            raise WsmanFault("ActionNotSupported")
        instance = self._select(class_name, selectors, caller)
        if not (access.may_use(class_name, caller.realms) or self.provisioning.hbased_admin_caller(caller)):
            return MethodResult(NOT_PERMITTED)
        return getattr(component, name)(instance, inputs or {}, caller)

    # --- MEI ----------------------------------------------------------------------------------------------
    def mei(self, command: str, args: dict) -> dict:
        return host_interface.handle(self, command, args)
