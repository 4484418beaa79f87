"""Back-office: the documents the town publishes (rules, forms, official documents, tariffs)
and where families find them (activities, information pages): notify's town-documents."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from web.apis import Answer, ApiUnavailable, Multipart
from web.domain import staff_communication as sc
from web.domain import town_documents as domain
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, attachment, redirect, render, send_file, staff_only, token

routes = web.RouteTableDef()

HOME = "/gestion/communication/documents"
ID = "{document_id:[0-9a-fA-F-]{36}}"
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
BASE = "/tenants/{tenant}/town-documents"
LABELS = {
    "categories": domain.CATEGORY,
    "states": domain.STATES,
    "accept": ACCEPT,
}


def _errors(answer: Answer) -> FormErrors:
    if answer.status == 413:
        return FormErrors({"file": "Ce fichier est trop volumineux (5 Mo au plus)."})
    if answer.status == 415:
        return FormErrors({"file": "Seuls les fichiers PDF, JPEG ou PNG sont acceptés."})
    return form_errors(answer.body if isinstance(answer.body, dict) else None, domain.FIELDS)


async def _choices(request: web.Request) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """The activities (booking) and the information pages (notify) a document may be shown on."""
    activities, pages = await asyncio.gather(
        api(request, "booking", "GET", "/tenants/{tenant}/activities"),
        api(request, "notify", "GET", "/tenants/{tenant}/pages"),
    )
    names = sc.activity_names(list(activities.body.get("items", [])) if activities.ok else [])
    return (
        sorted(names.items(), key=lambda item: item[1].lower()),
        list(pages.body.get("items", [])) if pages.ok else [],
    )


async def _document(request: web.Request) -> dict[str, Any]:
    answer = await api(request, "notify", "GET", f"{BASE}/{request.match_info['document_id']}")
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"notify: {answer.status}")
    return dict(answer.body)


@routes.get(HOME)
async def documents_list(request: web.Request) -> web.Response:
    staff_only(request)
    answer = await api(request, "notify", "GET", BASE, params={"all": "true"})
    items = list(answer.body.get("items", [])) if answer.ok else None
    return await render(
        request,
        "staff_town_documents.html.j2",
        {
            "title": "Documents de la mairie",
            "groups": domain.by_category(items) if items is not None else None,
            "done": request.query.get("fait", ""),
            **LABELS,
        },
    )


async def _form_page(
    request: web.Request,
    *,
    values: domain.DocumentForm,
    document: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    file_errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    await token(request)  # refreshed once, before the calls run side by side
    activities, pages = await _choices(request)
    title = f"Modifier le document « {document['title']} »" if document else "Publier un document"
    return await render(
        request,
        "staff_town_documents_form.html.j2",
        {
            "title": f"Erreur – {title}" if errors or file_errors else title,
            "heading": title,
            "document": domain.shown([document])[0] if document else None,
            "form": values,
            "errors": errors or FormErrors(),
            "file_errors": file_errors or FormErrors(),
            "activities": activities,
            "pages": pages,
            "done": request.query.get("fait", ""),
            **LABELS,
        },
        status=status,
    )


@routes.get(f"{HOME}/nouveau")
async def document_new(request: web.Request) -> web.Response:
    staff_only(request)
    return await _form_page(request, values=domain.DocumentForm())


@routes.post(f"{HOME}/nouveau")
async def document_create(request: web.Request) -> web.Response:
    staff_only(request)
    form = await request.post()
    values = domain.read_form(form)
    found = attachment(form, "file")
    if found is None:
        errors = FormErrors({"file": "Choisissez le fichier du document (PDF, JPEG ou PNG)."})
        return await _form_page(request, values=values, errors=errors, status=422)
    answer = await api(
        request, "notify", "POST", BASE, form=Multipart(values.multipart_fields(), (found,))
    )
    if answer.status == 201:
        return redirect(f"{HOME}/{answer.body['id']}?fait=cree")
    status = answer.status if answer.status in (413, 415, 422) else 422
    return await _form_page(request, values=values, errors=_errors(answer), status=status)


@routes.get(f"{HOME}/{ID}")
async def document_edit(request: web.Request) -> web.Response:
    staff_only(request)
    document = await _document(request)
    return await _form_page(request, values=domain.form_of(document), document=document)


@routes.post(f"{HOME}/{ID}")
async def document_update(request: web.Request) -> web.Response:
    staff_only(request)
    document = await _document(request)
    values = domain.read_form(await request.post())
    answer = await api(request, "notify", "PATCH", f"{BASE}/{document['id']}", json=values.patch())
    if answer.ok:
        return redirect(f"{HOME}/{document['id']}?fait=enregistre")
    return await _form_page(
        request, values=values, document=document, errors=_errors(answer), status=422
    )


@routes.post(f"{HOME}/{ID}/fichier")
async def document_replace(request: web.Request) -> web.Response:
    """A new version of the file: same document, links and validity."""
    staff_only(request)
    document = await _document(request)
    found = attachment(await request.post(), "file")
    if found is None:
        file_errors = FormErrors({"file": "Choisissez le nouveau fichier (PDF, JPEG ou PNG)."})
    else:
        answer = await api(
            request,
            "notify",
            "POST",
            f"{BASE}/{document['id']}/file",
            form=Multipart({}, (found,)),
        )
        if answer.ok:
            return redirect(f"{HOME}/{document['id']}?fait=remplace#fichier")
        file_errors = _errors(answer)
        if not file_errors.fields:
            file_errors = FormErrors({"file": file_errors.general or ""})
    return await _form_page(
        request,
        values=domain.form_of(document),
        document=document,
        file_errors=file_errors,
        status=422,
    )


@routes.get(f"{HOME}/{ID}/fichier")
async def document_download(request: web.Request) -> web.Response:
    staff_only(request)
    path = f"{BASE}/{request.match_info['document_id']}/file"
    return await send_file(request, path, "document", service="notify")


@routes.get(f"{HOME}/{ID}/supprimer")
async def document_delete_confirm(request: web.Request) -> web.Response:
    staff_only(request)
    document = await _document(request)
    context = {
        "title": f"Supprimer le document « {document['title']} »",
        "what": f"le document « {document['title']} » et son fichier",
        "action": f"{HOME}/{document['id']}/supprimer",
        "back": f"{HOME}/{document['id']}",
    }
    return await render(request, "staff_communication_confirm.html.j2", context)


@routes.post(f"{HOME}/{ID}/supprimer")
async def document_delete(request: web.Request) -> web.Response:
    staff_only(request)
    answer = await api(request, "notify", "DELETE", f"{BASE}/{request.match_info['document_id']}")
    if answer.status not in (204, 404):  # a 404 is what was wanted (already gone)
        raise ApiUnavailable(f"notify: {answer.status}")
    return redirect(f"{HOME}?fait=supprime")
