"""Server-rendered pages with progressive JavaScript from static/."""

from flask import Blueprint

pages = Blueprint("pages", __name__, template_folder="../templates")

from workspace.pages import views  # noqa: E402,F401  (registers the routes)
