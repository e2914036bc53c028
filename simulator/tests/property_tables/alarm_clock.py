"""Wake alarms (amtsim/model/alarm_clock.py).

"properties" are those the response recorded in go-wsman-messages (pkg/wsman/wsmantesting/responses)
carries; "optional" the further properties of the class's Go struct, which that recording omits."""
TABLE = {
    "AMT_AlarmClockService": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/amt/alarmclock/types.go",
        "properties": ["CreationClassName", "ElementName", "Name", "SystemCreationClassName", "SystemName"],
        "optional": ["AMTAlarmClockInterval", "NextAMTAlarmTime"],
    },
    "IPS_AlarmClockOccurrence": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/ips/alarmclock/types.go",
        "properties": ["DeleteOnCompletion", "ElementName", "InstanceID", "StartTime"],
        "optional": ["Interval"],
    },
}
