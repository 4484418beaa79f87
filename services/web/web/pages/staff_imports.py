"""Back-office: the import of the town's household file (CSV). The agent uploads it, the
family service checks every line without writing (its dry run) and the portal keeps the file
an hour (`usecases.staff_imports`); the preview's button imports its valid households once,
without sending the file again; then the report."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shared.keys import POOL
from web.apis import RawBody
from web.domain import staff_imports as domain
from web.pages.common import api, attachment, redirect, render, staff_only
from web.state import CLOCK
from web.usecases import staff_imports

routes = web.RouteTableDef()

HOME = "/gestion/imports"
ID = "{import_id:[A-Za-z0-9_-]{20,40}}"
FAMILY_IMPORT = "/tenants/{tenant}/households/import"


async def _home(
    request: web.Request,
    *,
    message: str | None = None,
    problems: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> web.Response:
    return await render(
        request,
        "staff_imports.html.j2",
        {
            "title": "Importer des foyers" + (" – fichier à corriger" if message else ""),
            "columns": domain.COLUMNS,
            "message": message,
            "problems": problems or [],
            "field_label": domain.field_label,
            "max_mb": domain.MAX_UPLOAD_BYTES // (1024 * 1024),
            "kept_minutes": domain.KEPT_MINUTES,
        },
        status=status,
    )


@routes.get(HOME)
async def home(request: web.Request) -> web.Response:
    staff_only(request)
    return await _home(request)


@routes.get(f"{HOME}/modele.csv")
async def template(request: web.Request) -> web.Response:
    staff_only(request)
    return web.Response(
        body=domain.template_csv(),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="modele-import-foyers.csv"',
        },
    )


@routes.post(HOME)
async def upload(request: web.Request) -> web.Response:
    session = staff_only(request)
    form = await request.post()
    file = attachment(form, "file")
    message = domain.upload_problem(file.filename if file else None, file.content if file else None)
    if message or file is None:
        return await _home(request, message=message, status=422)
    answer = await api(
        request,
        "family",
        "POST",
        FAMILY_IMPORT,
        params={"dry_run": "true"},
        form=RawBody(file.content, "text/csv"),
    )
    if not answer.ok:
        problem = answer.problem or {}
        detail = str(problem.get("detail") or "Le fichier n'a pas pu être lu.")
        status = answer.status if answer.status in (403, 413, 415, 422) else 422
        return await _home(
            request, message=detail, problems=domain.file_problems(problem), status=status
        )
    import_id = await staff_imports.keep(
        request.app[POOL],
        session,
        filename=file.filename,
        content=file.content,
        preview=answer.body,
        now=request.app[CLOCK].now(),
    )
    return redirect(f"{HOME}/{import_id}")


async def _found(request: web.Request) -> dict[str, Any]:
    session = staff_only(request)
    found = await staff_imports.find(
        request.app[POOL], session, request.match_info["import_id"], request.app[CLOCK].now()
    )
    if found is None:
        raise web.HTTPNotFound()  # another session's, expired or unknown: the French 404
    return found


async def _page(request: web.Request, found: dict[str, Any], *, status: int = 200) -> web.Response:
    report = found["report"]
    shown = report or found["preview"]
    summary = domain.summary(shown)
    if report:
        title = f"Import terminé : {summary.households} foyer(s) créé(s)"
    else:
        title = f"Aperçu de l'import : {summary.lines} ligne(s), {summary.errors} en erreur"
    return await render(
        request,
        "staff_imports_preview.html.j2",
        {
            "title": title,
            "found": found,
            "report": report,
            "shown": shown,
            "summary": summary,
            "lines": domain.ordered_lines(shown),
            "skipped": domain.skipped_lines(shown),
            "statuses": domain.STATUSES,
            "field_label": domain.field_label,
            "pending": found["committed_at"] is not None and not report,
            "home": HOME,
        },
        status=status,
    )


@routes.get(f"{HOME}/{ID}")
async def preview(request: web.Request) -> web.Response:
    found = await _found(request)
    return await _page(request, found)


@routes.post(f"{HOME}/{ID}/importer")
async def commit(request: web.Request) -> web.Response:
    session = staff_only(request)
    pool = request.app[POOL]
    import_id = request.match_info["import_id"]
    found = await _found(request)
    content = await staff_imports.claim(pool, session, import_id, request.app[CLOCK].now())
    if content is None:
        # Already imported (or being imported): never twice; the page shows what was done.
        return await _page(request, found, status=409)
    # A service down raises ApiUnavailable (the French 503 page) with the file still claimed:
    # the outcome is unknown, and a new upload's preview would show its households as known.
    answer = await api(
        request,
        "family",
        "POST",
        FAMILY_IMPORT,
        params={"skip_invalid": "true", "existing": "skip"},
        form=RawBody(content, "text/csv"),
    )
    if not answer.ok:
        await staff_imports.release(pool, import_id)  # refused: nothing was written
        problem = answer.problem or {}
        return await render(
            request,
            "error.html.j2",
            {
                "title": "Import refusé",
                "message": str(
                    problem.get("detail")
                    or "Le service des familles a refusé l'import ; rien n'a été importé."
                ),
            },
            status=answer.status if answer.status in (403, 409, 422) else 422,
        )
    await staff_imports.finish(pool, import_id, answer.body)
    return redirect(f"{HOME}/{import_id}")
