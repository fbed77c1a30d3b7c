"""The reader's time zone, one answer for pages, mails, digests and feeds.

A stored zone that is not an IANA name (typed before names were checked, or
dropped from the tz database since) reads as the zone a new account gets:
the people on this deployment work in China, so Asia/Shanghai is where such a
reader most likely is; UTC would shift every time they see by eight hours.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TIMEZONE = "Asia/Shanghai"


@cache
def _known() -> frozenset[str]:
    # "localtime" is the server's own zone and "Factory" a placeholder: neither
    # is a place a person is in, and browsers' Intl refuses them.
    return frozenset(available_timezones() - {"localtime", "Factory"})


def is_zone(name: object) -> bool:
    return isinstance(name, str) and name in _known()


def zone_name(name: str | None) -> str:
    """The IANA name to use for this stored value (Babel and Intl refuse a bad one)."""
    return name if is_zone(name) else DEFAULT_TIMEZONE  # type: ignore[return-value]


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(zone_name(name))
