"""A readable device name from a User-Agent header, for the sessions list.

Only the common browsers and systems are told apart; anything else shows
its product token ("python-requests", "curl") or nothing. Order matters:
Edge and Opera also say "Chrome", Chrome also says "Safari", Android also
says "Linux".
"""

from __future__ import annotations

import re

_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/")),
    ("WeChat", re.compile(r"\bMicroMessenger/")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/")),
    ("Chromium", re.compile(r"\bChromium/")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
)
_SYSTEMS = (
    ("iOS", re.compile(r"\b(?:iPhone|iPad|iPod)\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("HarmonyOS", re.compile(r"\bHarmonyOS\b|\bOpenHarmony\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)
_PRODUCT = re.compile(r"^([A-Za-z][\w.-]{0,40})/")


def browser_and_system(user_agent: str | None) -> tuple[str | None, str | None]:
    """("Chrome", "Windows"), ("python-requests", None), (None, None)..."""
    ua = user_agent or ""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(ua)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(ua)), None)
    if browser is None and system is None:
        product = _PRODUCT.match(ua)
        if product and product.group(1) != "Mozilla":
            browser = product.group(1)
    return browser, system


def describe(user_agent: str | None) -> str:
    """English, for the API: "Chrome on Windows", "curl", "unknown"."""
    browser, system = browser_and_system(user_agent)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "unknown"
