"""The evidence pack as PDF, with reportlab.

Why reportlab: it is pure Python on PyPI (no system libraries such as
Cairo/Pango that WeasyPrint needs), it draws charts itself
(reportlab.graphics), and its built-in CID font STSong-Light renders Chinese
without shipping a font file: the viewer's Adobe-GB1 font does the drawing.
Labels are bilingual because the pack goes to both sides and to funders.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from workspace.documents.render import split_tables
from workspace.safe_text import for_pdf, for_pdf_plain

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=11)
H1 = ParagraphStyle("h1", parent=BODY, fontSize=17, leading=22, spaceAfter=6)
H2 = ParagraphStyle("h2", parent=BODY, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4)
MONO = ParagraphStyle("hash", parent=BODY, fontName="Courier", fontSize=8.5)
SERIES = [colors.HexColor(c) for c in ("#0b6bcb", "#b35c00", "#2e7d32", "#8e24aa")]


def _p(text: Any, style: ParagraphStyle = BODY, multiline: bool = True) -> Paragraph:
    return Paragraph(for_pdf(text if text is not None else "—", multiline=multiline), style)


def _table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    # Cells hold titles, names and values: one line each.
    cells = [
        [c if isinstance(c, Paragraph) else _p(c, SMALL, multiline=False) for c in row]
        for row in rows
    ]
    t = Table(cells, colWidths=widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#c9d1db")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return t


def _chart(indicator: dict[str, Any], trials: list[dict[str, Any]]) -> Drawing | None:
    """The indicator's aggregate per trial against its target line."""
    key = indicator["key"]
    values = [(t.get("results") or {}).get(key, {}).get("value") for t in trials]
    if not any(v is not None for v in values):
        return None
    drawing = Drawing(170 * mm, 55 * mm)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 15 * mm, 10 * mm, 140 * mm, 38 * mm
    series = [v if v is not None else None for v in values]
    chart.data = [series, [indicator["target"]] * len(series)]
    chart.categoryAxis.categoryNames = [f"#{t['number']}" for t in trials]
    chart.categoryAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontName = FONT
    known = [v for v in series if v is not None] + [indicator["target"]]
    low, high = min(known), max(known)
    pad = (high - low) * 0.15 or abs(high) * 0.1 or 1
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = low - pad, high + pad
    chart.lines[0].strokeColor, chart.lines[0].strokeWidth = SERIES[0], 1.6
    chart.lines[1].strokeColor, chart.lines[1].strokeDashArray = colors.HexColor("#c62828"), (3, 2)
    drawing.add(chart)
    drawing.add(
        String(
            15 * mm,
            51 * mm,
            for_pdf_plain(f"{indicator['label']} ({key}) {indicator['unit']}"),
            fontName=FONT,
            fontSize=9,
        )
    )
    legend = Legend()
    legend.x, legend.y, legend.fontName, legend.fontSize = 120 * mm, 54 * mm, FONT, 7
    legend.colorNamePairs = [
        (SERIES[0], "value 值"),
        (
            colors.HexColor("#c62828"),
            f"target 目标 {indicator['comparator']} {indicator['target']}",
        ),
    ]
    legend.alignment = "right"
    drawing.add(legend)
    drawing.add(Line(0, 1, 170 * mm, 1, strokeColor=colors.HexColor("#eef1f5")))
    return drawing


def _statement(statement: dict[str, Any] | None) -> list[Any]:
    out: list[Any] = [_p("Agreed problem statement · 双方确认的问题陈述", H2)]
    if statement is None:
        return out + [
            _p(
                "No agreed version of the problem statement was found. "
                "未找到双方确认的问题陈述版本。"
            )
        ]
    out.append(
        _p(
            f"{statement['title']} — version 版本 “{statement['label']}” "
            f"({statement['created_at']})",
            SMALL,
            multiline=False,
        )
    )
    rows = [["Approved by 批准人", "Side 方", "At 时间"]]
    rows += [[a["name"], a["side"], a["at"]] for a in statement["approvals"]]
    out += [Spacer(0, 3), _table(rows, [60 * mm, 40 * mm, 70 * mm]), Spacer(0, 6)]
    for part in split_tables(statement["text"]):
        if isinstance(part, list):
            out += [Spacer(0, 3), _text_table(part), Spacer(0, 3)]
            continue
        for block in part.split("\n\n"):
            if block.strip():
                style = H2 if block.lstrip().startswith("#") else BODY
                out.append(_p(block.strip().lstrip("#").strip() if style is H2 else block, style))
    return out


TEXT_WIDTH = 170 * mm  # A4 less the margins


def _text_table(rows: list[list[str]]) -> Table:
    """A Markdown table of the statement: header row shaded and repeated on a new page,
    columns sharing the width, long cells wrapping inside them."""
    columns = max(len(row) for row in rows)
    cells = [[_p(cell, SMALL) for cell in row] + [""] * (columns - len(row)) for row in rows]
    return _table(cells, [TEXT_WIDTH / columns] * columns)


def _trials(data: dict[str, Any]) -> list[Any]:
    out: list[Any] = [_p("Trials that met the criteria · 满足验收条件的试验", H2)]
    trials = data["trials"]
    if not trials:
        return out + [
            _p("No completed trial supports this milestone. 没有支撑该里程碑的已完成试验。")
        ]
    keys = [i["key"] for i in data["indicators"]]
    rows = [["Trial 试验", "Line / batch 产线/批次", "Outcome 结论"] + keys]
    for t in trials:
        results = t["results"] or {}
        rows.append(
            [f"#{t['number']} {t['title']}", f"{t['line']} / {t['batch']}", t["outcome"]]
            + [
                "—"
                if key not in results
                else f"{results[key].get('value')} {'✓' if results[key].get('met') else '✗'}"
                for key in keys
            ]
        )
    out.append(_table(rows))
    for indicator in data["indicators"][:6]:
        chart = _chart(indicator, trials)
        if chart is not None:
            out += [Spacer(0, 4), chart]
    for t in trials:
        out.append(
            _p(
                f"Trial 试验 #{t['number']} — measurements 测量值 "
                f"({t['started_at']} → {t['finished_at']})",
                H2,
            )
        )
        stats = [["Metric 指标", "n", "mean 均值", "min", "max"]]
        stats += [
            [k, s["count"], _num(s["mean"]), _num(s["min"]), _num(s["max"])]
            for k, s in t["stats"].items()
        ]
        out.append(_table(stats))
        if t["measurements"]:
            rows = [["Metric 指标", "Value 值", "Recorded 记录时间", "Source 来源"]]
            rows += [
                [m["metric"], _num(m["value"]), m["at"], m["source"] or ""]
                for m in t["measurements"]
            ]
            out += [Spacer(0, 3), _table(rows, [35 * mm, 30 * mm, 60 * mm, 45 * mm])]
            if t["measurements_truncated"]:
                out.append(_p("(first measurements only · 仅列出前若干条)", SMALL))
    return out


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:.6g}"


MAX_IMAGES = 12


def _files(files: list[dict[str, Any]], images: dict[str, bytes]) -> list[Any]:
    """The files table (with SHA-256, so a reader can check a copy) and the
    pictures among them, from their bounded thumbnails."""
    if not files:
        return []
    out: list[Any] = [_p("Files · 文件", H2)]
    rows = [["Name 文件名", "Attached to 关联", "Size 大小", "SHA-256"]]
    rows += [[f["name"], f["attached_to"], f"{f['size']:,}", _p(f["sha256"], MONO)] for f in files]
    out.append(_table(rows, [50 * mm, 25 * mm, 20 * mm, 75 * mm]))
    shown = 0
    for f in files:
        png = images.get(f["sha256"])
        if png is None or shown >= MAX_IMAGES:
            continue
        picture = Image(io.BytesIO(png))
        scale = min(80 * mm / picture.imageWidth, 80 * mm / picture.imageHeight, 1.0)
        picture.drawWidth, picture.drawHeight = (
            picture.imageWidth * scale,
            picture.imageHeight * scale,
        )
        out += [Spacer(0, 4), picture, _p(f"{f['name']} · {f['sha256'][:16]}…", SMALL)]
        shown += 1
    return out


def render_pdf(data: dict[str, Any], digest: str, images: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    m, ws = data["milestone"], data["workspace"]
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=for_pdf_plain(f"Acceptance evidence · {m['title']}"),
        author="JointLab",
    )
    funding = data["funding"]
    story: list[Any] = [
        _p("Acceptance evidence pack · 验收证据包", H1),
        _table(
            [
                ["Workspace 工作空间", ws["title"]],
                ["Parties 双方", f"{ws['enterprise']} × {ws['university']}"],
                ["Milestone 里程碑", m["title"]],
                ["Due 截止日期", m["due_date"] or "—"],
                ["Reached 达成时间", m["reached_at"] or "—"],
                [
                    "Criteria 判定条件",
                    "by hand 人工确认"
                    if not m["criteria"]
                    else f"{m['criteria']['consecutive_trials']} consecutive trials 连续试验, "
                    f"indicators 指标: {m['criteria']['indicators']}",
                ],
                [
                    "Funding tranche 拨款",
                    "—" if funding is None else f"{funding['amount']} {funding['currency']}",
                ],
            ],
            [45 * mm, 125 * mm],
        ),
        Spacer(0, 6),
        _p("Content hash (SHA-256 of the evidence data) · 内容哈希", SMALL),
        _p(digest, MONO),
    ]
    if m["description"]:
        story += [Spacer(0, 4), _p(m["description"])]
    story += _statement(data["statement"])
    story += _trials(data)
    story.append(_p("Decisions · 决策记录", H2))
    rows = [["What 事项", "By 执行人", "At 时间"]]
    rows += [[f"{d['type']}: {d['what']}", d["by"] or "—", d["at"]] for d in data["decisions"]]
    story.append(_table(rows, [80 * mm, 40 * mm, 50 * mm]))
    story += _files(data.get("files") or [], images or {})
    doc.build(story)
    return buffer.getvalue()
