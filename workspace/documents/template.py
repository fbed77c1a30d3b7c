"""The problem statement every workspace starts with: both languages in one
Markdown text, because both teams read and edit the same document."""

from __future__ import annotations

STATEMENT_TITLE = "问题陈述 Problem statement"

SECTIONS = (
    (
        "背景",
        "Background",
        "企业、产线与产品；问题何时出现、影响多大。\n"
        "The company, the line and the product; when the problem appears and what it costs.",
    ),
    (
        "技术瓶颈",
        "Technical bottleneck",
        "已经尝试过什么，为什么没有解决；需要突破的关键技术点。\n"
        "What has been tried and why it did not work; the key technical point to break through.",
    ),
    (
        "目标指标",
        "Target indicators",
        "| 指标 Indicator | 当前值 Current | 目标值 Target | 单位 Unit |\n"
        "| --- | --- | --- | --- |\n"
        "| 例：良品率 e.g. yield | 95.2 | ≥ 98.5 | % |",
    ),
    (
        "约束条件",
        "Constraints",
        "节拍、成本、设备、材料、安全与环保等不可突破的条件。\n"
        "Cycle time, cost, equipment, materials, safety and environmental limits that must hold.",
    ),
    (
        "验收标准",
        "Acceptance criteria",
        "如何判定问题已解决：连续几批、何种检测方法、由谁签字确认。\n"
        "How we decide the problem is solved: how many consecutive batches, which test method, "
        "who signs off.",
    ),
    (
        "知识产权与保密",
        "IP and confidentiality",
        "背景知识产权归属、新成果的归属与使用、保密范围与期限。\n"
        "Ownership of background IP, ownership and use of new results, scope and term of "
        "confidentiality.",
    ),
)


def statement_template(workspace_title: str) -> str:
    parts = [f"# {STATEMENT_TITLE}：{workspace_title}\n"]
    for number, (zh, en, hint) in enumerate(SECTIONS, start=1):
        parts.append(f"## {number}. {zh} {en}\n\n{hint}\n")
    return "\n".join(parts)
