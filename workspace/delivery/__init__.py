"""One delivery engine for mail, `standard` webhooks and chat bots.

Every channel keeps its work on rows of its own table (`outgoing_mails`,
`webhook_deliveries`) with the same lease columns, and goes through the same
steps: claim due rows under a lease (`lease.py`, set-based, many rows in one
statement), build and send each request (the channel's `build` and `send`,
`channel.py`), then settle what came back under the same lease and the same
retry policy (`policy.py`: schedule × jitter, then give up). Channels differ
only in what a request is and how it goes out.
"""
