"""Server-rendered pages with progressive JavaScript from static/. The
blueprint's own views are in views.py; the capabilities add theirs."""

from typing import Any

from flask import Blueprint

from workspace.auth import access

pages = Blueprint("pages", __name__, template_folder="../templates")


@pages.app_context_processor
def _access() -> dict[str, Any]:
    # Templates ask permission questions by name, as the views do.
    return {"access": access}
