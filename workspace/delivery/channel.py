"""What a channel provides to the engine: how to build the request for a
claimed item, and how to send it. The rest (claim, lease, retry policy,
settling) is the engine's and the same for every channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

Item = TypeVar("Item", contravariant=True)
Req = TypeVar("Req")
Answer = TypeVar("Answer")


class Channel(Protocol[Item, Req, Answer]):
    def build(self, item: Item) -> Req:
        """The request; raising means it cannot be made (failed for good)."""

    def send(self, request: Req) -> Answer:
        """One attempt; never raises: a failure is an answer."""


def attempt(
    channel: Channel[Item, Req, Answer],
    item: Item,
    unbuildable: Callable[[Exception], tuple[Req, Answer]],
) -> tuple[Req, Answer]:
    """Build (at the moment of sending: signatures carry fresh timestamps)
    and send; `unbuildable(err)` says what a request that could not be made
    is recorded as: an answer like any other, never an exception that would
    leave the row leased and retried without end."""
    try:
        request = channel.build(item)
    except Exception as err:
        return unbuildable(err)
    return request, channel.send(request)
