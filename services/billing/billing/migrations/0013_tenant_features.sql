-- What the town offers its families online, as identity.TenantFeaturesChanged last told it
-- (shared/tenant_features.py): a family's request a switch turns off is refused. No row:
-- everything on. `changed_at` is the event's time: an older event arriving late never wins.
CREATE TABLE tenant_features (
    tenant         text PRIMARY KEY,
    family_edits   boolean NOT NULL,
    online_booking boolean NOT NULL,
    wallet         boolean NOT NULL,
    direct_debit   boolean NOT NULL,
    changed_at     timestamptz NOT NULL
);
