"""One table decides every refusal: the guard, the predictor and the answers take it from there."""

import ast
import asyncio
from pathlib import Path

import httpx
import pytest
from pydantic import TypeAdapter
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from prodml_workshop.serving.middleware import RequestGuard
from prodml_workshop.serving.refusals import BY_MODEL, REFUSALS, Refusal, refuse
from prodml_workshop.serving.responses import RefusedRequest, served
from prodml_workshop.serving.rollout import VersionRouter

SERVING = Path(__file__).resolve().parents[1] / "prodml_workshop" / "serving"


def test_each_kind_has_its_status_and_a_message_that_says_what_to_do():
    assert {name: kind.status for name, kind in REFUSALS.items()} == {
        "not_json": 415,
        "too_large": 413,
        "quality": 422,
        "model": 422,
    }
    assert BY_MODEL == {200, 422}
    assert refuse("too_large", size=10, limit=5) == Refusal(
        "The request body has 10 bytes, more than the 5 accepted; send the records in several "
        "requests.",
        413,
    )
    assert refuse("not_json", content_type="text/csv").message == (
        "The request body must be JSON, sent with 'Content-Type: application/json' "
        "(got 'text/csv')."
    )
    quality = refuse("quality", found="record 0: wind (2000.0 is outside [0, 20])").message
    assert "PRODML_QUALITY=refuse): record 0: wind (2000.0" in quality
    assert "Check their units" in quality
    model = refuse("model", error="ValueError: no").message
    assert "request: ValueError: no. Check the values" in model


def _guarded(headers, body=b"{}", max_body_bytes=100):
    async def answer(request):
        return JSONResponse(["served"])

    async def post():
        app = RequestGuard(
            Starlette(routes=[Route("/", answer, methods=["POST"])]),
            max_body_bytes=max_body_bytes,
            router=VersionRouter("onnx-000000000001"),
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
            return await c.post("/", content=body, headers=headers)

    return asyncio.run(post())


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Content-Type": "text/plain"}, b"{}", refuse("not_json", content_type="text/plain")),
        ({}, b"{}", refuse("not_json", content_type="no Content-Type")),
        ({"Content-Type": "application/json"}, b"[" + b" " * 200 + b"]",
         refuse("too_large", size=202, limit=100)),
    ],
)  # fmt: skip
def test_the_guard_answers_with_the_tables_status_and_message(headers, body, expected):
    response = _guarded(headers, body)
    assert (response.status_code, response.json()) == (expected.status, {"error": expected.message})
    assert response.headers["x-model-version"] == "onnx-000000000001"
    assert _guarded({"Content-Type": "application/json"}).json() == ["served"]


@pytest.mark.parametrize("status", [422, 409])
def test_a_refusal_is_answered_with_its_own_status(status):
    outputs = TypeAdapter(list[served(str)])
    with pytest.raises(RefusedRequest, match="why not") as refused:
        outputs.validate_python(["a", Refusal("why not", status)])
    assert refused.value.error_code == status


def test_no_other_serving_module_writes_a_refusal_status():
    found = [
        f"{file.name}:{node.lineno} {node.value}"
        for file in sorted(SERVING.glob("*.py"))
        if file.name != "refusals.py"
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and type(node.value) is int and 400 <= node.value < 500
    ]
    assert found == []
