# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_password end to end: ansible-playbook against simulated ACM and CCM devices over real loopback sockets.

Loopback range: 127.77.143.x and 127.78.143.x (ACM), 127.77.144.x and 127.78.144.x (CCM), 127.77.149.250 unreachable.
"""

from __future__ import annotations

import hashlib
import ssl

import certifi
import pytest

from conftest import device, run_cases, run_play, start_fleet

from ansible_collections.oob.amt.plugins.module_utils.units.password_policy import password_problems

ACM_FLEET = {"first_address": "127.77.143.1", "local_first_address": "127.78.143.1"}
CCM_FLEET = {"first_address": "127.77.144.1", "local_first_address": "127.78.144.1"}
# In 127.0.0.0/8 and outside every fleet's range: nothing listens there.
UNREACHABLE_ADDRESS = "127.77.149.250"
NEW_PASSWORD = "N3w-Adm1n!pass"
RENAMED_PASSWORD = "R3named~Adm1n"
MEBX_PASSWORD = "Mebx-P4ss;word"
CHECK_AND_DIFF = {"check_mode": True, "diff": True}


@pytest.fixture(scope="module")
def acm_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("password-acm"), 4, "acm", ACM_FLEET)
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def ccm_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("password-ccm"), 2, "ccm", CCM_FLEET)
    yield fleet
    fleet.stop()


def test_check_mode_and_diff_then_change_then_unchanged(acm_fleet, tmp_path):
    amt = device(acm_fleet, 0)
    old_password = amt.vars["amt_password"]
    rotate = amt.connection(new_password=NEW_PASSWORD)

    runs = run_play(tmp_path, acm_fleet.inventory_path, [
        ("check", "amt_password", rotate, CHECK_AND_DIFF),
        ("first", "amt_password", rotate),
        ("second", "amt_password", rotate),
        ("with the new password", "amt_password", amt.connection(password=NEW_PASSWORD, new_password=NEW_PASSWORD)),
    ], hosts=amt.name, diff=True)
    check = runs["check"]
    assert not check.get("failed"), check
    assert check["changed"] is True and check["admin_password_changed"] is True
    assert check["diff"] == {"before": {"admin_username": "admin", "admin_password": "********"},
                             "after": {"admin_username": "admin", "admin_password": "******** (written)"}}
    # Had check mode written the password, the first real run would find it set and report no change.
    assert runs["first"]["changed"] is True, runs["first"]
    assert runs["second"]["changed"] is False, runs["second"]
    assert "diff" in runs["second"] and runs["second"]["diff"]["before"] == runs["second"]["diff"]["after"]
    assert runs["with the new password"]["changed"] is False, runs["with the new password"]
    assert amt.authenticates("admin", NEW_PASSWORD) and not amt.authenticates("admin", old_password)
    for secret in (NEW_PASSWORD, old_password):
        assert secret not in runs.output


def test_rename_admin_and_keep_mebx_policy(acm_fleet, tmp_path):
    amt = device(acm_fleet, 1)
    rename = amt.connection(new_username="opsadmin", new_password=RENAMED_PASSWORD)
    mebx_always = amt.connection(username="opsadmin", password=RENAMED_PASSWORD, mebx_password=MEBX_PASSWORD, update_mebx_password="always")
    mebx_when_default = dict(mebx_always, update_mebx_password="when_default")
    runs = run_play(tmp_path, acm_fleet.inventory_path, [
        ("rename", "amt_password", rename),
        ("rename again", "amt_password", rename),
        ("mebx always", "amt_password", mebx_always),
        ("mebx when default", "amt_password", mebx_when_default),
    ], hosts=amt.name)
    assert runs["rename"]["changed"] is True and runs["rename"]["admin_username"] == "opsadmin", runs["rename"]
    assert any("now named 'opsadmin'" in warning for warning in runs["rename"]["warnings"])
    assert runs["rename again"]["changed"] is False and runs["rename again"]["admin_username"] == "opsadmin"
    assert runs["mebx always"]["changed"] is True and runs["mebx always"]["mebx_password_changed"] is True
    assert runs["mebx always"]["control_mode"] == "acm"
    # The ACM profile already has a non-default MEBx password, so when_default leaves it alone.
    assert runs["mebx when default"]["changed"] is False, runs["mebx when default"]
    assert amt.authenticates("opsadmin", RENAMED_PASSWORD) and not amt.authenticates("admin", amt.vars["amt_password"])
    assert MEBX_PASSWORD not in runs.output


# (case, module args, option named, rule, checked by): one case per rule of password.validate and password_policy (docs/amt-reference.md 4.1),
# each breaking that rule alone, and the module's argument spec ("ansible": checked before the module's own code runs).
MUST = "does not meet AMT's password rule: it must "
SPECIAL = "contain a special character other than '_' and space (for example ! $ ; ~)"
BAD_INPUT = [
    ("password_length", {"new_password": "Sh0rt!"}, "new_password", MUST + "be 8 to 32 characters long (got 6)", "module"),
    ("password_ascii", {"new_password": "Passw\u00f6rd-1"}, "new_password", MUST + "use only printable 7-bit ASCII characters", "module"),
    ("password_forbidden_character", {"new_password": "Pass:w0rd!"}, "new_password", MUST + "not contain a colon, comma or double quote", "module"),
    ("password_digit", {"new_password": "Password!"}, "new_password", MUST + "contain a digit", "module"),
    ("password_lower_case", {"new_password": "PASSW0RD!"}, "new_password", MUST + "contain a lower-case letter", "module"),
    ("password_upper_case", {"new_password": "passw0rd!"}, "new_password", MUST + "contain an upper-case letter", "module"),
    ("password_special", {"new_password": "Pass w0rd_1"}, "new_password", MUST + SPECIAL, "module"),
    ("mebx_password_rule", {"mebx_password": "Mebxpassw0rd"}, "mebx_password", MUST + SPECIAL, "module"),
    ("username_length", {"new_password": NEW_PASSWORD, "new_username": "a" * 17}, "new_username", "must be 1 to 16 characters long (got 17)",
     "module"),
    ("username_printable", {"new_password": NEW_PASSWORD, "new_username": "ops admin"}, "new_username",
     "must use only printable 7-bit ASCII characters without spaces", "module"),
    ("username_characters", {"new_password": NEW_PASSWORD, "new_username": "ops<1>"}, "new_username", "must not contain any of : , < > & \"",
     "module"),
    ("username_system_prefix", {"new_password": NEW_PASSWORD, "new_username": "$$ops"}, "new_username",
     "must not begin with $$, which AMT keeps for its system accounts", "module"),
    ("username_needs_password", {"new_username": "ops", "mebx_password": MEBX_PASSWORD}, "new_username",
     "missing parameter(s) required by 'new_username': new_password", "ansible"),
    ("something_to_do", {}, "new_password, mebx_password", "one of the following is required", "ansible"),
    ("update_mebx_password_choice", {"mebx_password": MEBX_PASSWORD, "update_mebx_password": "once"}, "update_mebx_password",
     "must be one of", "ansible"),
]


@pytest.fixture(scope="module")
def bad_input_results(acm_fleet, tmp_path_factory):
    """Every case as one host of one task, so that the cases run side by side; host -> result.

    The hostname has no listener: a module that sent anything would fail as unreachable instead of invalid_input.
    """
    cases = dict((case, args) for case, args, _option, _rule, _checked_by in BAD_INPUT)
    results, _output = run_cases(tmp_path_factory.mktemp("password-bad-input"), {"amt_password": {}}, cases,
                                 common_args=device(acm_fleet, 2).connection(hostname=UNREACHABLE_ADDRESS))
    return results["amt_password"]


@pytest.mark.parametrize("case, option, rule, checked_by", [(case, option, rule, checked_by) for case, _args, option, rule, checked_by in BAD_INPUT],
                         ids=[case for case, _args, _option, _rule, _checked_by in BAD_INPUT])
def test_bad_input_is_refused_naming_the_option_and_rule_before_sending(bad_input_results, case, option, rule, checked_by):
    result = bad_input_results[case]
    assert result["failed"] is True and result.get("changed", False) is False, result
    if checked_by == "module":
        assert result["error"] == "invalid_input", result
        # The whole message: one rule broken, that one named (a password breaking several gets them all).
        assert result["msg"] == "%s %s" % (option, rule), result["msg"]
    else:
        assert "error" not in result and option in result["msg"] and rule in result["msg"], result


# Passwords at the edges of docs/amt-reference.md 4.1: 8 and 32 characters, '~' as the only special character, '_' and space as the only others.
EDGE_PASSWORDS = ["Aa1!aaaa", "Aa1!" + "a" * 28, "Aa1!" + "a" * 29, "Aa1~aaaa", "Aa1_aaaa", "Aa1 aaaa", "Aa1!aaa"]


def test_the_firmware_refuses_with_2054_exactly_the_passwords_the_module_refuses(acm_fleet):
    """SetMEBxPassword answers INVALID_PASSWORD (2054) to a weak password: the module's rule must refuse each of those first."""
    amt = device(acm_fleet, 3)
    samples = [args[option] for _case, args, option, _rule, checked_by in BAD_INPUT if checked_by == "module" and option.endswith("password")]
    samples += EDGE_PASSWORDS
    client = amt.client()
    try:
        answers = dict((password, client.invoke("AMT_SetupAndConfigurationService", "SetMEBxPassword", [("Password", password)],
                                                check=False)["ReturnValue"]) for password in samples)
    finally:
        client.close()
    assert answers == dict((password, 2054 if password_problems(password) else 0) for password in samples)
    assert sorted(set(answers.values())) == [0, 2054]


def test_ccm_refuses_mebx_before_any_write(ccm_fleet, tmp_path):
    amt = device(ccm_fleet, 0)
    runs = run_play(tmp_path, ccm_fleet.inventory_path, [
        ("both", "amt_password", amt.connection(new_password=NEW_PASSWORD, mebx_password=MEBX_PASSWORD)),
    ], hosts=amt.name)
    result = runs["both"]
    assert result["failed"] is True and result["changed"] is False
    assert result["error"] == "not_permitted"
    assert "client control mode (CCM)" in result["msg"] and "Ctrl-P" in result["msg"]
    assert amt.authenticates("admin", amt.vars["amt_password"]), "the admin password must not change when the MEBx part is refused"


def test_device_refuses_a_name_that_a_user_account_has(ccm_fleet, tmp_path):
    amt = device(ccm_fleet, 1)
    amt.add_digest_user("operator", NEW_PASSWORD, realms=[2], access_permission=1)
    # operator's password is NEW_PASSWORD: the first try authenticates, but not as the admin, so it is no reason to stop.
    runs = run_play(tmp_path, ccm_fleet.inventory_path, [
        ("rename", "amt_password", amt.connection(new_username="operator", new_password=NEW_PASSWORD)),
    ], hosts=amt.name)
    result = runs["rename"]
    assert result["failed"] is True and result["changed"] is False
    assert result["return_name"] == "PT_STATUS_DUPLICATE" and result["return_value"] == 2058
    assert "'operator' is already the name of a user account" in result["msg"]
    assert amt.authenticates("admin", amt.vars["amt_password"])


def test_identity_credentials_and_tls_failures(acm_fleet, tmp_path):
    amt = device(acm_fleet, 2)
    pem = ssl.get_server_certificate((amt.vars["amt_hostname"], amt.vars["amt_tls_port"]))
    fingerprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
    runs = run_play(tmp_path, acm_fleet.inventory_path, [
        ("wrong uuid", "amt_password", amt.connection(new_password=NEW_PASSWORD, expected_uuid="11111111-2222-3333-4444-555555555555")),
        ("wrong password", "amt_password", amt.connection(password="Wr0ng-Passw0rd!", new_password=NEW_PASSWORD)),
        ("wrong fingerprint", "amt_password", amt.connection(new_password=NEW_PASSWORD, ca_path=None, cert_fingerprint="ab" * 32)),
        ("other CA", "amt_password", amt.connection(new_password=NEW_PASSWORD, ca_path=certifi.where())),
        ("pinned", "amt_password", amt.connection(new_password=NEW_PASSWORD, ca_path=None, cert_fingerprint=fingerprint,
                                                  expected_uuid=amt.vars["amt_uuid"])),
    ], hosts=amt.name)
    assert runs["wrong uuid"]["error"] == "identity_mismatch" and runs["wrong uuid"]["changed"] is False
    assert runs["wrong password"]["error"] == "authentication"
    assert "neither the desired credentials" in runs["wrong password"]["msg"]
    for refused in ("wrong fingerprint", "other CA"):
        assert runs[refused]["error"] == "tls" and runs[refused]["changed"] is False, runs[refused]
    assert runs["pinned"]["changed"] is True, runs["pinned"]
    assert amt.authenticates("admin", NEW_PASSWORD)
