"""Files in the matrix's seeded world: one image attached to the running
trial (with its thumbnail made), fresh files for deletion, and the multipart
bodies of the upload and import routes (`{"_multipart": form}`, sent as
multipart/form-data by the matrix)."""

from __future__ import annotations

import io
from typing import Any


def png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def upload_body(world: Any, caller: str) -> dict[str, Any]:
    return {
        "_multipart": {
            "file": (io.BytesIO(b"matrix file " + world.unique("f").encode()), "matrix.txt")
        }
    }


def import_body(world: Any, caller: str) -> dict[str, Any]:
    csv = f"metric,value\n{world.indicator_key},93.5\n".encode()
    return {"_multipart": {"file": (io.BytesIO(csv), "line.csv")}}


def fresh_file(world: Any) -> int:
    return world.owner(
        "POST",
        f"/workspaces/{world.ids['workspace']}/files",
        201,
        data={"file": (io.BytesIO(world.unique("gone").encode()), "gone.txt")},
        content_type="multipart/form-data",
    )["id"]


def seed_files(world: Any) -> None:
    from workspace.files.thumbs import make_thumbnail

    f = world.owner(
        "POST",
        f"/workspaces/{world.ids['workspace']}/files",
        201,
        data={
            "file": (io.BytesIO(png()), "W-17 porosity.png"),
            "trial_id": str(world.ids["trial"]),
        },
        content_type="multipart/form-data",
    )
    world.ids["file"] = f["id"]
    with world.app.app_context():
        make_thumbnail(f["id"])
