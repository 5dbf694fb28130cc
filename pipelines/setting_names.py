"""Settings named in messages: the engine names a setting, each front end shows it in its own words.

The monitors' engine is called by the command line, the sandbox and scheduled jobs with typed settings; its
messages name the setting at fault (``baseline.data_quality.statistics``) through ``setting``, and only
where a message is shown does a front end choose the words: ``pipelines.monitoring.cli`` shows its flags
(``--data-quality-statistics``), as moto's ``responses.py`` alone knows HTTP while ``models.py`` knows
nothing of it (issue 9). Shown without a front end, a setting reads as its own name.

A marked name is the setting between two ASCII unit separators (``\\x1f``): invisible and never in user
input, so no path or value can be mistaken for a setting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pipelines.errors import UserError

_MARK = "\x1f"
_MARKED = re.compile(f"{_MARK}([^{_MARK}]+){_MARK}")

# How a front end names a setting; the default is the setting's own name.
SettingNamer = Callable[[str], str]


def setting(name: str) -> str:
    """``name`` marked as a setting, for a message (``f"{setting('endpoint')} is required"``)."""
    return f"{_MARK}{name}{_MARK}"


def show(text: str, name: SettingNamer = str) -> str:
    """``text`` with every marked setting named by ``name``."""
    return _MARKED.sub(lambda match: name(match.group(1)), text)


def first_setting(text: str) -> str | None:
    """The first setting ``text`` names, if any."""
    match = _MARKED.search(text)
    return match.group(1) if match else None


class SettingsError(UserError):
    """Settings that cannot be used together or at all; each problem names its settings (``setting``).

    ``problems`` keep the marks (a front end names the settings its way); the exception's text names them
    as settings.
    """

    def __init__(self, problems: str | Iterable[str]) -> None:
        super().__init__(problems)
        self.args = ("\n".join(self.shown()),)

    def shown(self, name: SettingNamer = str) -> list[str]:
        return [show(problem, name) for problem in self.problems]


def shown_problems(error: UserError, name: SettingNamer = str) -> list[str]:
    """The problems of any user error, settings named by ``name``."""
    return [show(problem, name) for problem in error.problems]
