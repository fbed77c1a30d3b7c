"""Periodic: make the daily digests that are due (then sent as mail jobs)."""

from __future__ import annotations

from workspace.notifications.digest import send_due_digests


def run() -> int:
    return send_due_digests()


def run_now() -> int:
    """`scheduler run-once`: every digest that is waiting, whatever its hour."""
    return send_due_digests(every_waiting=True)
