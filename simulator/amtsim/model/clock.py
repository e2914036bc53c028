"""The device's own clock and AMT_TimeSynchronizationService.

Names, properties and values follow go-wsman-messages ``pkg/wsman/amt/timesynchronization`` and its captures
(Get, GetLowAccuracyTimeSynch, SetHighAccuracyTimeSynch) and MeshCommander ``amt-0.2.0.js``. The firmware clock runs
on from whatever a console last set; the model keeps its offset from the simulator host's clock. Unprovisioning
leaves the clock alone.

SetHighAccuracyTimeSynch(Ta0, Tm1, Tm2): Ta0 is the device time GetLowAccuracyTimeSynch gave out, Tm1 the console's
time when that answer arrived, Tm2 the console's time when it sends the new time. The device sets its clock to
Tm2 plus half of the time the exchange spent outside the console. Refusing a Ta0 the device did not hand out, or
Tm2 before Tm1, with INVALID_PARAMETER is our choice (UNCONFIRMED).
"""
from __future__ import annotations

import struct
import time

from amtsim.model import audit_records as events
from amtsim.model.codes import INVALID_PARAMETER, SUCCESS
from amtsim.model.component import Component, int_input, result
from amtsim.types import Instance

SERVICE = "AMT_TimeSynchronizationService"
LOCAL_TIME_SYNC_DEFAULT_TRUE = 0
TIME_SOURCE_BIOS_RTC, TIME_SOURCE_CONFIGURED = 0, 1


class Clock(Component):
    INSTANCES = {SERVICE: "_instances"}
    METHODS = {
        (SERVICE, "GetLowAccuracyTimeSynch"): "_get_low_accuracy",
        (SERVICE, "SetHighAccuracyTimeSynch"): "_set_high_accuracy",
    }
    STATE_FIELDS = ("offset", "time_source", "issued_ta0")

    def reset(self) -> None:
        self.offset = 0  # device seconds minus the simulator host's seconds
        self.time_source = TIME_SOURCE_BIOS_RTC
        self.issued_ta0 = []  # Ta0 values handed out and not yet used

    def now(self) -> int:
        """The device's time, seconds since 1970 UTC."""
        return int(time.time()) + self.offset

    def set_time(self, seconds: int, caller=None) -> None:
        self.offset = int(seconds) - int(time.time())
        self.time_source = TIME_SOURCE_CONFIGURED
        self.changed()
        self.device.audit.log(events.AMT_TIME_SET, caller, struct.pack(">I", int(seconds) & 0xFFFFFFFF))

    def _instances(self, caller) -> list:
        return [Instance(SERVICE, {
            "CreationClassName": SERVICE,
            "ElementName": "Intel(r) AMT Time Synchronization Service",
            "EnabledState": 5,
            "LocalTimeSyncEnabled": LOCAL_TIME_SYNC_DEFAULT_TRUE,
            "Name": "Intel(r) AMT Time Synchronization Service",
            "RequestedState": 12,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
            "TimeSource": self.time_source,
        })]

    def _get_low_accuracy(self, instance, inputs, caller):
        ta0 = self.now()
        # A few outstanding values are enough for consoles that read the clock twice before setting it.
        self.issued_ta0 = (self.issued_ta0 + [ta0])[-4:]
        self.changed()
        return result(SUCCESS, ("Ta0", ta0))

    def _set_high_accuracy(self, instance, inputs, caller):
        ta0, tm1, tm2 = (int_input(inputs, name) for name in ("Ta0", "Tm1", "Tm2"))
        if ta0 is None or tm1 is None or tm2 is None or ta0 not in self.issued_ta0 or tm2 < tm1:
            return result(INVALID_PARAMETER)
        outside_console = max(0, (self.now() - ta0) - (tm2 - tm1))
        self.issued_ta0 = []
        self.set_time(tm2 + outside_console // 2, caller)
        return result(SUCCESS)
