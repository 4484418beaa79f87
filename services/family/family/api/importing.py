"""The import of the town's existing household file (CSV; staff): preview or import."""

from __future__ import annotations

from aiohttp import web

from family import household_csv
from family.api.access import settings, staff, uow
from family.schemas import ImportOut, ImportQuery
from family.usecases import importing
from shared.errors import Problem
from shared.http.openapi import doc
from shared.http.requests import json_response, read_query

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/households/import")
@doc(
    "Import the town's existing household file (CSV; staff), or preview it (dry_run)",
    response=ImportOut,
    status=201,
    tags=["households"],
    description=household_csv.DESCRIPTION,
    responses={
        200: "Dry run: the report of what the import would do (nothing written)",
        409: "Some households are already in the file (nothing imported; see `existing`)",
        422: "Problems in the file (every line, column and French message; nothing written)",
        413: "File too large",
        415: "Not text/csv",
    },
    query=ImportQuery,
)
async def import_households(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, ImportQuery())
    if request.content_type not in ("text/csv", "application/csv"):
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Le fichier doit être envoyé en CSV (Content-Type: text/csv).",
        )
    raw = await _read_limited(request, settings(request).import_max_bytes)
    try:
        text = household_csv.decode(raw)
    except UnicodeDecodeError:
        raise Problem(
            422,
            "validation-error",
            "Invalid file",
            "Le fichier doit être encodé en UTF-8 ou Windows-1252 (Excel : « CSV UTF-8 »).",
            errors=[
                {"line": 1, "field": "_file", "detail": "Encodage UTF-8 ou Windows-1252 attendu."}
            ],
        ) from None
    body = await importing.import_households(
        uow(request, actor),
        actor,
        text,
        existing=query["existing"],
        dry_run=query["dry_run"],
        skip_invalid=query["skip_invalid"],
    )
    return json_response(ImportOut(), body, status=200 if query["dry_run"] else 201)


async def _read_limited(request: web.Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise Problem(
                413,
                "payload-too-large",
                "Payload too large",
                f"Le fichier dépasse la taille maximale de {limit // 1024} Ko : découpez-le.",
                max_bytes=limit,
            )
        chunks.append(chunk)
    return b"".join(chunks)
