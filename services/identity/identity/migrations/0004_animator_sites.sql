-- Site animators: the role `animator` and the sites (activity places) an animator works at;
-- their access tokens carry the sites, and they see only those sites' attendance.
ALTER TABLE accounts DROP CONSTRAINT accounts_roles_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_roles_check
    CHECK (roles <@ ARRAY['family', 'staff', 'admin', 'animator'] AND cardinality(roles) > 0);
ALTER TABLE accounts ADD COLUMN sites text[] NOT NULL DEFAULT '{}';
