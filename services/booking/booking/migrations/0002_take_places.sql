-- The rush's critical section in one statement: take the places of a basket's additions,
-- write their booking rows, the basket's outcome and its ReservationValidated events.
--
-- Called outside an explicit transaction, the statement is its own transaction: a hot day
-- row is locked from its UPDATE until the commit that ends the same call, with no client
-- round trip in between. Called inside a transaction (baskets with cancellations, or
-- all-or-nothing), it behaves the same and the caller commits or rolls back.
--
-- Lines must come sorted by (activity, day, child): every caller locks day rows in the same
-- order, so concurrent baskets queue on a hot day but never deadlock. A booking row is
-- inserted while its day row is locked, so `seq` (the waiting list's order) is the order in
-- which the places were taken or refused.
--
-- Outcomes, one per line: confirmed, waiting (day full, row kept as 'waiting'), full (day
-- full, the family declined the waiting list), already_booked, closed (no such opening day).
-- NULL when the basket was no longer open (nothing changed).
CREATE FUNCTION take_places(
    p_basket     uuid,
    p_close      boolean,          -- close the basket here (false: the caller already did)
    p_now        timestamptz,
    p_tenant     text,
    p_household  uuid,
    p_account    uuid,
    p_ids        uuid[],           -- booking id to use for each line
    p_activities uuid[],
    p_days       date[],
    p_children   uuid[],
    p_late       boolean[],
    p_accept     boolean[],        -- accepts the waiting list
    p_groups     integer[],        -- index (1-based) into p_envelopes of each line's event
    p_envelopes  jsonb[],          -- ReservationValidated envelopes, dates still empty
    p_summary    jsonb             -- counts of the lines decided before (refused, cancelled)
) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    n        integer := coalesce(array_length(p_ids, 1), 0);
    outcomes text[] := array_fill(NULL::text, ARRAY[n]);
    dates    jsonb[] := array_fill('[]'::jsonb, ARRAY[coalesce(array_length(p_envelopes, 1), 0)]);
    waiting  jsonb[] := dates;
    free     boolean;
    counters record;
    g        integer;
BEGIN
    IF p_close THEN
        UPDATE baskets SET status = 'validated', validated_at = p_now
        WHERE id = p_basket AND status = 'open';
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    FOR i IN 1 .. n LOOP
        -- The conditional UPDATE re-checks `booked < capacity` on the latest row version
        -- (Read Committed); when it finds the day full, lock the row to tell full from
        -- closed and to order this line among the waiting ones.
        UPDATE activity_days SET booked = booked + 1
        WHERE activity_id = p_activities[i] AND day = p_days[i] AND booked < capacity;
        free := FOUND;
        IF NOT free THEN
            SELECT booked, capacity INTO counters FROM activity_days
            WHERE activity_id = p_activities[i] AND day = p_days[i] FOR UPDATE;
            IF NOT FOUND THEN
                outcomes[i] := 'closed';
                CONTINUE;
            END IF;
            IF counters.booked < counters.capacity THEN
                UPDATE activity_days SET booked = booked + 1
                WHERE activity_id = p_activities[i] AND day = p_days[i];
                free := true;
            ELSIF NOT p_accept[i] THEN
                outcomes[i] := 'full';
                CONTINUE;
            END IF;
        END IF;
        INSERT INTO bookings (id, tenant, activity_id, child_id, household_id, day, status,
                              late, basket_id, booked_by, created_at)
        VALUES (p_ids[i], p_tenant, p_activities[i], p_children[i], p_household, p_days[i],
                CASE WHEN free THEN 'booked' ELSE 'waiting' END, p_late[i], p_basket,
                p_account, p_now)
        ON CONFLICT (activity_id, child_id, day) WHERE status IN ('booked', 'waiting')
        DO NOTHING;
        IF NOT FOUND THEN  -- booked meanwhile by another basket of the household
            IF free THEN
                UPDATE activity_days SET booked = booked - 1
                WHERE activity_id = p_activities[i] AND day = p_days[i];
            END IF;
            outcomes[i] := 'already_booked';
            CONTINUE;
        END IF;
        g := p_groups[i];
        IF free THEN
            outcomes[i] := 'confirmed';
            dates[g] := dates[g] || jsonb_build_object(
                'booking_id', p_ids[i], 'date', p_days[i], 'late', p_late[i]);
        ELSE
            outcomes[i] := 'waiting';
            waiting[g] := waiting[g] || to_jsonb(p_days[i]);
        END IF;
    END LOOP;

    INSERT INTO outbox (id, type, envelope)
    SELECT (e.envelope ->> 'id')::uuid, e.envelope ->> 'type',
           jsonb_set(jsonb_set(e.envelope, '{payload,dates}', dates[e.g]),
                     '{payload,waiting_dates}', waiting[e.g])
    FROM unnest(p_envelopes) WITH ORDINALITY AS e(envelope, g)
    WHERE dates[e.g] <> '[]'::jsonb OR waiting[e.g] <> '[]'::jsonb;

    UPDATE baskets SET outcome = jsonb_build_object(
        'confirmed', coalesce((p_summary ->> 'confirmed')::int, 0)
                     + (SELECT count(*) FROM unnest(outcomes) o WHERE o = 'confirmed'),
        'waiting_list', coalesce((p_summary ->> 'waiting_list')::int, 0)
                     + (SELECT count(*) FROM unnest(outcomes) o WHERE o = 'waiting'),
        'cancelled', coalesce((p_summary ->> 'cancelled')::int, 0),
        'refused', coalesce((p_summary ->> 'refused')::int, 0)
                     + (SELECT count(*) FROM unnest(outcomes) o
                        WHERE o NOT IN ('confirmed', 'waiting')))
    WHERE id = p_basket;
    RETURN outcomes;
END $$;
