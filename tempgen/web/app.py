"""The explorer's web application: the page, its static files, and the API (JSON in, JSON
out), behind a check of the Host header (no DNS rebinding) and a bound on request bodies."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tempgen.views.strict import dumps
from tempgen.web.api import Api
from tempgen.web.params import LIMITS, BadRequest, body_of

STATIC = Path(__file__).parent / "static"
# the page loads nothing but its own files
HEADERS = {"Content-Security-Policy": "default-src 'self'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def create_app(models: dict, hosts: list[str]) -> Starlette:
    """The application serving `models` (name -> model), answering only requests whose
    Host is one of `hosts` ("*" for any)."""
    api = Api(models)

    def endpoint(method):
        async def handle(request: Request) -> Response:
            body = await _json(request)
            return _reply(await run_in_threadpool(method, body))
        return handle

    async def index(request: Request):
        return FileResponse(STATIC / "index.html", headers=HEADERS)

    async def config(request: Request):
        return _reply(api.config())

    async def no_icon(request: Request):
        return Response(status_code=204)

    routes = [Route("/", index), Route("/api/config", config), Route("/favicon.ico", no_icon),
              *[Route(f"/api/{name}", endpoint(getattr(api, name)), methods=["POST"])
                for name in ("sample", "position", "map", "sweep", "calibrate", "recorded")],
              Mount("/static", StaticFiles(directory=STATIC))]
    return Starlette(routes=routes,
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)],
                     exception_handlers={BadRequest: _bad_request, HTTPException: _http_error,
                                         Exception: _server_error})


async def _json(request: Request) -> dict:
    """The request's body, read no further than LIMITS["body"] bytes, decoded and checked
    (params.body_of)."""
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > LIMITS["body"]:
        raise BadRequest("body", f"larger than {LIMITS['body']:,} bytes")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            chunks.append(chunk)
            size += len(chunk)
            if size > LIMITS["body"]:
                raise BadRequest("body", f"larger than {LIMITS['body']:,} bytes")
    except ClientDisconnect:  # (nobody to answer: a short reply, and no traceback)
        raise BadRequest("body", "the client went away before sending it") from None
    return body_of(b"".join(chunks))


def _reply(data) -> Response:
    return Response(dumps(data), media_type="application/json", headers=HEADERS)


async def _bad_request(request: Request, exc: BadRequest) -> JSONResponse:
    return JSONResponse({"error": exc.message, "param": exc.param}, status_code=400,
                        headers=HEADERS)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=HEADERS)


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "internal error (a bug in tempgen)"}, status_code=500,
                        headers=HEADERS)
