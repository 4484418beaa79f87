-- News published by the tenant's staff [002][003]: a publication window, optional targeting to
-- the families with a child in one activity, optional attachments.
CREATE TABLE news (
    id              uuid PRIMARY KEY,
    tenant          text NOT NULL,
    title           text NOT NULL,
    body            text NOT NULL,
    publish_from    timestamptz NOT NULL,
    publish_until   timestamptz,
    activity_id     uuid,
    unpublished_at  timestamptz,
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT news_window CHECK (publish_until IS NULL OR publish_until > publish_from)
);
CREATE INDEX news_by_tenant ON news (tenant, publish_from DESC);

-- Attachments in the database for now (transactional with their news); type sniffed from the
-- content at upload.
CREATE TABLE news_attachments (
    id            uuid PRIMARY KEY,
    tenant        text NOT NULL,
    news_id       uuid NOT NULL REFERENCES news (id) ON DELETE CASCADE,
    filename      text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size          integer NOT NULL CHECK (size > 0),
    sha256        text NOT NULL,
    content       bytea NOT NULL,
    seq           bigint GENERATED ALWAYS AS IDENTITY,  -- upload order
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX news_attachments_by_news ON news_attachments (news_id, seq);

-- Read model: which households have a child in which activity. Filled by the booking
-- service's events once it exists; targeted news are shown to these households only.
CREATE TABLE family_activities (
    tenant        text NOT NULL,
    household_id  uuid NOT NULL,
    activity_id   uuid NOT NULL,
    PRIMARY KEY (tenant, household_id, activity_id)
);
CREATE INDEX family_activities_by_activity ON family_activities (tenant, activity_id);

-- Practical-information pages [000].
CREATE TABLE info_pages (
    tenant      text NOT NULL,
    slug        text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, slug)
);

-- Canteen menus, one row per tenant and ISO week (its Monday); `days` is a JSON list of
-- {date, starter, main, dessert, snack, text, allergens}.
CREATE TABLE canteen_menus (
    tenant      text NOT NULL,
    week_start  date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
    days        jsonb NOT NULL,
    remarks     text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, week_start)
);
