"""Request limits: a body over REQUEST_BODY_MAX_BYTES is refused before it is read, JSON depth is bounded.

Under ASGI Django reads (and spools to disk) the whole body before any middleware runs, so the
guard is an ASGI wrapper around the application: it answers 413 on a declared Content-Length over
the limit without reading a byte, and stops a body without one (chunked) as soon as it passes the
limit. The Django middleware does the same for WSGI servers and the test client.
"""

import json
import re
from functools import partial

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import ImmutableList
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, JSONParser, MultiPartParser

JSON_MAX_DEPTH = 32
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def too_large_message(limit: int) -> str:
    return f"The request body is larger than the {limit / (1024 * 1024):g} MB this server accepts."


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


def too_large_response(path: str, limit: int) -> HttpResponse:
    if _is_api(path):
        return JsonResponse({"detail": too_large_message(limit), "code": "too_large"}, status=413)
    return HttpResponse(too_large_message(limit), status=413, content_type="text/plain; charset=utf-8")


class RequestBodyLimitMiddleware:
    """413 for a declared Content-Length over the limit, before the body is read (WSGI, test client)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_BODY_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return too_large_response(request.path, limit)
        return self.get_response(request)


class BodySizeLimit:
    """ASGI wrapper: refuses an HTTP body over the limit before Django spools it."""

    def __init__(self, app, *, limit: int | None = None):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit if self.limit is not None else settings.REQUEST_BODY_MAX_BYTES
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await _refuse(scope, send, limit)
        received = 0
        refused = False

        async def bounded_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django sees the client go away and answers nothing; the 413 is ours.
                    refused = True
                    await _refuse(scope, send, limit)
                    return {"type": "http.disconnect"}
            return message

        return await self.app(scope, bounded_receive, send)


async def _refuse(scope, send, limit: int) -> None:
    if _is_api(scope.get("path", "")):
        body = json.dumps({"detail": too_large_message(limit), "code": "too_large"}).encode()
        content_type = b"application/json"
    else:
        body = too_large_message(limit).encode()
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text (strings ignored), without parsing it."""
    depth = deepest = 0
    for bracket in _BRACKETS.finditer(_STRINGS.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing nesting deeper than JSON_MAX_DEPTH with a 400 (not a RecursionError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if json_depth(text) > JSON_MAX_DEPTH:
            raise ParseError(f"JSON nests deeper than {JSON_MAX_DEPTH} levels.")
        try:
            return json.loads(text, parse_constant=_no_constants)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON")


class _NamingMultiPartParser(DjangoMultiPartParser):
    """Django's parser drops a file named "." or ".." without a word; this one keeps it, unnamed."""

    def sanitize_file_name(self, file_name):
        return super().sanitize_file_name(file_name) or "attachment"


class KeepingMultiPartParser(MultiPartParser):
    """DRF's multipart parser on `_NamingMultiPartParser`: every uploaded file arrives."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _NamingMultiPartParser(meta, stream, request.upload_handlers, encoding)
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return DataAndFiles(data, files)


def _parse_keeping_names(request, meta, post_data):
    """`HttpRequest.parse_file_upload` on `_NamingMultiPartParser`."""
    request.upload_handlers = ImmutableList(
        request.upload_handlers,
        warning="You cannot alter upload handlers after the upload has been processed.",
    )
    return _NamingMultiPartParser(meta, post_data, request.upload_handlers, request.encoding).parse()


class KeepingUploadsMiddleware:
    """Pages parse multipart bodies as the API does: a file named "." or ".." is kept as "attachment".

    Django's request parses its body lazily with its own parser, which offers no setting for the
    parser class; the request's `parse_file_upload` is the one hook, set here before anything
    (the CSRF check) reads `request.POST`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.parse_file_upload = partial(_parse_keeping_names, request)
        return self.get_response(request)
