"""The admin speaks 简体中文 by default and English on request; the zh_Hans catalog is complete and compiled."""

import gettext
import importlib
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.admin.helpers import T0, dispatched

MESSAGES = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"
INDEX = "/admin/"
CHANGELIST = "/admin/disputes/helprequest/"


@pytest.fixture
def chinese_default(settings):
    """Undo the suite-wide English pin (tests/conftest.py): requests without a language choice get the site default."""
    settings.LANGUAGE_CODE = importlib.import_module("backoffice.settings").LANGUAGE_CODE


@pytest.fixture
def root_client(client, db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-1"))
    return client


# Language of the pages ------------------------------------------------------------------------------------------


def test_the_project_default_language_is_simplified_chinese():
    project = importlib.import_module("backoffice.settings")
    assert project.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in project.LANGUAGES] == ["zh-hans", "en"]


def test_admin_index_is_in_chinese_by_default(chinese_default, root_client):
    html = root_client.get(INDEX).content.decode()
    assert '<html lang="zh-hans"' in html
    assert "售后客服后台" in html  # site header
    assert "工单、账务与规则参数" in html  # index title
    for plural in ("一键求助", "不可抗力申请", "退款申请", "客服介入", "商家违规", "买家积分流水", "规则参数"):
        assert plural in html, plural
    assert "One-click help requests" not in html
    assert "After-sales back office" not in html


def test_help_request_changelist_is_in_chinese_by_default(chinese_default, root_client, buyer, item):
    dispatched(buyer=buyer, item=item)
    # Ten minutes after T0 (10:00 Beijing): the 1-hour deadline (11:00) is 50 minutes away.
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        html = root_client.get(CHANGELIST).content.decode()
    assert "<title>选择一键求助查看 | 售后客服后台</title>" in html  # Django zh_Hans "Select %s to view" + ours
    assert "工作队列" in html  # the queue filter
    assert "待给解决方案" in html  # ... and one of its queues
    assert "订单号" in html and "买家手机号" in html and "下一个时限" in html  # column headers
    # The state choice carries the Chinese term in its English label; the Chinese page shows only the term.
    assert "待给方案" in html
    assert "Awaiting solution (待给方案)" not in html
    assert "1小时时限剩余50分钟" in html  # the countdown badge, a python-format string
    assert "送货入户并安装" in html and "Delivery into the home and installation" not in html


def test_policy_labels_are_shown_in_chinese(chinese_default, root_client):
    # Policy labels are gettext_noop'd in policy_defaults.py and translated when displayed.
    html = root_client.get(reverse("admin:disputes_policy_changelist"), {"group__exact": "help"}).content.decode()
    assert "一键求助：距截止不足此时长即预警" in html
    assert "Help request: at risk when due within" not in html


def test_accept_language_en_gives_the_english_admin(chinese_default, root_client):
    html = root_client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in html
    assert "One-click help requests" in html
    assert "After-sales back office" in html
    assert "售后客服后台" not in html


def test_set_language_switches_the_admin_to_english_and_back(chinese_default, root_client):
    response = root_client.post(reverse("set_language"), {"language": "en", "next": CHANGELIST})
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    html = root_client.get(INDEX).content.decode()
    assert "One-click help requests" in html
    assert "售后客服后台" not in html

    root_client.post(reverse("set_language"), {"language": "zh-hans", "next": INDEX})
    html = root_client.get(INDEX).content.decode()
    assert "一键求助" in html
    assert "One-click help requests" not in html


# The switcher ---------------------------------------------------------------------------------------------------


def _switcher(html: str) -> str:
    found = re.search(r'<form id="language-switcher".*?</form>', html, re.S)
    assert found, "language switcher form missing"
    return found.group(0)


@pytest.mark.parametrize("path", [INDEX, CHANGELIST, "/admin/disputes/policy/?group__exact=help"])
def test_admin_pages_carry_a_language_switcher_that_returns_to_the_page(chinese_default, root_client, path):
    form = _switcher(root_client.get(path).content.decode())
    assert 'action="/i18n/setlang/"' in form
    assert 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    expected_next = path.replace("&", "&amp;")
    assert f'<input name="next" type="hidden" value="{expected_next}">' in form
    options = re.findall(r'<option value="([^"]+)"[^>]*?( selected)?>([^<]+)</option>', form)
    assert options == [("zh-hans", " selected", "简体中文"), ("en", "", "English")]
    assert "语言" in form  # the label, in the current language


def test_the_switcher_marks_english_when_english_is_active(chinese_default, root_client):
    form = _switcher(root_client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    options = re.findall(r'<option value="([^"]+)"[^>]*?( selected)?>([^<]+)</option>', form)
    assert options == [("zh-hans", "", "简体中文"), ("en", " selected", "English")]
    assert "Language" in form


def test_the_login_page_is_translated_without_the_switcher(chinese_default, client, db):
    html = client.get("/admin/login/").content.decode()
    assert "售后客服后台" in html
    assert 'id="language-switcher"' not in html  # user tools only show to signed-in staff


# The catalog ----------------------------------------------------------------------------------------------------


def _unquote(chunk: str) -> str:
    return "".join(
        bytes(m, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
        for m in re.findall(r'"((?:[^"\\]|\\.)*)"', chunk)
    )


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file (obsolete `#~` entries dropped): flags, msgid, msgstr, and `key`, the msgid as
    gettext stores it (``context\x04msgid`` for an entry with a msgctxt, ``(msgid, 0)`` for a plural one)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        flags = " ".join(line for line in lines if line.startswith("#,"))
        body = "\n".join(line for line in lines if not line.startswith("#"))
        msgid = _unquote(re.search(r"^msgid (.*?)(?=^(?:msgid_plural|msgstr))", body, re.S | re.M).group(1))
        msgstr = re.search(r"^msgstr(?:\[0\])? (.*)", body, re.S | re.M).group(1)
        context = re.search(r"^msgctxt (.*?)(?=^msgid )", body, re.S | re.M)
        key = f"{_unquote(context.group(1))}\x04{msgid}" if context else msgid
        if re.search(r"^msgid_plural ", body, re.M):
            key = (key, 0)  # gettext keeps a plural entry's one Chinese form under (msgid, 0)
        entries.append({"flags": flags, "msgid": msgid, "msgstr": _unquote(msgstr), "key": key})
    return entries


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = [e for e in read_po(PO) if e["msgid"]]  # the "" entry is the header
    assert len(entries) > 500
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    assert [e["msgid"] for e in entries if not e["msgstr"].strip()] == []
    # Choice labels carry their Chinese term in parentheses; the Chinese page shows the term alone.
    translations = {e["msgid"]: e["msgstr"] for e in entries}
    assert translations["Refund only (仅退款)"] == "仅退款"
    assert translations["one-click help requests"] == "一键求助"


def test_placeholders_survive_translation():
    for entry in read_po(PO):
        for pattern in (r"%\(\w+\)[sd]", r"\{\w*\}"):
            assert sorted(re.findall(pattern, entry["msgid"])) == sorted(re.findall(pattern, entry["msgstr"])), entry


def test_msgfmt_accepts_the_catalog():
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext (msgfmt) is not installed")
    result = subprocess.run(
        [msgfmt, "--check-format", "--statistics", "-o", os.devnull, str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr


def test_the_compiled_catalog_matches_the_po():
    """The committed .mo holds exactly the .po's translations, i.e. compilemessages ran after the last edit.
    (Compared by content, not mtime: a fresh clone writes both files in arbitrary order.)"""
    with MO.open("rb") as handle:
        compiled = dict(gettext.GNUTranslations(handle)._catalog)  # the raw catalog is what we compare
    compiled.pop("", None)
    expected = {e["key"]: e["msgstr"] for e in read_po(PO) if e["msgid"]}
    assert compiled == expected
    assert MO.stat().st_mtime >= PO.stat().st_mtime - 2  # and not clearly older (slack for checkout order)


def test_an_intervention_claim_is_the_partys_demand_not_an_application():
    """ "claim" means two things in English: a force-majeure claim (申请) and what a party asks for (诉求)."""
    from django.utils import translation

    from disputes.models import ForceMajeureEvidence, Intervention

    with translation.override("zh-hans"):
        assert str(Intervention._meta.get_field("claim").verbose_name) == "诉求"
        assert str(ForceMajeureEvidence._meta.get_field("claim").verbose_name) == "申请"
