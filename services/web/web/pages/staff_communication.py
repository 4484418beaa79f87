"""Back-office: what the town tells the families (notify's news, canteen menus, information
pages) and the log of the emails sent to them."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from web.apis import Answer, ApiUnavailable, Attachment, Multipart
from web.domain import french
from web.domain import staff_communication as sc
from web.domain.menus import paragraphs
from web.domain.problems import UNAVAILABLE, FormErrors, form_errors
from web.pages.common import api, attachment, redirect, render, send_file, staff_only, token
from web.pages.town import forget_town_reads
from web.settings import SETTINGS
from web.state import CLOCK

routes = web.RouteTableDef()

HOME = "/gestion/communication"
NEWS = f"{HOME}/actualites"
MENUS = f"{HOME}/menus"
PAGES = f"{HOME}/pages"
EMAILS = f"{HOME}/courriels"
ID = "{news_id:[0-9a-fA-F-]{36}}"
FILE = "{attachment_id:[0-9a-fA-F-]{36}}"
SLUG = "{slug:[a-z0-9-]{1,80}}"
NEWS_FIELDS = ("title", "body", "activity_id", "publish_from", "publish_until", "attachments")
PAGE_FIELDS = ("slug", "title", "body", "position")
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
LABELS = {
    "news_states": sc.NEWS_STATES,
    "email_statuses": sc.EMAIL_STATUSES,
    "file_size": sc.file_size,
    "accept": ACCEPT,
}


def _errors(answer: Answer, known: tuple[str, ...]) -> FormErrors:
    if answer.status == 413:
        return FormErrors({"attachments": "Ce fichier est trop volumineux (5 Mo au plus)."})
    if answer.status == 415:
        return FormErrors({"attachments": "Seuls les fichiers PDF, JPEG ou PNG sont acceptés."})
    body = answer.body if isinstance(answer.body, dict) else None
    return form_errors(body, known)


def _items(answer: Answer) -> list[dict[str, Any]] | None:
    """A list answer's items; None when the service refused or failed (the page says so)."""
    return list(answer.body.get("items", [])) if answer.ok else None


async def _activities(request: web.Request) -> list[dict[str, Any]]:
    answer = await api(request, "booking", "GET", "/tenants/{tenant}/activities")
    return _items(answer) or []


# --- the overview ---------------------------------------------------------------------------
@routes.get(HOME)
async def overview(request: web.Request) -> web.Response:
    staff_only(request)
    await token(request)  # refreshed once, before the calls run side by side
    # Side by side; a service that fails leaves its card saying so.
    news, pages, menus = (
        None if isinstance(answer, BaseException) or not answer.ok else answer.body
        for answer in await asyncio.gather(
            api(request, "notify", "GET", "/tenants/{tenant}/news", params={"limit": "200"}),
            api(request, "notify", "GET", "/tenants/{tenant}/pages"),
            api(request, "notify", "GET", "/tenants/{tenant}/menus"),
            return_exceptions=True,
        )
    )
    items = news.get("items", []) if news is not None else None
    return await render(
        request,
        "staff_communication.html.j2",
        {
            "title": "Communication",
            "counts": sc.news_counts(items) if items is not None else None,
            "more_news": bool(news and news.get("next_offset")),
            "page_count": len(pages.get("items", [])) if pages is not None else None,
            "weeks": (menus or {}).get("weeks", []),
            **LABELS,
        },
    )


# --- news -----------------------------------------------------------------------------------
@routes.get(NEWS)
async def news_list(request: web.Request) -> web.Response:
    staff_only(request)
    await token(request)
    state = request.query.get("etat", "")
    params = {"limit": "200", **({"state": state} if state in sc.NEWS_STATES else {})}
    news, activities = await asyncio.gather(
        api(request, "notify", "GET", "/tenants/{tenant}/news", params=params),
        _activities(request),
    )
    return await render(
        request,
        "staff_communication_news.html.j2",
        {
            "title": "Actualités",
            "items": _items(news),
            "state": state if state in sc.NEWS_STATES else "",
            "activities": sc.activity_names(activities),
            "done": request.query.get("fait", ""),
            **LABELS,
        },
    )


async def _news_page(
    request: web.Request,
    *,
    values: sc.NewsForm,
    news: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    file_errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    activities = await _activities(request)
    title = f"Modifier l'actualité « {news['title']} »" if news else "Écrire une actualité"
    if errors or file_errors:
        title = f"Erreur – {title}"
    return await render(
        request,
        "staff_communication_news_form.html.j2",
        {
            "title": title,
            "news": news,
            "form": values,
            "errors": errors or FormErrors(),
            "file_errors": file_errors or FormErrors(),
            "activities": sorted(
                sc.activity_names(activities).items(), key=lambda item: item[1].lower()
            ),
            "done": request.query.get("fait", ""),
            **LABELS,
        },
        status=status,
    )


@routes.get(f"{NEWS}/nouvelle")
async def news_new(request: web.Request) -> web.Response:
    staff_only(request)
    return await _news_page(request, values=sc.NewsForm())


@routes.post(f"{NEWS}/nouvelle")
async def news_create(request: web.Request) -> web.Response:
    staff_only(request)
    form = await request.post()
    values = sc.read_news_form(form)
    files = tuple(
        Attachment("attachments", field.filename, field.content_type, field.file.read())
        for field in form.getall("attachments", [])
        if isinstance(field, web.FileField) and field.filename
    )
    fields = {k: str(v) for k, v in values.fields().items()}
    answer = await api(
        request,
        "notify",
        "POST",
        "/tenants/{tenant}/news",
        form=Multipart(fields, files),
    )
    if answer.status == 201:
        return redirect(f"{NEWS}/{answer.body['id']}?fait=creee")
    status = answer.status if answer.status in (413, 415, 422) else 422
    return await _news_page(
        request, values=values, errors=_errors(answer, NEWS_FIELDS), status=status
    )


async def _news(request: web.Request) -> dict[str, Any]:
    answer = await api(
        request, "notify", "GET", f"/tenants/{{tenant}}/news/{request.match_info['news_id']}"
    )
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"notify: {answer.status}")
    return dict(answer.body)


@routes.get(f"{NEWS}/{ID}")
async def news_edit(request: web.Request) -> web.Response:
    staff_only(request)
    news = await _news(request)
    return await _news_page(request, values=sc.news_form_of(news, _zone(request)), news=news)


@routes.post(f"{NEWS}/{ID}")
async def news_update(request: web.Request) -> web.Response:
    staff_only(request)
    news = await _news(request)
    values = sc.read_news_form(await request.post())
    answer = await api(
        request,
        "notify",
        "PATCH",
        f"/tenants/{{tenant}}/news/{news['id']}",
        json=values.fields(before=sc.news_form_of(news, _zone(request))),
    )
    if answer.ok:
        return redirect(f"{NEWS}/{news['id']}?fait=enregistree")
    return await _news_page(
        request, values=values, news=news, errors=_errors(answer, NEWS_FIELDS), status=422
    )


@routes.post(f"{NEWS}/{ID}/publier")
async def news_publish(request: web.Request) -> web.Response:
    return await _news_action(request, "publish", "publiee")


@routes.post(f"{NEWS}/{ID}/retirer")
async def news_unpublish(request: web.Request) -> web.Response:
    return await _news_action(request, "unpublish", "retiree")


async def _news_action(request: web.Request, action: str, done: str) -> web.Response:
    staff_only(request)
    news_id = request.match_info["news_id"]
    answer = await api(request, "notify", "POST", f"/tenants/{{tenant}}/news/{news_id}/{action}")
    if answer.status == 404:
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"notify: {answer.status}")
    return redirect(f"{NEWS}/{news_id}?fait={done}")


async def _deleted(request: web.Request, path: str, then: str) -> web.Response:
    """notify's DELETE, then `then`; a 404 is what was wanted (already gone)."""
    answer = await api(request, "notify", "DELETE", path)
    if answer.status not in (204, 404):
        raise ApiUnavailable(f"notify: {answer.status}")
    _published(request)
    return redirect(then)


def _published(request: web.Request) -> None:
    """The families' home shows the town's menus and pages as kept a minute by the portal:
    what staff change here shows there at once."""
    forget_town_reads(request, "notify", "/tenants/{tenant}/menus")
    forget_town_reads(request, "notify", "/tenants/{tenant}/pages")


async def _confirm_deletion(
    request: web.Request, title: str, what: str, action: str, back: str
) -> web.Response:
    """The confirmation step before a deletion (nothing is deleted on GET)."""
    context = {"title": title, "what": what, "action": action, "back": back}
    return await render(request, "staff_communication_confirm.html.j2", context)


@routes.get(f"{NEWS}/{ID}/supprimer")
async def news_delete_confirm(request: web.Request) -> web.Response:
    staff_only(request)
    news = await _news(request)
    return await _confirm_deletion(
        request,
        f"Supprimer l'actualité « {news['title']} »",
        f"l'actualité « {news['title']} » et ses pièces jointes",
        f"{NEWS}/{news['id']}/supprimer",
        f"{NEWS}/{news['id']}",
    )


@routes.post(f"{NEWS}/{ID}/supprimer")
async def news_delete(request: web.Request) -> web.Response:
    staff_only(request)
    news_id = request.match_info["news_id"]
    return await _deleted(request, f"/tenants/{{tenant}}/news/{news_id}", f"{NEWS}?fait=supprimee")


@routes.post(f"{NEWS}/{ID}/pieces-jointes")
async def attachment_add(request: web.Request) -> web.Response:
    staff_only(request)
    news = await _news(request)
    form = await request.post()
    found = attachment(form, "file")
    if found is None:
        errors = FormErrors({"file": "Choisissez un fichier PDF, JPEG ou PNG."})
        return await _news_page(
            request,
            values=sc.news_form_of(news, _zone(request)),
            news=news,
            file_errors=errors,
            status=422,
        )
    answer = await api(
        request,
        "notify",
        "POST",
        f"/tenants/{{tenant}}/news/{news['id']}/attachments",
        form=Multipart({}, (found,)),
    )
    if answer.status == 201:
        return redirect(f"{NEWS}/{news['id']}?fait=piece-ajoutee#pieces-jointes")
    errors = _errors(answer, ("file", "attachments"))
    if "attachments" in errors.fields or errors.general:
        message = errors.fields.get("attachments") or errors.general or ""
        errors = FormErrors({"file": message})
    return await _news_page(
        request,
        values=sc.news_form_of(news, _zone(request)),
        news=news,
        file_errors=errors,
        status=422,
    )


@routes.post(f"{NEWS}/{ID}/pieces-jointes/{FILE}/supprimer")
async def attachment_delete(request: web.Request) -> web.Response:
    staff_only(request)
    news_id, attachment_id = request.match_info["news_id"], request.match_info["attachment_id"]
    return await _deleted(
        request,
        f"/tenants/{{tenant}}/news/{news_id}/attachments/{attachment_id}",
        f"{NEWS}/{news_id}?fait=piece-supprimee#pieces-jointes",
    )


@routes.get(f"{NEWS}/{ID}/pieces-jointes/{FILE}")
async def attachment_download(request: web.Request) -> web.Response:
    staff_only(request)
    news_id, attachment_id = request.match_info["news_id"], request.match_info["attachment_id"]
    path = f"/tenants/{{tenant}}/news/{news_id}/attachments/{attachment_id}"
    return await send_file(request, path, "piece-jointe", service="notify")


@routes.get(f"/actualites/{ID}/pieces-jointes/{FILE}")
async def family_attachment(request: web.Request) -> web.Response:
    """A family downloads an attachment of a news it sees (notify checks that it may)."""
    news_id, attachment_id = request.match_info["news_id"], request.match_info["attachment_id"]
    path = f"/tenants/{{tenant}}/me/news/{news_id}/attachments/{attachment_id}"
    return await send_file(request, path, "piece-jointe", service="notify")


# --- menus ----------------------------------------------------------------------------------
def _zone(request: web.Request) -> str:
    return request.app[SETTINGS].timezone


def _today(request: web.Request) -> date:
    return request.app[CLOCK].now().astimezone(ZoneInfo(_zone(request))).date()


async def _menus_page(
    request: web.Request,
    form: sc.MenuForm,
    *,
    published: bool,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
) -> web.Response:
    title = f"Menus de la semaine du {french.long_date(form.week_start)}"
    return await render(
        request,
        "staff_communication_menus.html.j2",
        {
            "title": f"Erreur – {title}" if errors or general else title,
            "heading": title,
            "form": form,
            "published": published,
            "errors": FormErrors(errors or {}, general),
            "fields": sc.MENU_FIELDS,
            "previous": (form.week_start - timedelta(days=7)).isoformat(),
            "next": (form.week_start + timedelta(days=7)).isoformat(),
            "this_week": sc.monday_of(_today(request)).isoformat(),
            "done": request.query.get("fait", ""),
        },
        status=status,
    )


@routes.get(MENUS)
async def menus_page(request: web.Request) -> web.Response:
    staff_only(request)
    week_start = sc.week_wanted(request.query.get("semaine"), _today(request))
    answer = await api(
        request,
        "notify",
        "GET",
        "/tenants/{tenant}/menus",
        params={"week": week_start.isoformat()},
    )
    if not answer.ok:
        raise ApiUnavailable(f"notify: {answer.status}")
    week = (answer.body.get("weeks") or [{}])[0]
    stored = week if week.get("published") else None
    return await _menus_page(request, sc.menu_form(week_start, stored), published=bool(stored))


@routes.post(MENUS)
async def menus_save(request: web.Request) -> web.Response:
    staff_only(request)
    form = await request.post()
    week_start = sc.week_wanted(str(form.get("semaine", "")), _today(request))
    values = sc.read_menu_form(week_start, form)
    payload = values.payload()
    if not payload["days"]:
        return await _menus_page(
            request,
            values,
            published=form.get("published") == "1",
            errors={"jour-0-main": "Indiquez le menu d'au moins un jour."},
            status=422,
        )
    answer = await api(
        request, "notify", "PUT", f"/tenants/{{tenant}}/menus/{week_start}", json=payload
    )
    if answer.ok:
        _published(request)
        return redirect(f"{MENUS}?semaine={week_start}&fait=enregistre")
    if answer.status != 422:
        return await _menus_page(request, values, published=False, general=UNAVAILABLE, status=502)
    errors = sc.day_errors(sc.menu_errors(answer.body), values)
    return await _menus_page(
        request,
        values,
        published=form.get("published") == "1",
        errors=errors,
        general=None if errors else str(answer.body.get("detail") or ""),
        status=422,
    )


@routes.post(f"{MENUS}/supprimer")
async def menus_delete(request: web.Request) -> web.Response:
    staff_only(request)
    form = await request.post()
    week_start = sc.week_wanted(str(form.get("semaine", "")), _today(request))
    return await _deleted(
        request,
        f"/tenants/{{tenant}}/menus/{week_start}",
        f"{MENUS}?semaine={week_start}&fait=supprime",
    )


# --- information pages ----------------------------------------------------------------------
@routes.get(PAGES)
async def pages_list(request: web.Request) -> web.Response:
    staff_only(request)
    answer = await api(request, "notify", "GET", "/tenants/{tenant}/pages")
    return await render(
        request,
        "staff_communication_pages.html.j2",
        {
            "title": "Pages d'information",
            "items": _items(answer),
            "done": request.query.get("fait", ""),
        },
    )


async def _page_form(
    request: web.Request,
    *,
    values: dict[str, Any],
    existing: bool,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    title = (
        f"Modifier la page « {values.get('title', '')} »"
        if existing
        else "Créer une page d'information"
    )
    return await render(
        request,
        "staff_communication_page_form.html.j2",
        {
            "title": f"Erreur – {title}" if errors else title,
            "heading": title,
            "form": values,
            "existing": existing,
            "errors": errors or FormErrors(),
            "done": request.query.get("fait", ""),
        },
        status=status,
    )


def _read_page_form(form: Any) -> dict[str, Any]:
    return {
        "slug": str(form.get("slug", "")).strip().lower(),
        "title": str(form.get("title", "")).strip(),
        "body": str(form.get("body", "")).replace("\r\n", "\n").strip(),
        "position": str(form.get("position", "0")).strip() or "0",
    }


async def _save_page(request: web.Request, values: dict[str, Any], existing: bool) -> web.Response:
    missing = sc.page_missing(values)
    if missing:
        return await _page_form(
            request, values=values, existing=existing, errors=FormErrors(missing), status=422
        )
    position = int(values["position"])
    if not existing:
        found = await api(
            request, "notify", "GET", f"/tenants/{{tenant}}/pages/{quote(values['slug'])}"
        )
        if found.ok:
            errors = FormErrors(
                {"slug": "Une page a déjà cette adresse ; choisissez-en une autre."}
            )
            return await _page_form(
                request, values=values, existing=False, errors=errors, status=409
            )
    answer = await api(
        request,
        "notify",
        "PUT",
        f"/tenants/{{tenant}}/pages/{quote(values['slug'])}",
        json={"title": values["title"], "body": values["body"], "position": position},
    )
    if answer.ok:
        _published(request)
        return redirect(f"{PAGES}/{values['slug']}?fait=enregistree")
    return await _page_form(
        request,
        values=values,
        existing=existing,
        errors=_errors(answer, PAGE_FIELDS),
        status=422,
    )


@routes.get(f"{PAGES}/nouvelle")
async def page_new(request: web.Request) -> web.Response:
    staff_only(request)
    return await _page_form(request, values={"position": "0"}, existing=False)


@routes.post(f"{PAGES}/nouvelle")
async def page_create(request: web.Request) -> web.Response:
    staff_only(request)
    values = _read_page_form(await request.post())
    return await _save_page(request, values, existing=False)


async def _info_page(request: web.Request) -> dict[str, Any]:
    slug = request.match_info["slug"]
    answer = await api(request, "notify", "GET", f"/tenants/{{tenant}}/pages/{quote(slug)}")
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"notify: {answer.status}")
    return dict(answer.body)


@routes.get(f"{PAGES}/{SLUG}")
async def page_edit(request: web.Request) -> web.Response:
    staff_only(request)
    page = await _info_page(request)
    values = {**page, "position": str(page.get("position", 0))}
    return await _page_form(request, values=values, existing=True)


@routes.post(f"{PAGES}/{SLUG}")
async def page_update(request: web.Request) -> web.Response:
    staff_only(request)
    values = {**_read_page_form(await request.post()), "slug": request.match_info["slug"]}
    return await _save_page(request, values, existing=True)


@routes.get(f"{PAGES}/{SLUG}/supprimer")
async def page_delete_confirm(request: web.Request) -> web.Response:
    staff_only(request)
    page = await _info_page(request)
    return await _confirm_deletion(
        request,
        f"Supprimer la page « {page['title']} »",
        f"la page d'information « {page['title']} »",
        f"{PAGES}/{page['slug']}/supprimer",
        f"{PAGES}/{page['slug']}",
    )


@routes.post(f"{PAGES}/{SLUG}/supprimer")
async def page_delete(request: web.Request) -> web.Response:
    staff_only(request)
    slug = request.match_info["slug"]
    return await _deleted(
        request, f"/tenants/{{tenant}}/pages/{quote(slug)}", f"{PAGES}?fait=supprimee"
    )


# --- emails log -----------------------------------------------------------------------------
@routes.get(EMAILS)
async def emails_log(request: web.Request) -> web.Response:
    staff_only(request)
    search = sc.read_email_search(request.query)
    answer = await api(request, "notify", "GET", "/tenants/{tenant}/emails", params=search.params)
    items = _items(answer)
    more = bool(answer.ok and answer.body.get("next_offset"))
    title = "Courriels envoyés"
    if search.page > 1:
        title += f", page {search.page}"
    return await render(
        request,
        "staff_communication_emails.html.j2",
        {
            "title": title,
            "search": search,
            "items": items,
            "previous": urlencode(search.link(search.page - 1)) if search.page > 1 else None,
            "next": urlencode(search.link(search.page + 1)) if more else None,
            **LABELS,
        },
    )


@routes.get(f"{EMAILS}/{{email_id:[0-9a-fA-F-]{{36}}}}")
async def email_detail(request: web.Request) -> web.Response:
    staff_only(request)
    email_id = request.match_info["email_id"]
    answer = await api(request, "notify", "GET", f"/tenants/{{tenant}}/emails/{email_id}")
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"notify: {answer.status}")
    email = answer.body
    return await render(
        request,
        "staff_communication_email.html.j2",
        {
            "title": f"Courriel : {email.get('subject') or email.get('template')}",
            "email": email,
            "error_lines": paragraphs(email.get("last_error")),
            **LABELS,
        },
    )
