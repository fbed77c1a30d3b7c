from workspace.auth import guards
from workspace.auth.current import require_user
from workspace.db import db
from workspace.http import cursor_int, endpoint, page_of
from workspace.organizations import service
from workspace.organizations.schemas import OrganizationCreateSchema, OrganizationSchema


@endpoint(
    "/organizations",
    summary="List organizations",
    tag="organizations",
    response=OrganizationSchema(),
    paginated=True,
)
def list_organizations(query: dict) -> object:
    with db.reading() as s:
        rows = service.list_organizations(s, cursor_int(query["cursor"]), query["limit"])
    return page_of(rows, query["limit"])


@endpoint(
    "/organizations",
    "POST",
    guard=guards.creators,
    summary="Create an organization (admins, managers)",
    tag="organizations",
    body=OrganizationCreateSchema(),
    response=OrganizationSchema(),
    status=201,
)
def create_organization(data: dict) -> object:
    with db.transaction() as s:
        return service.create_organization(s, require_user(), data["name"], data["kind"])
