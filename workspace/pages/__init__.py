"""Server-rendered pages with progressive JavaScript from static/."""

from typing import Any

from flask import Blueprint

pages = Blueprint("pages", __name__, template_folder="../templates")


@pages.app_context_processor
def _access() -> dict[str, Any]:
    # Templates ask permission questions by name, as the views do.
    from workspace.auth import access

    return {"access": access}


from workspace.pages import views  # noqa: E402,F401  (registers the routes)
