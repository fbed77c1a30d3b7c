"""Item 21: the OpenAPI document validates, documents each answer a route
gives with its real media type, states numeric bounds as numbers, and lists
the refusals (no catch-all `4XX`)."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate


def _doc(client: Any) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_document_validates_as_openapi_3(client):
    validate(_doc(client))


def test_numeric_bounds_are_numbers(client):
    doc = _doc(client)
    for node in _walk(doc):
        for key in ("minimum", "maximum"):
            if key in node:
                assert isinstance(node[key], int | float), node
    amount = doc["components"]["schemas"]["TrancheUpdate"]["properties"]["amount"]
    assert amount["minimum"] == 0.01 and amount["maximum"] == 10**15


def test_feeds_calendars_and_files_are_documented_with_their_media_types(client):
    paths = _doc(client)["paths"]
    expected = {
        ("/feed.atom", "200"): {"application/atom+xml"},
        ("/milestones.ics", "200"): {"text/calendar"},
        ("/workspaces/{workspace_id}/milestones.ics", "200"): {"text/calendar"},
        ("/milestones/{milestone_id}/evidence.pdf", "200"): {"application/pdf"},
        ("/exports/{task_id}/download", "200"): {
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
        ("/files/{file_id}/content", "200"): {"*/*"},
    }
    for (path, status), media in expected.items():
        responses = paths[path]["get"]["responses"]
        assert set(responses[status]["content"]) == media, (path, responses)
        assert "204" not in responses, path
        assert "4XX" not in responses, path


def test_every_operation_lists_its_refusals(client):
    for path, operations in _doc(client)["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert "4XX" not in codes and "503" in codes, (method, path)
            if op.get("security") != []:
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "422"} <= codes, (method, path)
            for code, answer in op["responses"].items():
                if code.startswith(("4", "5")) and code != "416":  # a range: no body
                    assert "application/json" in answer["content"], (method, path, code)
