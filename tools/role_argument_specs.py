# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""roles/amt_hardening/meta/argument_specs.yml, rendered from the baseline catalog and the role's defaults.

Each control variable is declared with the catalog's settings (types, choices, defaults) as suboptions, so that Ansible
checks a site's values when the role starts; its description joins the catalog's title, severity and fix with the
reason written above the variable in defaults/main.yml (the one place for the reasons).

Usage, with the directory holding ansible_collections/ on PYTHONPATH (a staged copy, tools/stage-collection.sh):
  python tools/role_argument_specs.py            print the file
  python tools/role_argument_specs.py --write    write it
tests/unit/tools/test_role_table.py fails when the file is not what this renders.
"""

from __future__ import annotations

import argparse
import copy
import pathlib
import re
import sys

import yaml

from ansible_collections.oob.amt.plugins.module_utils.baseline import catalog

ROOT = pathlib.Path(__file__).resolve().parents[1]
ROLE = ROOT / "roles" / "amt_hardening"
SPECS = ROLE / "meta" / "argument_specs.yml"
DEFAULTS = ROLE / "defaults" / "main.yml"

_REASON = re.compile(r"^# (AMT-[A-Z]+-[0-9]+)(?: \((?:manual|observed)\))?: (.+)$", re.M)
_BASELINE = "O(oob.amt.amt_baseline#module:%s)"
# Markdown code in the catalog's notes, shown as ansible-doc's C() markup.
_CODE = re.compile(r"`([^`]+)`")
_CONNECTION_NOTE = "A connection variable, usually set in the inventory; not set leaves the module's default."

DESCRIPTION = [
    "Converges the controls of the collection's hardening catalog (docs/hardening-controls.md) on every AMT device of the"
    " play with one M(oob.amt.amt_baseline) run per device, then writes one fleet report with"
    " M(oob.amt.amt_baseline_report) on the controller.",
    "Check mode sends no write to the devices and reports the drift; the report is written in check mode too.",
    "The connection comes from the inventory variables the amtsim inventory uses: O(amt_hostname), O(amt_username),"
    " O(amt_password), O(amt_use_tls), O(amt_ca_path) and the others below.",
    "With C(serial), every batch of the play updates one report; hosts of batches that have not run yet are listed as not"
    " reached, not as unreachable.",
]

# (variable, type, description) of the inventory variables the role passes to amt_baseline's connection options.
CONNECTION = (
    ("amt_hostname", "str", "Address of the device's remote WS-Management interface (%s)." % (_BASELINE % "hostname")),
    ("amt_username", "str", "Digest user name (%s)." % (_BASELINE % "username")),
    ("amt_password", "str", "Digest password of O(amt_username) (%s). Keep it in a vault." % (_BASELINE % "password")),
    ("amt_use_tls", "bool", "Talk HTTPS to the device (%s)." % (_BASELINE % "use_tls")),
    ("amt_port", "int", "WS-Management port when not the default of O(amt_use_tls) (%s)." % (_BASELINE % "port")),
    ("amt_ca_path", "path", "PEM file of the CAs that issued the devices' TLS certificates (%s)." % (_BASELINE % "ca_path")),
    ("amt_validate_certs", "bool", "Verify the device's certificate (%s)." % (_BASELINE % "validate_certs")),
    ("amt_cert_fingerprint", "str", "SHA-256 fingerprint of the device's certificate, instead of a CA (%s)."
     % (_BASELINE % "cert_fingerprint")),
    ("amt_client_cert", "path", "PEM client certificate for mutual TLS (%s)." % (_BASELINE % "client_cert")),
    ("amt_client_key", "path", "PEM private key of O(amt_client_cert) (%s)." % (_BASELINE % "client_key")),
    ("amt_timeout", "int", "Seconds a request may take (%s)." % (_BASELINE % "timeout")),
    ("amt_uuid", "str", "The device's UUID, checked before anything is sent when O(amt_hardening_check_uuid=true)."),
)


class _IndentedDumper(yaml.SafeDumper):
    """Lists indented under their key, as yamllint (and so ansible-lint) wants them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def control_defaults(control):
    """The catalog's default of each setting that has one, as defaults/main.yml gives it."""
    return dict((name, value) for name, value in control.defaults().items()
                if value is not None and name != catalog.ENFORCE_SETTING)


def _setting(spec, description):
    option = {"description": list(description)}
    for key in ("type", "elements", "choices", "required", "default"):
        if key in spec:
            option[key] = copy.deepcopy(spec[key])
    if "options" in spec:
        option["options"] = dict((name, _setting(sub, ["See %s." % (_BASELINE % "baseline")]))
                                 for name, sub in spec["options"].items())
    return option


def _control(control, reason):
    description = ["%s (%s severity): %s." % (control.id, control.severity, control.title), "Why: %s." % reason]
    if control.mode == catalog.MANUAL:
        description.append("A manual control: reported as C(manual) with what to do (%s)." % (control.manual_reason or control.fix))
    elif control.mode == catalog.OBSERVE:
        description.append("Observed only: reported as C(compliant) or C(drifted) with the fix (%s)" % control.fix)
    else:
        description.append("Enforced with the settings of M(oob.amt.%s)." % control.module)
        if control.requires:
            description.append("Only observed until these are given: %s."
                               % ", ".join(name.replace("|", " or ") for name in control.requires))
        if control.note:
            note = _CODE.sub(r"C(\1)", control.note)
            description.append("%s%s." % (note[0].upper(), note[1:]))
    see = ["See %s and M(oob.amt.%s)." % (_BASELINE % "baseline", control.module)] if control.module else []
    settings = dict((name, _setting(spec, see)) for name, spec in control.settings.items())
    settings[catalog.ENFORCE_SETTING]["description"] = ["V(false) observes this control only."]
    return {"type": "dict", "default": control_defaults(control), "description": description, "options": settings}


def render(defaults_text):
    reasons = dict(_REASON.findall(defaults_text))
    options = {
        "amt_hardening_controls": {"type": "list", "elements": "str", "default": list(catalog.IDS), "description": [
            "Control ids to judge and enforce, by default every control of the catalog.",
            "An unknown id is refused by M(oob.amt.amt_baseline) before anything is sent."]},
        "amt_hardening_enforce": {"type": "bool", "default": True, "description": [
            "V(false) observes only: drift is reported as C(drifted) and nothing is written, even outside check mode."]},
        "amt_hardening_exceptions": {"type": "dict", "default": {}, "description": [
            "Control id -> reason (a non-empty string), set per host or group. An excepted control is read and reported as"
            " C(excepted) with its reason, never changed."]},
        "amt_hardening_secrets": {"type": "dict", "default": {}, "no_log": True, "description": [
            "Write-only values some controls need, never logged: %s." % ", ".join("C(%s)" % name for name in catalog.SECRETS),
            "See %s." % (_BASELINE % "secrets")]},
        "amt_hardening_report_dir": {"type": "path", "description": [
            "Directory on the controller for the fleet report; C(amt-baseline-reports) beside the playbook when not set."]},
        "amt_hardening_check_uuid": {"type": "bool", "default": True, "description": [
            "Pass the inventory's O(amt_uuid) as %s, so that a device whose address now belongs to another machine is"
            " refused." % (_BASELINE % "expected_uuid")]},
    }
    for name, kind, description in CONNECTION:
        options[name] = {"type": kind, "description": [description, _CONNECTION_NOTE]}
    options["amt_hostname"]["required"] = True
    options["amt_password"]["no_log"] = True
    for control in catalog.CONTROLS:
        if control.id not in reasons:
            raise ValueError("defaults/main.yml has no '# %s: reason' line above %s" % (control.id, control.variable))
        options[control.variable] = _control(control, reasons[control.id])
    document = {"argument_specs": {"main": {
        "short_description": "Enforce and report the Intel AMT hardening baseline across a fleet",
        "description": DESCRIPTION, "author": ["oob.amt contributors"], "options": options}}}
    return "---\n" + yaml.dump(document, Dumper=_IndentedDumper, sort_keys=False, width=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write %s" % SPECS.relative_to(ROOT))
    args = parser.parse_args(argv)
    text = render(DEFAULTS.read_text(encoding="utf-8"))
    if args.write:
        SPECS.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
