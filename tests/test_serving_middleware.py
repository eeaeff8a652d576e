"""RequestGuard on a real ASGI app: an error answered 422 reaches the client as one object."""

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from prodml_workshop.serving.middleware import RequestGuard


def _post(status, body):
    async def answer(request):
        return JSONResponse(body, status_code=status)

    async def post():
        app = RequestGuard(Starlette(routes=[Route("/", answer, methods=["POST"])]))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
            return await c.post("/", json={}, headers={"X-Request-ID": "r-1"})

    return asyncio.run(post())


@pytest.mark.parametrize(
    ("status", "sent", "received"),
    [
        (422, [{"error": "the model refused NaN"}], {"error": "the model refused NaN"}),
        (422, {"error": "the model refused NaN"}, {"error": "the model refused NaN"}),
        (200, [{"Adelie": 0.9, "Gentoo": 0.1}], [{"Adelie": 0.9, "Gentoo": 0.1}]),
        (400, [{"error": "left as it is"}], [{"error": "left as it is"}]),
    ],
)
def test_a_422_error_wrapped_in_a_list_is_answered_as_the_object(status, sent, received):
    response = _post(status, sent)
    assert response.status_code == status
    assert response.json() == received
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["x-request-id"] == "r-1"
