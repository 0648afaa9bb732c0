"""The limits are named once (portal/limits.py); the README's table is that table."""
import re
from pathlib import Path

from portal.limits import LIMITS

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_limits() -> dict:
    section = README.read_text().split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `PORTAL_(\w+)` \| (.+?) \| (.+?) \|$", section, re.MULTILINE)
    return {setting: (default.strip("`"), meaning) for setting, default, meaning in rows}


def test_the_readme_lists_every_limit_with_its_default_and_meaning():
    assert readme_limits() == {limit.setting: (str(limit.default), limit.meaning) for limit in LIMITS}


def test_every_limit_is_a_setting_of_the_app(app):
    for limit in LIMITS:
        assert app.config[limit.setting] == limit.default


def test_a_limit_can_be_changed_by_the_environment(tmp_path, inbox, monkeypatch):
    from portal import create_app

    from conftest import test_settings

    monkeypatch.setenv("PORTAL_CODE_SENDS_PER_ADDRESS_PER_DAY", "3")
    app = create_app(test_settings(tmp_path, inbox.port), instance_path=str(tmp_path / "instance"))
    assert app.config["CODE_SENDS_PER_ADDRESS_PER_DAY"] == 3
