"""Wake alarms: AMT_AlarmClockService (AddAlarm) and IPS_AlarmClockOccurrence (Enumerate, Get, Delete).

AddAlarm takes an IPS_AlarmClockOccurrence template (InstanceID, ElementName, StartTime as a CIM datetime,
Interval as a CIM interval, DeleteOnCompletion) and answers an EPR to the new occurrence, as go-wsman-messages
(pkg/wsman/amt/alarmclock) and MeshCommander send and read it; it fails once 5 alarms exist (intel/lms
AMT_AlarmClockService.h, MOF 8.0.0). Return codes are AMT's PT_STATUS values: MAX_LIMIT_REACHED for the sixth
alarm; our choices (UNCONFIRMED): an InstanceID in use is DUPLICATE, a StartTime not after the device's clock or a
malformed value is INVALID_PARAMETER, and AMT_AlarmClockService reports the earliest alarm in its deprecated
NextAMTAlarmTime.

An alarm comes due when the device's clock passes its StartTime; the device notices before it answers the next
request. A due alarm powers the host up if it is not running (IPS_HostBootReason then names it), and is deleted
(DeleteOnCompletion), moved on by its Interval, or kept without firing again.
"""
from __future__ import annotations

import datetime
import re

from amtsim.model import availability
from amtsim.model.codes import DUPLICATE, INVALID_PARAMETER, MAX_LIMIT_REACHED, SUCCESS
from amtsim.model.component import Component, instance_input, prop_bool, prop_text, result
from amtsim.model.host_power import REASON_ALARM
from amtsim.types import EPR, Datetime, Instance, Interval, WsmanFault, class_uri

SERVICE, OCCURRENCE = "AMT_AlarmClockService", "IPS_AlarmClockOccurrence"
MAX_ALARMS = 5
MAX_ID_LENGTH = 32
_INTERVAL = re.compile(r"P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?")
_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _interval_seconds(interval: str | None) -> int:
    match = _INTERVAL.fullmatch(interval or "")
    if not match:
        return 0
    parts = {name: int(value or 0) for name, value in match.groupdict().items()}
    return ((parts["days"] * 24 + parts["hours"]) * 60 + parts["minutes"]) * 60 + parts["seconds"]


def _datetime_text(seconds: int) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(_DATETIME_FORMAT)


def _seconds(datetime_text: str) -> int | None:
    try:
        parsed = datetime.datetime.strptime(datetime_text.strip(), _DATETIME_FORMAT)
    except ValueError:
        return None
    return int(parsed.replace(tzinfo=datetime.timezone.utc).timestamp())


class AlarmClock(Component):
    INSTANCES = {SERVICE: "_service_instances", OCCURRENCE: "_occurrence_instances"}
    DELETES = {OCCURRENCE: "_delete_occurrence"}
    METHODS = {(SERVICE, "AddAlarm"): "_add_alarm"}
    STATE_FIELDS = ("alarms",)

    def reset(self) -> None:
        # {"InstanceID", "ElementName", "StartTime", "Interval" (or None), "DeleteOnCompletion", "fired" once spent}
        self.alarms = []

    def wake_if_due(self) -> None:
        """Carry out the alarms the device's clock has passed since the last look."""
        now = self.device.clock.now()
        due = [alarm for alarm in self.alarms if not alarm.get("fired") and _seconds(alarm["StartTime"]) <= now]
        if not due:
            return
        for alarm in due:
            period = _interval_seconds(alarm["Interval"])
            if alarm["DeleteOnCompletion"]:
                self.alarms.remove(alarm)
            elif period:
                start = _seconds(alarm["StartTime"])
                alarm["StartTime"] = _datetime_text(start + ((now - start) // period + 1) * period)
            else:
                alarm["fired"] = True
        if not self.device.host_powered_on():
            previous_state = self.device.power.wake()
            self.device.host_power.host_booted(previous_state, REASON_ALARM, due[-1]["ElementName"])
        self.changed()

    def _service_instances(self, caller) -> list:
        props = {"CreationClassName": SERVICE, "ElementName": "Intel(r) AMT Alarm Clock Service",
                 "Name": "Intel(r) AMT Alarm Clock Service", "SystemCreationClassName": "CIM_ComputerSystem",
                 "SystemName": "ManagedSystem"}
        pending = [alarm["StartTime"] for alarm in self.alarms if not alarm.get("fired")]
        if pending:
            props["NextAMTAlarmTime"] = Datetime(min(pending, key=_seconds))
        return [Instance(SERVICE, props)]

    def _occurrence_instances(self, caller) -> list:
        availability.require_class(self.device, OCCURRENCE)
        return [Instance(OCCURRENCE, {
            "DeleteOnCompletion": alarm["DeleteOnCompletion"], "ElementName": alarm["ElementName"],
            "InstanceID": alarm["InstanceID"], "Interval": Interval(alarm["Interval"]) if alarm["Interval"] else None,
            "StartTime": Datetime(alarm["StartTime"]),
        }) for alarm in self.alarms]

    def _delete_occurrence(self, current, caller) -> None:
        self.alarms = [alarm for alarm in self.alarms if alarm["InstanceID"] != current.props["InstanceID"]]
        self.changed()

    def _add_alarm(self, instance, inputs, caller):
        if self.device.firmware.major < availability.FIRST_MAJOR[OCCURRENCE]:
            raise WsmanFault("ActionNotSupported")
        template = instance_input(inputs, "AlarmTemplate")
        if template is None:
            return result(INVALID_PARAMETER)
        instance_id = prop_text(template, "InstanceID", "")
        start = prop_text(template, "StartTime", "")
        interval = prop_text(template, "Interval")
        start_seconds = _seconds(start)
        if not instance_id or len(instance_id) > MAX_ID_LENGTH or start_seconds is None or start_seconds <= self.device.clock.now():
            return result(INVALID_PARAMETER)
        if interval is not None and not _INTERVAL.fullmatch(interval.strip()):
            return result(INVALID_PARAMETER)
        if any(alarm["InstanceID"] == instance_id for alarm in self.alarms):
            return result(DUPLICATE)
        if len(self.alarms) >= MAX_ALARMS:
            return result(MAX_LIMIT_REACHED)
        self.alarms.append({"InstanceID": instance_id, "ElementName": prop_text(template, "ElementName", instance_id),
                            "StartTime": start.strip(), "Interval": interval.strip() if interval else None,
                            "DeleteOnCompletion": prop_bool(template, "DeleteOnCompletion", True)})
        self.changed()
        return result(SUCCESS, ("AlarmClock", EPR(class_uri(OCCURRENCE), (("InstanceID", instance_id),))))
