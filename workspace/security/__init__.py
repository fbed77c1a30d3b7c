"""Web-facing safety that sits around the routes rather than inside one: the
headers every response carries (CSP, HSTS), the proxy setting and what the
request logs may contain."""
