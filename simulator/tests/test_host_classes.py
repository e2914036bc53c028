"""Over the wire: the classes consoles read about the host (power, boot reason, event log, alarms, screens,
inventory) stay consistent with the device's own state, their methods answer AMT's codes, a class without
instances enumerates empty, and a class a firmware generation lacks is unknown there."""
from __future__ import annotations

import base64
import datetime
import random
import uuid
import xml.etree.ElementTree as ET

import pytest
from conftest import ENUMERATION, NS_ENUM, TRANSFER, DigestClient, client_tls_context
from test_fixture_shapes import Session, _epr_xml, _request

from amtsim.model.message_log import BOOT_PROGRESS
from amtsim.types import class_uri

FIRMWARE = "16.1.27.2176"
OLD_FIRMWARE = "7.1.91.3272"  # before the alarm occurrences (8) and the OS power saving service (10)
SERVICE_SELECTORS = {"CreationClassName": "CIM_PowerManagementService", "Name": "Intel(r) AMT Power Management Service",
                     "SystemCreationClassName": "CIM_ComputerSystem", "SystemName": "Intel(r) AMT"}
MANAGED_SYSTEM = _epr_xml(class_uri("CIM_ComputerSystem"), {"CreationClassName": "CIM_ComputerSystem", "Name": "ManagedSystem"})
ON, OFF_SOFT = "2", "8"


@pytest.fixture(scope="module")
def host_pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("host-classes-pki"))


@pytest.fixture
def open_session(start_fleet, host_pki):
    """open_session(profile="acm", firmware=FIRMWARE) -> (device, Session as the admin over TLS)."""
    sessions = []

    def open_(profile="acm", firmware=FIRMWARE):
        from amtsim.model import Device
        device = Device.new(len(sessions) + 1, profile, firmware, random.Random(len(sessions)), host_pki)
        fleet = start_fleet([device])
        session = Session(DigestClient(fleet.address(), 16993, username=device.admin_username, password=device.admin_password,
                                       tls_context=client_tls_context(host_pki.ca_cert_pem)))
        sessions.append(session)
        return device, session

    yield open_
    for session in sessions:
        session.client.close()


def fault_subcode(answer) -> str | None:
    """The WS-Man fault's subcode without its prefix, "" for a fault without one, None for a success."""
    if answer.status == 200:
        return None
    subcode = ET.fromstring(answer.body).find(".//{*}Subcode/{*}Value")
    return "" if subcode is None else subcode.text.rsplit(":", 1)[-1]


def items(session, class_name) -> list:
    """Every instance of an Enumerate + Pull as name -> list of texts (EPR-valued properties as their element)."""
    opened = session.enumerate(class_name)
    assert opened.status == 200, opened.body[:400]
    context = ET.fromstring(opened.body).find(".//{%s}EnumerationContext" % NS_ENUM).text
    body = ('<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext><MaxElements>999</MaxElements></Pull>'
            % (NS_ENUM, context))
    pulled = session.client.post(_request(ENUMERATION + "Pull", class_uri(class_name), body))
    assert pulled.status == 200, pulled.body[:400]
    root = ET.fromstring(pulled.body)
    assert root.find(".//{%s}EndOfSequence" % NS_ENUM) is not None
    instances = []
    for item in root.find(".//{%s}Items" % NS_ENUM):
        instance = {}
        for child in item:
            instance.setdefault(child.tag.rsplit("}", 1)[-1], []).append(child.text if len(child) == 0 else child)
        instances.append(instance)
    return instances


def one(session, class_name, name):
    found = items(session, class_name)
    assert len(found) == 1, found
    return found[0][name][0]


def outputs(answer) -> dict:
    assert answer.status == 200, answer.body[:400]
    values = {}
    for child in next(iter(ET.fromstring(answer.body).find("{http://www.w3.org/2003/05/soap-envelope}Body"))):
        values.setdefault(child.tag.rsplit("}", 1)[-1], []).append(child.text if len(child) == 0 else child)
    return values


def return_value(answer) -> int:
    return int(outputs(answer)["ReturnValue"][0])


def change_power(session, state) -> int:
    return return_value(session.invoke("CIM_PowerManagementService", "RequestPowerStateChange",
                                       [("PowerState", state), ("ManagedElement", MANAGED_SYSTEM)], SERVICE_SELECTORS))


def message_log(session) -> list:
    answer = session.invoke("AMT_MessageLog", "GetRecords", [("IterationIdentifier", "1"), ("MaxReadRecords", "390")])
    return [base64.b64decode(record) for record in outputs(answer).get("RecordArray", [])]


# --- power ------------------------------------------------------------------------------------------------------
def test_a_power_change_is_what_both_power_associations_report(open_session):
    _device, session = open_session()
    for association in ("CIM_ServiceAvailableToElement", "CIM_AssociatedPowerManagementService"):
        assert one(session, association, "PowerState") == ON
    assert change_power(session, OFF_SOFT) == 0
    for association in ("CIM_ServiceAvailableToElement", "CIM_AssociatedPowerManagementService"):
        assert one(session, association, "PowerState") == OFF_SOFT
    assert change_power(session, ON) == 0
    for association in ("CIM_ServiceAvailableToElement", "CIM_AssociatedPowerManagementService"):
        assert one(session, association, "PowerState") == ON


def test_the_parent_association_answers_the_power_association_instance(open_session):
    _device, session = open_session()
    answer = session.enumerate("CIM_ServiceAvailableToElement")
    context = ET.fromstring(answer.body).find(".//{%s}EnumerationContext" % NS_ENUM).text
    pulled = session.client.post(_request(ENUMERATION + "Pull", class_uri("CIM_ServiceAvailableToElement"),
                                          '<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext></Pull>' % (NS_ENUM, context)))
    item = next(iter(ET.fromstring(pulled.body).find(".//{%s}Items" % NS_ENUM)))
    assert item.tag == "{%s}CIM_AssociatedPowerManagementService" % class_uri("CIM_AssociatedPowerManagementService")


def test_a_boot_is_logged_and_becomes_the_boot_reason(open_session):
    _device, session = open_session()
    logged_before = len(message_log(session))
    assert one(session, "IPS_HostBootReason", "Reason") == "0"
    assert change_power(session, OFF_SOFT) == 0
    assert len(message_log(session)) == logged_before  # going off boots nothing
    assert change_power(session, ON) == 0
    reason = items(session, "IPS_HostBootReason")[0]
    assert (reason["Reason"], reason["ReasonDetails"], reason["PreviousSxState"]) == (["1"], ["Power Up"], ["5"])
    records = message_log(session)
    assert len(records) == logged_before + len(BOOT_PROGRESS)
    newest_boot = records[:len(BOOT_PROGRESS)]
    assert all(len(record) == 21 and record[5] == 0x0F for record in newest_boot)
    assert [record[14] for record in newest_boot] == list(reversed(BOOT_PROGRESS))  # newest first
    assert change_power(session, "10") == 0  # a reset boots again, from S0
    reason = items(session, "IPS_HostBootReason")[0]
    assert (reason["Reason"], reason["ReasonDetails"], reason["PreviousSxState"]) == (["1"], ["Reset"], ["0"])
    assert len(message_log(session)) == logged_before + 2 * len(BOOT_PROGRESS)


def test_os_power_saving_changes_only_while_the_host_runs(open_session):
    _device, session = open_session()

    def request(state):
        return return_value(session.invoke("IPS_PowerManagementService", "RequestOSPowerSavingStateChange",
                                           [("OSPowerSavingState", state), ("ManagedElement", MANAGED_SYSTEM)]))

    assert one(session, "IPS_PowerManagementService", "OSPowerSavingState") == "2"
    assert request("3") == 0
    assert one(session, "IPS_PowerManagementService", "OSPowerSavingState") == "3"
    assert request("7") == 5
    assert change_power(session, OFF_SOFT) == 0
    assert one(session, "IPS_PowerManagementService", "OSPowerSavingState") == "0"
    assert request("2") == 4097
    assert change_power(session, ON) == 0
    assert one(session, "IPS_PowerManagementService", "OSPowerSavingState") == "2"  # a boot starts at full power


def test_screens_read_inactive_while_the_host_is_off(open_session):
    _device, session = open_session()
    assert items(session, "IPS_ScreenSettingData")[0]["IsActive"] == ["true", "true", "false", "false"]
    assert change_power(session, OFF_SOFT) == 0
    assert items(session, "IPS_ScreenSettingData")[0]["IsActive"] == ["false"] * 4


# --- event log --------------------------------------------------------------------------------------------------
def test_message_log_pages_newest_first_and_clears(open_session):
    _device, session = open_session()
    assert change_power(session, "5") == 0  # a power cycle: a second boot's records
    total = int(one(session, "AMT_MessageLog", "CurrentNumberOfRecords"))
    assert total == 2 * len(BOOT_PROGRESS)
    assert outputs(session.invoke("AMT_MessageLog", "PositionToFirstRecord"))["IterationIdentifier"] == ["1"]
    first = outputs(session.invoke("AMT_MessageLog", "GetRecords", [("IterationIdentifier", "1"), ("MaxReadRecords", "5")]))
    assert len(first["RecordArray"]) == 5 and first["NoMoreRecords"] == ["false"] and first["IterationIdentifier"] == ["6"]
    rest = outputs(session.invoke("AMT_MessageLog", "GetRecords", [("IterationIdentifier", "6"), ("MaxReadRecords", "390")]))
    assert len(rest["RecordArray"]) == total - 5 and rest["NoMoreRecords"] == ["true"]
    timestamps = [int.from_bytes(base64.b64decode(record)[:4], "little") for record in first["RecordArray"] + rest["RecordArray"]]
    assert timestamps == sorted(timestamps, reverse=True)
    assert len(items(session, "AMT_EventLogEntry")) == total
    beyond = session.invoke("AMT_MessageLog", "GetRecords", [("IterationIdentifier", str(total + 1)), ("MaxReadRecords", "1")])
    assert return_value(beyond) == 2
    assert return_value(session.invoke("AMT_MessageLog", "ClearLog")) == 0
    assert one(session, "AMT_MessageLog", "CurrentNumberOfRecords") == "0"
    assert return_value(session.invoke("AMT_MessageLog", "PositionToFirstRecord")) == 2
    assert return_value(session.invoke("AMT_MessageLog", "GetRecords", [("IterationIdentifier", "1")])) == 3
    assert items(session, "AMT_EventLogEntry") == []


# --- alarms -----------------------------------------------------------------------------------------------------
def _template(instance_id, start, interval="P1DT0H0M", delete_on_completion="true"):
    common = "http://schemas.dmtf.org/wbem/wscim/1/common"
    return ('<s:InstanceID xmlns:s="{ips}">{id}</s:InstanceID><s:ElementName xmlns:s="{ips}">{id}</s:ElementName>'
            '<s:StartTime xmlns:s="{ips}"><p:Datetime xmlns:p="{common}">{start}</p:Datetime></s:StartTime>'
            '<s:Interval xmlns:s="{ips}"><p:Interval xmlns:p="{common}">{interval}</p:Interval></s:Interval>'
            '<s:DeleteOnCompletion xmlns:s="{ips}">{delete}</s:DeleteOnCompletion>').format(
        ips=class_uri("IPS_AlarmClockOccurrence"), common=common, id=instance_id, start=start, interval=interval,
        delete=delete_on_completion)


def _add_alarm(session, instance_id, start, **kwargs):
    return session.invoke("AMT_AlarmClockService", "AddAlarm", [("AlarmTemplate", _template(instance_id, start, **kwargs))])


def _in_hours(hours) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_add_alarm_creates_an_occurrence_that_delete_removes(open_session):
    _device, session = open_session()
    assert items(session, "IPS_AlarmClockOccurrence") == []
    start = _in_hours(5)
    added = outputs(_add_alarm(session, "nightly", start))
    assert added["ReturnValue"] == ["0"]
    reference = ET.tostring(added["AlarmClock"][0]).decode()
    assert class_uri("IPS_AlarmClockOccurrence") in reference and "nightly" in reference
    occurrence = items(session, "IPS_AlarmClockOccurrence")[0]
    assert occurrence["InstanceID"] == ["nightly"] and occurrence["DeleteOnCompletion"] == ["true"]
    assert occurrence["StartTime"][0].find("{*}Datetime").text == start
    assert occurrence["Interval"][0].find("{*}Interval").text == "P1DT0H0M"
    assert items(session, "AMT_AlarmClockService")[0]["NextAMTAlarmTime"][0].find("{*}Datetime").text == start
    deleted = session.client.post(_request(TRANSFER + "Delete", class_uri("IPS_AlarmClockOccurrence"), "",
                                           {"InstanceID": "nightly"}))
    assert deleted.status == 200
    assert items(session, "IPS_AlarmClockOccurrence") == []
    assert "NextAMTAlarmTime" not in items(session, "AMT_AlarmClockService")[0]


def _set_device_clock(session, seconds):
    """The console's two-step clock setting (GetLowAccuracyTimeSynch, SetHighAccuracyTimeSynch)."""
    ta0 = outputs(session.invoke("AMT_TimeSynchronizationService", "GetLowAccuracyTimeSynch"))["Ta0"][0]
    answer = session.invoke("AMT_TimeSynchronizationService", "SetHighAccuracyTimeSynch",
                            [("Ta0", ta0), ("Tm1", str(seconds)), ("Tm2", str(seconds))])
    assert return_value(answer) == 0


def test_a_due_alarm_wakes_the_host_and_moves_on(open_session):
    _device, session = open_session()
    assert change_power(session, OFF_SOFT) == 0
    first, second = _in_hours(1), _in_hours(2)
    assert return_value(_add_alarm(session, "daily", first, delete_on_completion="false")) == 0
    assert return_value(_add_alarm(session, "once", second, interval="P0DT0H0M")) == 0
    _set_device_clock(session, int(datetime.datetime.now(datetime.timezone.utc).timestamp()) + 3 * 3600)
    for association in ("CIM_ServiceAvailableToElement", "CIM_AssociatedPowerManagementService"):
        assert one(session, association, "PowerState") == ON
    reason = items(session, "IPS_HostBootReason")[0]
    assert reason["Reason"] == ["2"] and reason["ReasonDetails"][0] in ("daily", "once") and reason["PreviousSxState"] == ["5"]
    remaining = items(session, "IPS_AlarmClockOccurrence")
    assert [alarm["InstanceID"] for alarm in remaining] == [["daily"]]
    next_start = datetime.datetime.strptime(first, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(days=1)
    assert remaining[0]["StartTime"][0].find("{*}Datetime").text == next_start.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_due_alarm_leaves_a_running_host_alone(open_session):
    _device, session = open_session()
    assert return_value(_add_alarm(session, "noon", _in_hours(1))) == 0
    _set_device_clock(session, int(datetime.datetime.now(datetime.timezone.utc).timestamp()) + 2 * 3600)
    assert items(session, "IPS_AlarmClockOccurrence") == []  # done, and deleted on completion
    assert one(session, "IPS_HostBootReason", "Reason") == "0"
    assert one(session, "CIM_ServiceAvailableToElement", "PowerState") == ON


def test_add_alarm_refusals_answer_pt_status_codes(open_session):
    _device, session = open_session()
    assert return_value(_add_alarm(session, "past", _in_hours(-1))) == 36
    assert return_value(_add_alarm(session, "odd", _in_hours(1), interval="every day")) == 36
    for number in range(5):
        assert return_value(_add_alarm(session, f"alarm{number}", _in_hours(number + 1))) == 0
    assert return_value(_add_alarm(session, "alarm0", _in_hours(9))) == 2058
    assert return_value(_add_alarm(session, "sixth", _in_hours(9))) == 23
    assert len(items(session, "IPS_AlarmClockOccurrence")) == 5


# --- screens and KVM --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile, allowed", [("acm", True), ("ccm", False)])
def test_screen_blanking_is_offered_in_admin_control_mode_only(profile, allowed, open_session):
    _device, session = open_session(profile)
    assert one(session, "IPS_ScreenConfigurationService", "EnabledState") == ("1" if allowed else "0")
    answer = session.invoke("IPS_ScreenConfigurationService", "SetSessionState",
                            [("SessionState", "1"), ("ConsecutiveRebootsNum", "3")])
    assert return_value(answer) == (0 if allowed else 16)
    service = items(session, "IPS_ScreenConfigurationService")[0]
    assert service["CurrentState"] == ["1" if allowed else "0"]
    assert service["RemainingConsecutiveRebootsNum"] == ["3" if allowed else "0"]


def test_kvm_redirection_service_follows_the_kvm_access_point(open_session):
    _device, session = open_session()
    assert one(session, "CIM_RedirectionService", "EnabledState") == "2"
    answer = session.invoke("CIM_KVMRedirectionSAP", "RequestStateChange", [("RequestedState", "3")])
    assert return_value(answer) == 0
    assert one(session, "CIM_RedirectionService", "EnabledState") == "3"


# --- inventory and identity -------------------------------------------------------------------------------------
def test_inventory_identifies_this_device(open_session):
    device, session = open_session()
    guid = one(session, "CIM_ComputerSystemPackage", "PlatformGUID")
    assert uuid.UUID(bytes_le=bytes.fromhex(guid)) == uuid.UUID(device.uuid)
    wired = [port for port in items(session, "AMT_EthernetPortSettings") if port["InstanceID"][0].endswith(" 0")][0]
    assert one(session, "CIM_EthernetPort", "NetworkAddresses") == wired["MACAddress"][0].replace("-", "")
    assert one(session, "IPS_LANEndpoint", "MACAddress") == wired["MACAddress"][0].replace("-", "")
    assert one(session, "IPS_ProvisioningRecordLog", "CurrentNumberOfRecords") == "1"
    assert one(session, "CIM_PhysicalPackage", "Tag") == "CIM_Card"


def test_wired_port_reports_the_address_dhcp_gave_it(open_session):
    device, session = open_session("ccm")
    device.addresses = ["127.79.5.1", "127.79.6.1"]  # as the fleet sets them: remote, then local
    answer = session.get("AMT_EthernetPortSettings", {"InstanceID": "Intel(r) AMT Ethernet Port Settings 0"})
    port = {child.tag.split("}", 1)[1]: child.text for child in ET.fromstring(answer.body).find(".//{*}AMT_EthernetPortSettings")}
    assert (port["DHCPEnabled"], port["IPAddress"], port["SubnetMask"]) == ("true", "127.79.5.1", "255.255.255.0")
    assert port["DefaultGateway"] == port["PrimaryDNS"] == "127.79.5.254"


@pytest.mark.parametrize("class_name", ["CIM_Battery", "AMT_Hdr8021Filter"])
def test_a_class_without_instances_enumerates_empty(class_name, open_session):
    _device, session = open_session()
    optimized = session.client.post(_request(ENUMERATION + "Enumerate", class_uri(class_name),
                                             '<Enumerate xmlns="%s"><OptimizeEnumeration xmlns="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"/>'
                                             '</Enumerate>' % NS_ENUM))
    assert optimized.status == 200
    root = ET.fromstring(optimized.body)
    assert list(root.find(".//{*}Items")) == [] and root.find(".//{*}EndOfSequence") is not None
    assert items(session, class_name) == []


# --- generations ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("class_name", ["IPS_PowerManagementService", "IPS_ScreenConfigurationService", "IPS_AlarmClockOccurrence",
                                        "IPS_HostBootReason"])
def test_a_class_the_generation_lacks_is_unknown_there(class_name, open_session):
    _old_device, old = open_session(firmware=OLD_FIRMWARE)
    assert fault_subcode(old.enumerate(class_name)) == "DestinationUnreachable"
    assert fault_subcode(old.get(class_name)) == "DestinationUnreachable"
    _device, current = open_session()
    assert fault_subcode(current.enumerate(class_name)) is None


def test_add_alarm_needs_the_occurrence_class(open_session):
    _device, session = open_session(firmware=OLD_FIRMWARE)
    assert fault_subcode(_add_alarm(session, "early", _in_hours(2))) == "ActionNotSupported"
    assert one(session, "AMT_AlarmClockService", "Name") == "Intel(r) AMT Alarm Clock Service"


# --- persistence ------------------------------------------------------------------------------------------------
def test_alarms_event_log_and_boot_reason_survive_a_restart(open_session, host_pki):
    from amtsim.model import Device
    device, session = open_session()
    assert return_value(_add_alarm(session, "kept", _in_hours(3))) == 0
    assert change_power(session, "10") == 0
    assert return_value(session.invoke("IPS_PowerManagementService", "RequestOSPowerSavingStateChange",
                                       [("OSPowerSavingState", "3")])) == 0
    restored = Device.from_state(device.to_state(), host_pki)
    assert restored.alarm_clock.alarms == device.alarm_clock.alarms and len(restored.alarm_clock.alarms) == 1
    assert restored.message_log.records == device.message_log.records
    assert (restored.host_power.boot_reason, restored.host_power.os_power_saving_state) == (1, 3)
    restored.factory_reset(keep_admin=False)
    assert restored.alarm_clock.alarms == [] and restored.message_log.records == device.message_log.records


def test_screen_blanking_survives_warm_resets_only(open_session):
    _device, session = open_session()

    def blanking():
        service = items(session, "IPS_ScreenConfigurationService")[0]
        return service["CurrentState"][0], service["RemainingConsecutiveRebootsNum"][0]

    def open_blanking(reboots):
        answer = session.invoke("IPS_ScreenConfigurationService", "SetSessionState",
                                [("SessionState", "1"), ("ConsecutiveRebootsNum", reboots)])
        assert return_value(answer) == 0

    open_blanking("1")
    assert change_power(session, "10") == 0  # warm reset: one reboot used
    assert blanking() == ("1", "0")
    assert change_power(session, "10") == 0  # none left: the session ends
    assert blanking() == ("0", "0")
    open_blanking("3")
    assert change_power(session, "5") == 0  # a power cycle ends it whatever remains
    assert blanking() == ("0", "0")
    open_blanking("2")
    assert change_power(session, OFF_SOFT) == 0
    assert blanking() == ("0", "0")
