"""Which firmware generations serve a class at all; a class a generation lacks is unknown there.

Sources: MeshCommander asks for IPS_IPv6PortSettings only from AMT 6 and for IPS_ScreenConfigurationService and
IPS_PowerManagementService only from AMT 10; in intel/lms (CIM_Framework/CIMFramework/CPPClasses/Include) the
IPS_ScreenConfigurationService MOF is version 10.0.0 and AMT_AlarmClockService's AddAlarm, which creates
IPS_AlarmClockOccurrence instances, comes with its MOF 8.0.0, as IPS_HostBootReason (which names alarms) does.
"""
from __future__ import annotations

from amtsim.types import WsmanFault

FIRST_MAJOR = {
    "IPS_IPv6PortSettings": 6,
    "IPS_ScreenConfigurationService": 10,
    "IPS_PowerManagementService": 10,
    "IPS_AlarmClockOccurrence": 8,
    "IPS_HostBootReason": 8,
}


def require_class(device, class_name: str) -> None:
    """Answer as for an unknown class when the device's firmware predates the class."""
    if device.firmware.major < FIRST_MAJOR.get(class_name, 0):
        raise WsmanFault("DestinationUnreachable")
