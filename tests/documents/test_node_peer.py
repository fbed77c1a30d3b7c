"""A Node peer (yjs + socket.io-client from npm) edits alongside a Python
peer and both converge: the protocol is the SPEC's, not Python-only."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.documents.peer import Peer
from tests.documents.test_documents_api import statement_of

HERE = Path(__file__).resolve().parent / "node_peer"


def node_or_skip() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = "node and npm are needed for the Node peer test"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    if not (HERE / "node_modules" / "yjs").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return node


def test_a_node_yjs_peer_and_a_python_peer_converge(make, api, live_server):
    node = node_or_skip()
    ws = make.workspace()
    doc = statement_of(api, ws)
    py = Peer(make.token(ws.partner), doc["id"], "python")
    py.connect(live_server.url)
    proc = subprocess.Popen(
        [
            node,
            str(HERE / "peer.mjs"),
            live_server.url,
            make.token(ws.owner),
            str(doc["id"]),
            "节点 Node 🟢 ",
            "8",
            "蟒蛇 Python 🐍 ",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def python_edits() -> None:
        rng = random.Random(7)
        for i in range(8):
            text = py.text()
            # Never the very end, so the template's last line stays last.
            starts = [0] + [k + 1 for k, ch in enumerate(text) if ch == "\n" and k + 1 < len(text)]
            py.insert(rng.choice(starts), f"蟒蛇 Python 🐍 {i}\n")
            time.sleep(0.01)

    editing = threading.Thread(target=python_edits)
    editing.start()
    out, err = proc.communicate(timeout=60)
    editing.join()
    assert proc.returncode == 0, err
    node_text = json.loads(out.strip().splitlines()[-1])["text"]
    py.wait_acked()
    wait_for(lambda: all(f"节点 Node 🟢 {i}\n" in py.text() for i in range(8)))
    final = py.text()
    # Both saw every edit of both, so both hold the very same text.
    assert node_text == final
    assert all(f"蟒蛇 Python 🐍 {i}\n" in final for i in range(8))
    assert final.endswith(doc["text"][-40:])
    assert api.as_(ws.owner).get(f"/documents/{doc['id']}").get_json()["text"] == final
    py.disconnect()
