"""`TRUSTED_PROXIES`: how many reverse proxies stand in front of the app.

Behind a proxy every request comes from the proxy's address, so per-address
login throttling would put every user in one bucket. With the count set, the
client's address, scheme and host are taken from the `X-Forwarded-For`,
`-Proto` and `-Host` headers that many proxies appended (Werkzeug's ProxyFix:
the Nth value from the right, so a client cannot pick its own address by
sending the header itself). Unset, those headers are ignored: trusting them
without a proxy would let any client choose its address.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def install(app: Flask, count: int) -> None:
    if count > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=0, x_prefix=0
        )
