-- The tenants' mail settings (notify cannot read identity's schema: staff maintain them here).
CREATE TABLE tenants (
    tenant          text PRIMARY KEY,
    name            text NOT NULL,
    sender_name     text,
    sender_address  text,
    reply_to        text,
    contact_service text,
    contact_email   text,
    contact_phone   text,
    primary_color   text,
    accent_color    text,
    portal_url      text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per (event, recipient): the unique key makes every email exactly once, even when the
-- event is delivered again. Rendered and sent by the dispatcher.
CREATE TABLE emails (
    id              uuid PRIMARY KEY,
    tenant          text NOT NULL,
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    recipient       text NOT NULL,
    account_id      uuid,
    template        text NOT NULL,
    context         jsonb NOT NULL,
    subject         text,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT emails_once UNIQUE (event_id, recipient)
);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'queued';
CREATE INDEX emails_by_recipient ON emails (tenant, lower(recipient), created_at DESC);
CREATE INDEX emails_by_account ON emails (tenant, account_id, created_at DESC);

-- Wake the dispatcher at commit time.
CREATE FUNCTION emails_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_emails', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER emails_notify AFTER INSERT ON emails
    FOR EACH STATEMENT EXECUTE FUNCTION emails_notify();

-- What the account sees in the portal, whether or not the email arrived.
CREATE TABLE notifications (
    id          uuid PRIMARY KEY,
    tenant      text NOT NULL,
    account_id  uuid NOT NULL,
    event_id    uuid NOT NULL,
    kind        text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    CONSTRAINT notifications_once UNIQUE (event_id, account_id, kind)
);
CREATE INDEX notifications_by_account ON notifications (tenant, account_id, created_at DESC);
CREATE INDEX notifications_unread ON notifications (tenant, account_id) WHERE read_at IS NULL;
