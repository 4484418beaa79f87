"""A minimal service built on the foundation, used by the foundation's own tests.

It records notes (a state change plus a `test.NoteRecorded` event in the outbox) and consumes
those events into `applied_notes`, so the tests can check delivery and idempotency end to end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from pathlib import Path

from aiohttp import web
from marshmallow import Schema, fields, validate

from shared.auth import require_caller
from shared.errors import DomainError
from shared.events.consumer import HandlerContext
from shared.events.envelope import Event
from shared.events.registry import event_type
from shared.http.app import ServiceDefinition
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import read_json
from shared.settings import ServiceSettings, setting
from shared.uow import unit_of_work


@dataclasses.dataclass(frozen=True)
class SampleSettings(ServiceSettings):
    service: str = setting("SERVICE_NAME", "sample")


@event_type("test.NoteRecorded")
class NoteRecorded(Schema):
    note_id = fields.UUID(required=True)
    text = fields.String(required=True)
    poison = fields.Boolean(load_default=False)


class NoteIn(Schema):
    text = fields.String(required=True, validate=validate.Length(1, 200))
    poison = fields.Boolean(load_default=False)
    fail = fields.Boolean(load_default=False)
    pause = fields.Float(load_default=0.0, validate=validate.Range(0, 5))  # a slow request


class NoteOut(Schema):
    id = fields.UUID()
    text = fields.String()


class NoteRefused(DomainError):
    code = "note-refused"
    kind = "conflict"
    title = "Note refused"
    detail = "Cette note ne peut pas être enregistrée."


routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/notes")
@doc("Record a note", request=NoteIn, response=NoteOut, status=201, tags=["notes"])
@idempotent
async def record_note(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("staff", "admin"))
    data = await read_json(request, NoteIn())
    note_id = uuid.uuid4()
    # Through a unit of work, as the services' use cases: under `@idempotent` it joins the
    # request's transaction, which commits with the stored answer.
    async with unit_of_work(request.app, tenant=caller.tenant) as uow:
        await uow.conn.execute(
            "INSERT INTO notes (id, tenant, text) VALUES ($1, $2, $3)",
            note_id,
            caller.tenant,
            data["text"],
        )
        uow.emit(
            "test.NoteRecorded",
            {"note_id": note_id, "text": data["text"], "poison": data["poison"]},
        )
        if data["fail"]:
            raise NoteRefused()  # after the writes: the transaction must roll back whole
    if data["pause"]:
        await asyncio.sleep(data["pause"])
    return web.json_response(
        {"id": str(note_id), "text": data["text"]},
        status=201,
        headers={"Location": f"/tenants/{caller.tenant}/notes/{note_id}"},
    )


@routes.get("/boom")
@doc("Always fails (tests the 500 answer)", auth=False)
async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("secret internal detail")


async def on_note_recorded(ctx: HandlerContext, event: Event) -> None:
    if event.payload["poison"]:
        raise ValueError("this note poisons its consumer")
    await ctx.conn.execute(
        "INSERT INTO applied_notes (note_id, event_id) VALUES ($1, $2)",
        event.payload["note_id"],
        event.id,
    )


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        title="Sample service",
        settings_type=SampleSettings,
        migrations_dir=Path(__file__).parent / "sample_migrations",
        routes=routes,
        event_handlers={"test.NoteRecorded": on_note_recorded},
    )


if __name__ == "__main__":
    from shared.cli import main

    raise SystemExit(main(definition))
