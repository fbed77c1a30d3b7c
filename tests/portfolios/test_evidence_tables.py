"""A Markdown table in the agreed problem statement reaches the evidence PDF as a
table (its cells as text, no pipes or `---` separator lines), Chinese included."""

from __future__ import annotations

import io
import re

import pypdf

from tests.conftest import wait_for
from tests.documents.test_documents_api import statement_of
from tests.portfolios.builders import GOOD, add_indicators, agree_statement, milestone, run_trial
from tests.portfolios.test_evidence import _ready

STATEMENT = """# 背景 Background

Scrap from porosity is too high.

| 指标 Indicator | Target 目标 | Notes 说明 |
|---|:-:|---|
| porosity_scrap_pct | **< 2%** | 压铸件按批次抽检，每批次抽取十件，使用 X 射线检测 |
| cycle_time_s | 55 | |

After the table the text goes on.
"""


def test_a_statement_table_is_a_table_in_the_evidence_pdf(make, api, worker):
    ws = make.workspace(title="压铸气孔率攻关")
    doc = statement_of(api, ws)
    resp = api.as_(ws.owner).put(f"/documents/{doc['id']}/text", json={"text": STATEMENT})
    assert resp.status_code == 200, resp.get_json()
    agree_statement(api, ws)
    add_indicators(api, ws)
    m = milestone(
        api, ws, "良率达标 Yield on target", criteria={"indicators": "all", "consecutive_trials": 2}
    )
    run_trial(api, ws, GOOD)
    run_trial(api, ws, GOOD)

    wait_for(lambda: _ready(api, ws.owner, m["id"]), timeout=30)
    pdf = api.as_(ws.owner).get(f"/milestones/{m['id']}/evidence.pdf")
    assert pdf.status_code == 200
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    lines = [line.strip() for line in text.splitlines()]
    # Each cell is its own text, in the table's order; the inline marks are gone.
    for cell in (
        "指标 Indicator",
        "Target 目标",
        "Notes 说明",
        "porosity_scrap_pct",
        "< 2%",
        "cycle_time_s",
        "55",
    ):
        assert cell in lines, (cell, lines)
    assert "压铸件按批次抽检" in text and "X 射线检测" in text
    assert "**" not in text
    assert not any(
        re.fullmatch(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?", line) for line in lines
    ), lines
    assert not any(line.startswith("|") for line in lines), lines
    # The text around the table is still there, in order.
    assert (
        text.index("Scrap from porosity")
        < text.index("指标 Indicator")
        < text.index("After the table the text goes on.")
    )
