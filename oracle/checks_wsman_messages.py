"""Checks the requests a console builds with Intel's wsman-messages: each is sent to a simulated device, and its
answer must parse and say what a console expects (identity, power, hardware, logs, network, TLS, boot, CIRA)."""
from __future__ import annotations

import base64
import secrets
import time

from results import CheckFailed, expect, result
from wsman_console import Builder, Console, selector_value

CLIENT = "wsman-messages"
ON, OFF_SOFT, RESET = 2, 8, 10
POWER_POLLS, POWER_POLL_INTERVAL_S = 20, 0.1
MESSAGE_LOG_RECORD_BYTES = 21
REMOTE_TLS_SETTINGS = "Intel(r) AMT 802.3 TLS Settings"
PXE = "Intel(r) AMT: Force PXE Boot"
BOOT_CONFIGURATION = "Intel(r) AMT: Boot Configuration 0"
IS_NEXT_SINGLE_USE = 1
MPS = {"AccessInfo": "mps.oracle.example", "InfoFormat": 201, "Port": 4433, "AuthMethod": 2, "Username": "oracle",
       "CommonName": "mps.oracle.example"}
PERIODIC_TRIGGER = 2
PERIODIC_EVERY_10_S = base64.b64encode(bytes([0, 0, 0, 0, 0, 0, 0, 10])).decode()
HARDWARE_SINGLE = ("CIM_ComputerSystemPackage", "CIM_Chassis", "CIM_Card", "CIM_BIOSElement")
HARDWARE_LISTS = ("CIM_SystemPackaging", "CIM_Chip", "CIM_Processor", "CIM_PhysicalMemory", "CIM_MediaAccessDevice",
                  "CIM_PhysicalPackage")


def _collect(reads) -> tuple:
    """Runs every (name, read) and returns the answers and the failures, so one check names every class that failed."""
    answers, failures = {}, []
    for name, read in reads:
        try:
            answers[name] = read()
        except CheckFailed as failure:
            failures.append(str(failure))
    return answers, failures


class Checks:
    def __init__(self, console: Console, target) -> None:
        self.console = console
        self.target = target
        self.mps_name = None

    def general_settings(self) -> str:
        settings = self.console.get("AMT_GeneralSettings")
        expect(settings.get("DigestRealm") == self.target.digest_realm,
               f"DigestRealm {settings.get('DigestRealm')}, expected the device's {self.target.digest_realm}")
        expect(settings.get("HostName") is not None, "no HostName")
        return f"DigestRealm {settings['DigestRealm']}"

    def version(self) -> str:
        identities = {item.get("InstanceID"): item.get("VersionString") for item in self.console.enumerate("CIM_SoftwareIdentity")}
        wanted = ".".join(self.target.firmware.split(".")[:3])
        expect(identities.get("AMT") == wanted, f"CIM_SoftwareIdentity AMT VersionString {identities.get('AMT')}, expected {wanted}")
        setup = self.console.get("AMT_SetupAndConfigurationService")
        expect(setup.get("ProvisioningState") == "2", f"ProvisioningState {setup.get('ProvisioningState')}, expected 2 (post-provisioning)")
        return f"AMT {wanted}, ProvisioningState 2"

    def control_mode(self) -> str:
        mode = self.console.get("IPS_HostBasedSetupService").get("CurrentControlMode")
        wanted = {"ccm": "1", "acm": "2"}[self.target.control_mode]
        expect(mode == wanted, f"CurrentControlMode {mode}, expected {wanted} ({self.target.control_mode})")
        return f"CurrentControlMode {mode}"

    def _power_state(self) -> int:
        instances = self.console.enumerate("CIM_ServiceAvailableToElement")
        expect(instances, "CIM_ServiceAvailableToElement enumerated no instance")
        state = instances[0].get("PowerState")
        expect(state is not None and state.isdigit(), f"PowerState {state!r}")
        return int(state)

    def power_state(self) -> str:
        state = self._power_state()
        expect(state == ON, f"PowerState {state}, expected {ON} (on)")
        os_state = self.console.get("IPS_PowerManagementService").get("OSPowerSavingState")
        expect(os_state is not None, "IPS_PowerManagementService has no OSPowerSavingState")
        return f"PowerState {state}, OSPowerSavingState {os_state}"

    def power_capabilities(self) -> str:
        capabilities = self.console.get("AMT_BootCapabilities")
        expect(capabilities.get("ForcePXEBoot") in ("true", "false"), f"ForcePXEBoot {capabilities.get('ForcePXEBoot')!r}")
        return f"{len(capabilities)} boot capabilities"

    def power_change(self, requested: int, settled: int) -> str:
        self.console.invoke("CIM_PowerManagementService", "RequestPowerStateChange", requested)
        state = None
        for _poll in range(POWER_POLLS):
            state = self._power_state()
            if state == settled:
                return f"RequestPowerStateChange({requested}) returned 0, PowerState {state}"
            time.sleep(POWER_POLL_INTERVAL_S)
        raise CheckFailed(f"RequestPowerStateChange({requested}) returned 0 but PowerState stayed {state}, expected {settled}")

    def hardware_inventory(self) -> str:
        reads = [(name, lambda name=name: [self.console.get(name)]) for name in HARDWARE_SINGLE]
        reads += [(name, lambda name=name: self.console.enumerate(name)) for name in HARDWARE_LISTS]
        answers, failures = _collect(reads)
        expect(not failures, "; ".join(failures))
        guid = answers["CIM_ComputerSystemPackage"][0].get("PlatformGUID") or ""
        expect(len(guid) == 32, f"PlatformGUID {guid!r}")
        empty = [name for name in ("CIM_Processor", "CIM_PhysicalMemory", "CIM_Chip") if not answers[name]]
        expect(not empty, f"no instance of {', '.join(empty)}")
        return ", ".join(f"{len(answers[name])} {name}" for name in HARDWARE_LISTS)

    def amt_features(self) -> str:
        answers, failures = _collect([(name, lambda name=name: self.console.get(name))
                                      for name in ("AMT_RedirectionService", "IPS_OptInService", "CIM_KVMRedirectionSAP")])
        expect(not failures, "; ".join(failures))
        return (f"redirection EnabledState {answers['AMT_RedirectionService'].get('EnabledState')}, "
                f"KVM EnabledState {answers['CIM_KVMRedirectionSAP'].get('EnabledState')}, "
                f"OptInRequired {answers['IPS_OptInService'].get('OptInRequired')}")

    def audit_log(self) -> str:
        output = self.console.invoke("AMT_AuditLog", "ReadRecords", 1)
        records = output.get("EventRecords") or []
        records = records if isinstance(records, list) else [records]
        returned, total = int(output.get("RecordsReturned", -1)), int(output.get("TotalRecordCount", -1))
        expect(returned == len(records), f"RecordsReturned {returned} but {len(records)} EventRecords")
        expect(total >= returned, f"TotalRecordCount {total} < RecordsReturned {returned}")
        for record in records:
            base64.b64decode(record, validate=True)
        return f"{returned} of {total} records"

    def event_log(self) -> str:
        first = self.console.invoke("AMT_MessageLog", "PositionToFirstRecord")
        identifier = first.get("IterationIdentifier")
        expect(identifier is not None and identifier.isdigit(), f"IterationIdentifier {identifier!r}")
        output = self.console.invoke("AMT_MessageLog", "GetRecords", int(identifier))
        records = output.get("RecordArray") or []
        records = records if isinstance(records, list) else [records]
        sizes = {len(base64.b64decode(record, validate=True)) for record in records}
        expect(sizes <= {MESSAGE_LOG_RECORD_BYTES}, f"record sizes {sorted(sizes)}, expected {MESSAGE_LOG_RECORD_BYTES} bytes each")
        return f"{len(records)} event records"

    def network(self) -> str:
        ports = [port for port in self.console.enumerate("AMT_EthernetPortSettings") if port.get("MACAddress")]
        expect(ports, "no AMT_EthernetPortSettings with a MACAddress")
        return f"{len(ports)} interface(s)"

    def tls_settings(self) -> str:
        settings = self.console.enumerate("AMT_TLSSettingData")
        remote = [item for item in settings if item.get("InstanceID") == REMOTE_TLS_SETTINGS]
        expect(remote, f"no AMT_TLSSettingData {REMOTE_TLS_SETTINGS!r}")
        expect(remote[0].get("Enabled") == "true", f"remote TLS Enabled {remote[0].get('Enabled')}")
        certificates = self.console.enumerate("AMT_PublicKeyCertificate")
        return f"remote TLS enabled, {len(certificates)} certificate(s) in the store"

    def boot_pxe(self) -> str:
        self.console.get("AMT_BootSettingData")
        self.console.invoke("CIM_BootConfigSetting", "ChangeBootOrder", PXE)
        self.console.invoke("CIM_BootService", "SetBootConfigRole", BOOT_CONFIGURATION, IS_NEXT_SINGLE_USE)
        return "ChangeBootOrder(PXE) and SetBootConfigRole returned 0"

    def cira_read(self) -> str:
        reads = [(name, lambda name=name: self.console.enumerate(name)) for name in
                 ("AMT_ManagementPresenceRemoteSAP", "AMT_RemoteAccessPolicyRule", "AMT_RemoteAccessPolicyAppliesToMPS",
                  "AMT_MPSUsernamePassword")]
        reads += [(name, lambda name=name: [self.console.get(name)]) for name in
                  ("AMT_RemoteAccessService", "AMT_UserInitiatedConnectionService", "AMT_EnvironmentDetectionSettingData")]
        answers, failures = _collect(reads)
        expect(not failures, "; ".join(failures))
        return (f"{len(answers['AMT_ManagementPresenceRemoteSAP'])} MPS server(s), "
                f"{len(answers['AMT_RemoteAccessPolicyRule'])} policy rule(s)")

    def cira_add(self) -> str:
        mps = dict(MPS, Password=secrets.token_urlsafe(12))
        output = self.console.invoke("AMT_RemoteAccessService", "AddMPS", mps)
        server = output.get("MpServer")
        self.mps_name = selector_value(server, "Name") if server is not None and not isinstance(server, str) else None
        expect(self.mps_name, "AddMpServer answered without an MpServer reference naming the server")
        self.console.invoke("AMT_RemoteAccessService", "AddRemoteAccessPolicyRule",
                            {"Trigger": PERIODIC_TRIGGER, "TunnelLifeTime": 0, "ExtendedData": PERIODIC_EVERY_10_S},
                            {"name": "Name", "value": self.mps_name})
        servers = [item for item in self.console.enumerate("AMT_ManagementPresenceRemoteSAP") if item.get("Name") == self.mps_name]
        expect(servers and servers[0].get("AccessInfo") == MPS["AccessInfo"], f"{self.mps_name} not listed with AccessInfo {MPS['AccessInfo']}")
        rules = [item.get("PolicyRuleName") for item in self.console.enumerate("AMT_RemoteAccessPolicyRule")]
        expect(any((name or "").startswith("Periodic") for name in rules), f"no Periodic rule among {rules}")
        return f"MPS server {self.mps_name} and a Periodic policy added and read back"

    def cira_remove(self) -> str:
        expect(self.mps_name, "nothing to remove (cira-add failed)")
        self.console.delete("AMT_RemoteAccessPolicyRule", {"name": "PolicyRuleName", "value": "Periodic"})
        self.console.delete("AMT_ManagementPresenceRemoteSAP", {"name": "Name", "value": self.mps_name})
        left = [item.get("Name") for item in self.console.enumerate("AMT_ManagementPresenceRemoteSAP")]
        expect(self.mps_name not in left, f"{self.mps_name} still listed after Delete")
        rules = [item.get("PolicyRuleName") or "" for item in self.console.enumerate("AMT_RemoteAccessPolicyRule")]
        expect(not any(rule.startswith("Periodic") for rule in rules), f"Periodic rule still listed after Delete: {rules}")
        return "policy and MPS server deleted"

    def all(self) -> list:
        return [
            ("general-settings", self.general_settings),
            ("version", self.version),
            ("control-mode", self.control_mode),
            ("power-state", self.power_state),
            ("power-capabilities", self.power_capabilities),
            ("power-off", lambda: self.power_change(OFF_SOFT, OFF_SOFT)),
            ("power-on", lambda: self.power_change(ON, ON)),
            ("power-reset", lambda: self.power_change(RESET, ON)),
            ("hardware-inventory", self.hardware_inventory),
            ("amt-features", self.amt_features),
            ("audit-log", self.audit_log),
            ("event-log", self.event_log),
            ("network", self.network),
            ("tls-settings", self.tls_settings),
            ("boot-pxe", self.boot_pxe),
            ("cira-read", self.cira_read),
            ("cira-add", self.cira_add),
            ("cira-remove", self.cira_remove),
        ]


def run(target) -> list:
    builder = Builder()
    console = Console(builder, target)
    outcomes = []
    try:
        for name, check in Checks(console, target).all():
            try:
                outcomes.append(result(target, CLIENT, name, True, check()))
            except CheckFailed as failure:
                outcomes.append(result(target, CLIENT, name, False, str(failure)))
            except (ValueError, TypeError) as error:
                outcomes.append(result(target, CLIENT, name, False, f"unexpected answer: {type(error).__name__}: {error}"))
    finally:
        console.close()
        builder.close()
    return outcomes
