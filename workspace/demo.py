"""The demo a newcomer sees on first start: two organizations matched on a real
kind of production problem, their leads, a program manager, and some history."""

from __future__ import annotations

from sqlalchemy import func, select

from workspace.auth.models import User
from workspace.auth.service import create_user
from workspace.db import db
from workspace.house import current
from workspace.organizations.models import Organization
from workspace.spaces import service as workspaces

DEMO_PASSWORD = "jointlab-demo"
DEMO_USERS = (
    ("manager@demo.jointlab", "陈主任 Chen (program manager)", "manager", None, "zh-CN"),
    ("enterprise@demo.jointlab", "王工 Wang (enterprise lead)", "member", "enterprise", "zh-CN"),
    ("university@demo.jointlab", "李教授 Li (university lead)", "member", "university", "zh-CN"),
    ("engineer@demo.jointlab", "Zhao (process engineer)", "member", "enterprise", "en"),
    ("admin@demo.jointlab", "Admin", "admin", None, "en"),
)


def seed_demo() -> str | None:
    with db.transaction() as s:
        if s.scalar(select(func.count()).select_from(User)):
            return None
        enterprise = Organization(
            name="宁波华精汽车零部件有限公司 Ningbo Huajing Auto Parts", kind="enterprise"
        )
        university = Organization(
            name="浙江工业大学 材料学院 Zhejiang Univ. of Technology", kind="university"
        )
        s.add_all([enterprise, university])
        s.flush()
        orgs = {"enterprise": enterprise.id, "university": university.id}
        users = {
            email.split("@")[0]: create_user(
                s,
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                role=role,
                # A shared demo login follows each browser's language (locale
                # only names the mail language until someone chooses).
                organization_id=orgs.get(side) if side else None,
                locale=locale,
                chosen=False,
            )
            for email, name, role, side, locale in DEMO_USERS
        }
        ws = workspaces.create_workspace(
            s,
            users["manager"],
            title="压铸件气孔率攻关 Porosity in die-cast housings",
            summary="Gearbox housings from line 3 show 4.8% porosity scrap; the target is "
            "below 1.5% without slowing the 62 s cycle. 三号线变速箱壳体气孔报废率 4.8%，"
            "目标降至 1.5% 以下且节拍不变。",
            enterprise_id=enterprise.id,
            university_id=university.id,
        )
        workspaces.add_member(s, users["manager"], ws.id, users["enterprise"].id, "owner")
        workspaces.add_member(s, users["enterprise"], ws.id, users["university"].id, "owner")
        workspaces.add_member(s, users["enterprise"], ws.id, users["engineer"].id, "editor")
        # Capabilities add their own (documents, trials): `house.demo_content`.
        for add in current().demo:
            add(s, ws, users)
    lines = ["Demo workspace ready. Log in with any of these (password: jointlab-demo):"]
    lines += [f"  {email:28} {name}" for email, name, *_ in DEMO_USERS]
    return "\n".join(lines)
