# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_baseline's inputs checked before anything is sent: the controls, each control's settings against the catalog
(types and choices as the per-control modules take them, the catalog's defaults for what is left out), the secrets
and the exceptions. Every refusal names its place: `baseline.AMT-REDIR-03.user_consent: rule`."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.oob.amt.plugins.module_utils.baseline.catalog import BY_ID, ENFORCE_SETTING, IDS, SECRETS
from ansible_collections.oob.amt.plugins.module_utils.info import findings
from ansible_collections.oob.amt.plugins.module_utils.units.account_allowlist import allowed_accounts
from ansible_collections.oob.amt.plugins.module_utils.units.base import refuse
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

# Settings normalised further once their types are checked: the site lists amt_info's findings compare a device with,
# as amt_info normalises its options, and the allowed accounts, as amt_user checks its accounts option.
NORMALISED = {"allowed_provisioning_hashes": findings.provisioning_hash_allowlist, "accounts": allowed_accounts}

# The shape of each secret: a text, or a mapping of names to texts.
SECRET_MAPPINGS = ("mps_passwords", "account_passwords")


def _known(option, value):
    if value not in BY_ID:
        refuse(option, "unknown control id '%s'; known: %s" % (value, ", ".join(IDS)))


def selected_controls(controls):
    """The ids to judge, in catalog order: all of them when controls is None."""
    if controls is None:
        return list(IDS)
    for control_id in controls:
        _known("controls", control_id)
    return [control_id for control_id in IDS if control_id in controls]


def _validated_setting(option, name, spec, value):
    result = ArgumentSpecValidator({name: spec}).validate({name: value})
    if result.error_messages:
        refuse(option, "; ".join(result.error_messages))
    return result.validated_parameters[name]


def control_settings(control, given):
    """The control's settings: the given ones checked against the catalog's types and choices, defaults for the rest."""
    option = "baseline.%s" % control.id
    if given is None:
        given = {}
    if not isinstance(given, dict):
        refuse(option, "must be a mapping of setting names to values")
    for name in given:
        if name not in control.settings:
            known = ", ".join(sorted(control.settings))
            refuse("%s.%s" % (option, name), "unknown setting; %s takes %s" % (control.id, known))
    settings = control.defaults()
    for name, value in given.items():
        if value is not None:
            settings[name] = _validated_setting("%s.%s" % (option, name), name, control.settings[name], value)
    for name, normalise in NORMALISED.items():
        if name in control.settings:
            try:
                settings[name] = normalise(settings[name])
            except InvalidInputError as error:
                raise InvalidInputError("%s.%s" % (option, error)) from None
    return settings


def baseline_settings(baseline):
    """control id -> its settings, for every control of the catalog."""
    baseline = baseline or {}
    for control_id in baseline:
        _known("baseline", control_id)
    return dict((control_id, control_settings(BY_ID[control_id], baseline.get(control_id))) for control_id in IDS)


def checked_secrets(secrets):
    secrets = dict(secrets or {})
    for name, value in secrets.items():
        if name not in SECRETS:
            refuse("secrets.%s" % name, "unknown secret; known: %s" % ", ".join(SECRETS))
        if name in SECRET_MAPPINGS:
            if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
                refuse("secrets.%s" % name, "must be a mapping of names to texts")
        elif not isinstance(value, str):
            refuse("secrets.%s" % name, "must be a text")
    return secrets


def checked_exceptions(exceptions):
    exceptions = dict(exceptions or {})
    for control_id, reason in exceptions.items():
        _known("exceptions", control_id)
        if not isinstance(reason, str) or not reason.strip():
            refuse("exceptions.%s" % control_id, "needs a reason (a non-empty text): the report shows it")
    return dict((control_id, reason.strip()) for control_id, reason in exceptions.items())


def enforced(settings, enforce):
    """Whether a control's settings let it be changed: the task's enforce and the control's own."""
    return bool(enforce) and bool(settings[ENFORCE_SETTING])
