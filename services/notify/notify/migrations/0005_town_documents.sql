-- Documents the town publishes [000][002]: rules (« règlement intérieur »), forms to fill,
-- official documents in force, tariffs. Stored like the news' attachments (bytea, type
-- sniffed at upload); "in force" = today (Europe/Paris) within [valid_from, valid_until].
CREATE TABLE town_documents (
    id            uuid PRIMARY KEY,
    tenant        text NOT NULL,
    title         text NOT NULL,
    category      text NOT NULL CHECK (category IN ('rules', 'form', 'official', 'tariffs', 'other')),
    description   text,
    filename      text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size          integer NOT NULL CHECK (size > 0),
    sha256        text NOT NULL,
    content       bytea NOT NULL,
    version       integer NOT NULL DEFAULT 1,  -- each replaced file is a new version, same id
    valid_from    date,
    valid_until   date,
    published     boolean NOT NULL DEFAULT true,
    position      integer NOT NULL DEFAULT 0,
    created_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT town_documents_validity CHECK (valid_until IS NULL OR valid_from IS NULL
                                              OR valid_until >= valid_from)
);
CREATE INDEX town_documents_by_tenant ON town_documents (tenant, category, position, title);

-- Where a document is shown: an activity (booking's id, kept opaque) or an information page.
CREATE TABLE town_document_links (
    document_id  uuid NOT NULL REFERENCES town_documents (id) ON DELETE CASCADE,
    tenant       text NOT NULL,
    activity_id  uuid,
    page_slug    text,
    CONSTRAINT town_document_links_one CHECK ((activity_id IS NULL) <> (page_slug IS NULL))
);
CREATE UNIQUE INDEX town_document_links_activity
    ON town_document_links (document_id, activity_id) WHERE activity_id IS NOT NULL;
CREATE UNIQUE INDEX town_document_links_page
    ON town_document_links (document_id, page_slug) WHERE page_slug IS NOT NULL;
CREATE INDEX town_document_links_by_activity
    ON town_document_links (tenant, activity_id) WHERE activity_id IS NOT NULL;
CREATE INDEX town_document_links_by_page
    ON town_document_links (tenant, page_slug) WHERE page_slug IS NOT NULL;
