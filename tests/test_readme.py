"""The README stays true: every environment variable the settings read is documented."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_in_settings_is_in_the_readme():
    settings_source = (ROOT / "helpdesk" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    read_by_settings = set(re.findall(r'(?:env\.\w+|_decimal)\("([A-Z_]+)"', settings_source))

    assert read_by_settings, "no environment variables found: the pattern no longer matches settings.py"
    undocumented = sorted(name for name in read_by_settings if f"`{name}`" not in readme)
    assert undocumented == []


def test_the_readme_starts_with_the_two_command_quick_start():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make demo" in quick_start
    assert "make test" in quick_start
