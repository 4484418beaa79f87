-- Per-tenant lists, seeded with defaults on first use; staff add entries, never delete them.
CREATE TABLE document_types (
    tenant     text NOT NULL,
    code       text NOT NULL,
    label      text NOT NULL,
    position   integer NOT NULL DEFAULT 1000,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, code)
);

CREATE TABLE request_topics (
    tenant     text NOT NULL,
    code       text NOT NULL,
    label      text NOT NULL,
    position   integer NOT NULL DEFAULT 1000,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, code)
);

-- Supporting documents of a household or of one of its members; the file itself in bytea.
CREATE TABLE documents (
    id            uuid PRIMARY KEY,
    tenant        text NOT NULL,
    household_id  uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    member_kind   text CHECK (member_kind IN ('guardian', 'child')),
    member_id     uuid,
    document_type text NOT NULL,
    filename      text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg',
                                                        'image/png')),
    size          integer NOT NULL CHECK (size > 0),
    sha256        text NOT NULL,
    content       bytea NOT NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'validated', 'rejected')),
    valid_until   date,
    reason        text,
    uploaded_by   uuid NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now(),
    decided_by    uuid,
    decided_at    timestamptz,
    CHECK ((member_kind IS NULL) = (member_id IS NULL)),
    FOREIGN KEY (tenant, document_type) REFERENCES document_types (tenant, code)
);
CREATE INDEX documents_household ON documents (household_id, uploaded_at);
CREATE INDEX documents_tenant_status ON documents (tenant, status, uploaded_at, id);

-- Requests to the town ("demandes") and their messages, both sides, in order.
CREATE TABLE requests (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    topic        text NOT NULL,
    child_id     uuid REFERENCES children (id) ON DELETE SET NULL,
    subject      text NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant, topic) REFERENCES request_topics (tenant, code)
);
CREATE INDEX requests_household ON requests (household_id, updated_at);
CREATE INDEX requests_tenant_status ON requests (tenant, status, updated_at, id);

CREATE TABLE request_messages (
    id           uuid PRIMARY KEY,
    seq          bigserial NOT NULL,
    request_id   uuid NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    side         text NOT NULL CHECK (side IN ('family', 'staff')),
    author_id    uuid NOT NULL,
    body         text NOT NULL,
    filename     text,
    content_type text,
    size         integer,
    sha256       text,
    content      bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((content IS NULL) = (filename IS NULL))
);
CREATE INDEX request_messages_request ON request_messages (request_id, seq);

-- A new family may ask for its own household: a pending change without a household yet.
ALTER TABLE pending_changes ALTER COLUMN household_id DROP NOT NULL;
ALTER TABLE pending_changes DROP CONSTRAINT pending_changes_entity_check;
ALTER TABLE pending_changes ADD CONSTRAINT pending_changes_entity_check
    CHECK (entity IN ('household', 'guardian', 'child', 'contact', 'health', 'quotient',
                      'new_household'));
ALTER TABLE pending_changes ADD CONSTRAINT pending_changes_household_check
    CHECK (household_id IS NOT NULL OR entity = 'new_household');
-- One waiting creation per account.
CREATE UNIQUE INDEX pending_changes_one_creation ON pending_changes (tenant, submitted_by)
    WHERE entity = 'new_household' AND status = 'pending';

-- Deletion requests ("droit à l'effacement") and anonymised households.
ALTER TABLE households ADD COLUMN anonymised_at timestamptz;

CREATE TABLE deletion_requests (
    id           uuid PRIMARY KEY,
    tenant       text NOT NULL,
    household_id uuid NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    requested_by uuid NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    message      text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'anonymised', 'rejected')),
    handled_by   uuid,
    handled_at   timestamptz,
    reason       text
);
CREATE UNIQUE INDEX deletion_requests_one_pending ON deletion_requests (household_id)
    WHERE status = 'pending';
CREATE INDEX deletion_requests_tenant ON deletion_requests (tenant, status, requested_at, id);
