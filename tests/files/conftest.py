"""Storage backends for the files tests: the local folder, and S3 over HTTP
against moto's standalone server, started here on a free port."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

MOTO = Path(sys.executable).parent / "moto_server"


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(MOTO), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self) -> None:
        import requests

        # moto imports a great deal before it listens: generous on a busy machine.
        deadline = time.monotonic() + 100  # under the tests' 120 s timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.proc.returncode}")
            try:
                requests.get(self.url, timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("moto_server did not start")

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.url)


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoServer]:
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    server = MotoServer()
    try:
        server.wait()
        yield server
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=10)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def storage_backend() -> str:
    return "local"


@pytest.fixture
def settings_overrides() -> dict:
    return {}


@pytest.fixture
def settings(
    settings: Any, storage_backend: str, settings_overrides: dict, request: pytest.FixtureRequest
) -> Any:
    if settings_overrides:
        settings = settings.with_overrides(**settings_overrides)
    if storage_backend == "s3":
        moto = request.getfixturevalue("moto_s3")
        bucket = f"jl-{uuid.uuid4().hex[:12]}"
        moto.client().create_bucket(Bucket=bucket)
        return settings.with_overrides(storage_url=f"s3://{bucket}/files", s3_endpoint_url=moto.url)
    return settings


def stored_keys(app: Any, prefix: str = "sha256/") -> list[str]:
    from workspace.files.storage import storage

    with app.app_context():
        return sorted(k.key for k in storage().keys(prefix))


def staging_leftovers(app: Any) -> list[str]:
    from workspace.files.storage import storage

    with app.app_context():
        return sorted(p.name for p in storage().tmp.glob("up-*"))


def upload(
    api: Any, user: Any, ws_id: int, data: bytes, name: str = "x-ray.png", **fields: Any
) -> Any:
    form = {"file": (io.BytesIO(data), name), **{k: str(v) for k, v in fields.items()}}
    return api.as_(user).post(
        f"/workspaces/{ws_id}/files", data=form, content_type="multipart/form-data"
    )


from tests.portfolios.conftest import worker  # noqa: E402,F401  (background jobs fixture)
