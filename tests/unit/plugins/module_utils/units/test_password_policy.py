# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units.password_policy import (
    check_password,
    check_username,
    digest_password,
    password_problems,
)
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError


@pytest.mark.parametrize("password", ["P@ssw0rd", "Aa1!" * 8, "Abc de1;", "x" * 5 + "Y1~"])
def test_strong_passwords_pass(password):
    assert password_problems(password) == []
    check_password("new_password", password)


@pytest.mark.parametrize("password, rule", [
    ("P@ss0r", "8 to 32 characters long (got 6)"),
    ("P@ssw0rd" * 4 + "x", "8 to 32 characters long (got 33)"),
    ("P@ssw0rd\u00e9", "printable 7-bit ASCII"),
    ("P@ssw0rd\t", "printable 7-bit ASCII"),
    ("P@ss:w0rd", "colon, comma or double quote"),
    ("P@ss,w0rd", "colon, comma or double quote"),
    ('P@ss"w0rd', "colon, comma or double quote"),
    ("P@ssword", "contain a digit"),
    ("P@SSW0RD", "contain a lower-case letter"),
    ("p@ssw0rd", "contain an upper-case letter"),
    ("Passw0rd", "contain a special character"),
    ("Pass_w0rd", "contain a special character"),
    ("Pass w0rd", "contain a special character"),
])
def test_each_rule_is_named_with_the_option(password, rule):
    with pytest.raises(InvalidInputError) as raised:
        check_password("mebx_password", password)
    message = str(raised.value)
    assert message.startswith("mebx_password does not meet AMT's password rule")
    assert rule in message
    assert password not in message


def test_unicode_digits_and_letters_do_not_count():
    problems = password_problems("\u0661\u00e9\u00c9!abcdefg")
    assert "contain a digit" in problems
    assert "contain an upper-case letter" in problems


@pytest.mark.parametrize("username", ["admin", "Admin", "amtadmin", "a", "x" * 16, "ops!team"])
def test_admin_names_accepted(username):
    check_username("new_username", username, reserved_allowed=True)


@pytest.mark.parametrize("username, rule", [
    ("", "1 to 16 characters"),
    ("x" * 17, "1 to 16 characters"),
    ("amt admin", "printable 7-bit ASCII characters without spaces"),
    ("adm\u00efn", "printable 7-bit ASCII characters without spaces"),
    ("a:b", "must not contain"),
    ("a<b", "must not contain"),
    ("a&b", "must not contain"),
    ("$$OsAdmin", "must not begin with $$"),
])
def test_username_rules(username, rule):
    with pytest.raises(InvalidInputError) as raised:
        check_username("new_username", username, reserved_allowed=True)
    assert str(raised.value).startswith("new_username ")
    assert rule in str(raised.value)


def test_reserved_names_refused_for_user_accounts():
    with pytest.raises(InvalidInputError, match="reserves for the administrator"):
        check_username("name", "admin", reserved_allowed=False)


def test_digest_password_is_base64_of_raw_md5():
    realm = "Digest:727734D63A1FC0423736E48DA554E462"
    expected = base64.b64encode(hashlib.md5(("admin:%s:P@ssw0rd" % realm).encode()).digest()).decode()
    assert digest_password("admin", realm, "P@ssw0rd") == expected
    assert len(base64.b64decode(expected)) == 16
