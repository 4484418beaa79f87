"""The services' public HTTP APIs as the portal calls them (the same ones any frontend
uses): one keep-alive client, the family's bearer token, JSON or problem+json answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from web.settings import WebSettings


class ApiUnavailable(Exception):
    """A service did not answer (down, timed out): the page says so."""


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def problem(self) -> dict[str, Any] | None:
        return None if self.ok or not isinstance(self.body, dict) else self.body


@dataclass
class Binary:
    status: int
    content: bytes
    headers: dict[str, str]


# The answer headers a downloaded file keeps.
FILE_HEADERS = ("Content-Type", "Content-Disposition", "Content-Length")


@dataclass(frozen=True)
class Attachment:
    """A file the family chose in a form, passed on to a service as it came."""

    field: str
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Multipart:
    """A multipart/form-data body: text fields and files (built afresh for each sending,
    since aiohttp's FormData can be sent only once and a 401 is retried)."""

    fields: dict[str, str]
    files: tuple[Attachment, ...] = ()

    def build(self) -> aiohttp.FormData:
        data = aiohttp.FormData()
        for name, value in self.fields.items():
            data.add_field(name, value)
        for file in self.files:
            data.add_field(
                file.field, file.content, filename=file.filename, content_type=file.content_type
            )
        return data


@dataclass(frozen=True)
class RawBody:
    """A file sent as the whole request body (e.g. a bank's report to import), with its
    content type; `build` has Multipart's shape so both go through the same call."""

    content: bytes
    content_type: str

    def build(self) -> aiohttp.BytesPayload:
        return aiohttp.BytesPayload(self.content, content_type=self.content_type)


class Apis:
    def __init__(self, settings: WebSettings | None = None) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self.bases: dict[str, str] = {}
        if settings is not None:
            self.bases = {
                "identity": settings.identity_url,
                "family": settings.family_url,
                "booking": settings.booking_url,
                "billing": settings.billing_url,
                "notify": settings.notify_url,
            }

    def attach(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "the portal's HTTP client is not started"
        return self._session

    def url(self, service: str, path: str) -> str:
        return f"{self.bases[service]}{path}"

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, str] | None = None,
        request_id: str | None = None,
        forwarded_for: str | None = None,
        form: Multipart | RawBody | None = None,
    ) -> Answer:
        headers = {"Accept": "application/json"}
        if forwarded_for:
            # identity's per-address throttling and audit log see the family's address.
            headers["X-Forwarded-For"] = forwarded_for
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if request_id:
            headers["X-Request-ID"] = request_id
        try:
            async with self.session.request(
                method,
                self.url(service, path),
                json=json,
                data=form.build() if form is not None else None,
                params=params,
                headers=headers,
            ) as response:
                if response.status == 204:
                    body: Any = None
                elif "json" in response.headers.get("Content-Type", ""):
                    body = await response.json(content_type=None)
                else:
                    body = await response.text()
                if response.status >= 500:
                    raise ApiUnavailable(f"{service} {method} {path}: {response.status}")
                return Answer(response.status, body, dict(response.headers))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ApiUnavailable(f"{service} {method} {path}: {exc!r}") from exc

    async def download(
        self,
        service: str,
        path: str,
        *,
        token: str,
        request_id: str | None = None,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> Binary:
        """A file; `json` given: a POST with it (a file built from a request, e.g. a batch
        of letters)."""
        headers = {"Authorization": f"Bearer {token}"}
        if request_id:
            headers["X-Request-ID"] = request_id
        url = self.url(service, path)
        method = "GET" if json is None else "POST"
        try:
            async with self.session.request(
                method, url, headers=headers, params=params, json=json
            ) as response:
                content = await response.read()
                if response.status >= 500:
                    raise ApiUnavailable(f"{service} {method} {path}: {response.status}")
                kept = {k: v for k in FILE_HEADERS if (v := response.headers.get(k))}
                return Binary(response.status, content, kept)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ApiUnavailable(f"{service} {method} {path}: {exc!r}") from exc
