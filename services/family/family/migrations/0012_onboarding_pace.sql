-- Onboarding invitations asked for at a pace (ONBOARDING_INVITATIONS_PER_MINUTE): a run's
-- pending guardians wait their turn (queued) before being asked for (requested_at, kept when
-- a resumed run queues them again: the last minute's requests count against the pace).
ALTER TABLE onboarding_guardians ADD COLUMN queued boolean NOT NULL DEFAULT false;
CREATE INDEX onboarding_guardians_queued ON onboarding_guardians (run_id, position)
    WHERE state = 'pending' AND queued;
CREATE INDEX onboarding_guardians_requested ON onboarding_guardians (requested_at)
    WHERE requested_at IS NOT NULL;
