# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract every managed thing implements, and converge(), the one loop that drives it.

A Unit is built from the task's options for its thing, which it validates before anything is sent. converge() then
reads the device (through the client's per-run cache), plans the changes, describes before and after for --diff,
runs the unit's pre-write checks, and, unless in check mode, sends each change and reads it back. Every write is
recorded as a Write whose status says what is known of it, so that a failure half way still reports the truth:

  confirmed    the device acknowledged the write (verified: whether reading it back showed it)
  unconfirmed  the write was sent but its answer was lost, and reading back did not show it landed (a request whose
               answer was lost may still take effect after the read-back)
  refused      the device answered with an error

AmtModule.converge() turns an Outcome into a module result; the baseline module collects one Outcome per control.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    AmtError,
    DeviceError,
    IndeterminateError,
    InvalidInputError,
    TlsError,
    UnreachableError,
)

# How every secret is shown: in results, diffs and messages, never its value.
SECRET_MASK = "********"
SECRET_WRITTEN_MASK = "******** (written)"

CONFIRMED, UNCONFIRMED, REFUSED = "confirmed", "unconfirmed", "refused"
# Errors raised before a request left the controller: nothing reached the device.
NOT_SENT = (UnreachableError, TlsError)


def refuse(option, rule):
    """Refuse the task before anything is sent, naming the option and the rule it breaks."""
    raise InvalidInputError("%s: %s" % (option, rule))


class Unit:
    """One managed thing. Subclasses set `name` (the key of its state in results) and implement the methods below.

    A change is a dict with at least "action"; summary(change) is its one-line description for `actions`.
    """

    name = None

    def __init__(self, options):
        self.want = self.validate(options)

    def validate(self, options):
        """The normalised desired state; raises InvalidInputError naming the option and the rule."""
        raise NotImplementedError

    def read(self, client):
        """The device's current state (internal form), read through the client's cache."""
        raise NotImplementedError

    def describe(self, state):
        """State in the vocabulary of the module's options, secrets masked: what results and amt_info report."""
        raise NotImplementedError

    def plan(self, state):
        """The changes that bring the device to self.want, in the order they must be sent."""
        raise NotImplementedError

    def after(self, state, changes):
        """The state the device will be in once the changes are made."""
        raise NotImplementedError

    def diff(self, state, changes):
        return {"before": self.describe(state), "after": self.describe(self.after(state, changes))}

    def preflight(self, client, state, changes):
        """Checks that need the device (capabilities, rights) and must pass before the first write."""

    def summary(self, change):
        raise NotImplementedError

    def send(self, client, state, change):
        """Send one change. Raise AmtError if the device refuses it."""
        raise NotImplementedError

    def landed(self, client, change):
        """Whether the device now shows the change (the client dropped its cached reads when the change was sent)."""
        raise NotImplementedError


class Write:
    def __init__(self, action, status, verified):
        self.action = action
        self.status = status
        self.verified = verified

    def to_result(self):
        return {"action": self.action, "status": self.status, "verified": self.verified}


class Outcome:
    """What one unit or procedure did, whatever happened: the basis of its module result.

    planned holds the summaries of the changes it would make (check mode) or set out to make; writes what was sent;
    state the thing's state afterwards (set on success); diff before/after for --diff; extra further result fields,
    returned on failure too (a procedure's asset record, say); advice replaces the generic closing sentence of a failure.
    """

    def __init__(self, name, check_mode):
        self.name = name
        self.check_mode = check_mode
        self.planned = []
        self.diff = None
        self.state = None
        self.writes = []
        self.error = None
        self.extra = {}
        self.advice = None

    @property
    def changed(self):
        if self.check_mode:
            return bool(self.planned) and self.error is None
        return any(write.status in (CONFIRMED, UNCONFIRMED) for write in self.writes)

    @property
    def indeterminate(self):
        return any(write.status == UNCONFIRMED for write in self.writes)

    @property
    def actions(self):
        """Planned changes in check mode, otherwise the writes that reached the device (or may have)."""
        if self.check_mode:
            return list(self.planned)
        return [write.action for write in self.writes if write.status != REFUSED]

    def record(self, action, status, verified=None):
        self.writes.append(Write(action, status, verified))

    def result(self):
        """changed, actions, writes and, after success, the state under the unit's name."""
        result = dict(self.extra)
        result.update(changed=self.changed, actions=self.actions, writes=[write.to_result() for write in self.writes])
        if self.error is None and self.state is not None:
            result[self.name] = self.state
        return result

    def failure_message(self):
        """The error, then one sentence on what the device probably holds now and what to do."""
        confirmed = [write.action for write in self.writes if write.status == CONFIRMED]
        unconfirmed = [write.action for write in self.writes if write.status == UNCONFIRMED]
        if self.advice:
            return "%s. %s" % (self.error, self.advice)
        parts = []
        if confirmed:
            parts.append("made and acknowledged: %s" % "; ".join(confirmed))
        if unconfirmed:
            parts.append("sent but not confirmed, it may or may not be on the device: %s" % "; ".join(unconfirmed))
        if not parts:
            return str(self.error)
        return "%s. Changes %s. Re-run the task: it reads the device first and makes only what is still missing." % (
            self.error, "; ".join(parts))


def read_state(unit, client):
    """unit.read(client), with any value the device sent that the unit cannot interpret reported as device_error."""
    try:
        return unit.read(client)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise DeviceError("the device's answer for %s could not be interpreted (%s: %s)" % (unit.name, type(error).__name__, error)) from None


def describe_unit(unit, client):
    """The device's state of one unit, as its module names it: what amt_info reports."""
    return unit.describe(read_state(unit, client))


def _landed(unit, client, change):
    try:
        return unit.landed(client, change)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise DeviceError("reading back %s gave an answer that could not be interpreted (%s: %s)" % (
            unit.summary(change), type(error).__name__, error)) from None


def _write(unit, client, state, change, outcome):
    """Send one change and settle its status; raises AmtError (after recording the write) when the run must stop."""
    action = unit.summary(change)
    try:
        unit.send(client, state, change)
    except IndeterminateError as lost:
        try:
            landed = _landed(unit, client, change)
        except AmtError:
            outcome.record(action, UNCONFIRMED)
            raise lost from None
        if not landed:
            # A request whose answer was lost may still be in the device's hands: not showing yet is no refusal.
            outcome.record(action, UNCONFIRMED)
            raise IndeterminateError("the answer to '%s' was lost and reading back does not show it yet: it may still take effect"
                                     % action, class_name=lost.class_name, method=lost.method) from None
        outcome.record(action, CONFIRMED, verified=True)
        return
    except NOT_SENT:
        raise
    except AmtError:
        outcome.record(action, REFUSED)
        raise
    try:
        landed = _landed(unit, client, change)
    except AmtError as error:
        outcome.record(action, CONFIRMED, verified=False)
        raise type(error)("the device acknowledged '%s' but could not be read back: %s" % (action, error),
                          class_name=error.class_name, method=error.method, return_value=error.return_value,
                          return_name=error.return_name, fault=error.fault) from None
    if not landed:
        outcome.record(action, CONFIRMED, verified=False)
        raise DeviceError("the device acknowledged '%s' but does not show it when read back" % action)
    outcome.record(action, CONFIRMED, verified=True)


def converge(unit, client, check_mode):
    """Read, plan, check and (unless check_mode) apply one unit; never raises AmtError, which lands in outcome.error."""
    outcome = Outcome(unit.name, check_mode)
    try:
        state = read_state(unit, client)
        changes = unit.plan(state)
        outcome.planned = [unit.summary(change) for change in changes]
        outcome.diff = unit.diff(state, changes)
        if changes:
            unit.preflight(client, state, changes)
        if not check_mode:
            for change in changes:
                _write(unit, client, state, change, outcome)
        outcome.state = outcome.diff["after"]
    except AmtError as error:
        outcome.error = error
    return outcome
