-- A validation's answer can be given again (a client whose answer was lost retries): the
-- statement that takes a basket's places also stores, with its counts, the answer as decided
-- before (p_answers: every line with its outcome, the additions still 'pending', and which
-- lines are the additions) and what it answered for each addition (`taken`, its outcomes).
-- In the same statement: a basket validated has its answer, whatever dies after the commit.
-- `usecases/baskets.py` settles the additions of the stored answer as the first request did.
-- Otherwise 0010's function, one parameter more (NULL: nothing stored, e.g. an old caller).
ALTER TABLE baskets ADD COLUMN answer jsonb;

DROP FUNCTION take_places_group(boolean, uuid[], timestamptz[], text[], uuid[], uuid[],
                                integer[], text[], integer[], integer[], uuid[], uuid[], date[],
                                uuid[], boolean[], boolean[], integer[], jsonb[], jsonb[],
                                jsonb[]);

CREATE FUNCTION take_places_group(
    p_close         boolean,
    p_baskets       uuid[],
    p_now           timestamptz[],
    p_tenants       text[],
    p_households    uuid[],
    p_accounts      uuid[],
    p_settled_ends  integer[],
    p_settled       text[],
    p_line_ends     integer[],
    p_envelope_ends integer[],
    p_ids           uuid[],
    p_activities    uuid[],
    p_days          date[],
    p_children      uuid[],
    p_late          boolean[],
    p_accept        boolean[],
    p_groups        integer[],
    p_entries       jsonb[],
    p_waiting       jsonb[],
    p_envelopes     jsonb[],
    p_answers       jsonb[]
) RETURNS TABLE (basket uuid, outcomes text[], counts jsonb) LANGUAGE plpgsql AS $$
DECLARE
    day_keys      text[];     -- activity || day, for array_position
    day_acts      uuid[];
    day_dates     date[];
    day_booked    integer[];
    day_capacity  integer[];
    day_before    integer[];
    open_baskets  uuid[];
    line_from     integer := 1;
    envelope_from integer := 1;
    settled_from  integer := 1;
    settled       text[];
    n             integer;
    k             integer;
    l             integer;
    g             integer;
    confirmed     integer;
    waiting_count integer;
    free          boolean;
    dates         jsonb[];
    waiting       jsonb[];
    done_ids      uuid[] := '{}';
    done_now      timestamptz[] := '{}';
    done_counts   jsonb[] := '{}';
    done_answers  jsonb[] := '{}';
    events        jsonb[] := '{}';
BEGIN
    IF p_close THEN
        SELECT array_agg(b.id) INTO open_baskets
        FROM (SELECT id FROM baskets WHERE id = ANY(p_baskets) AND status = 'open'
              ORDER BY id FOR UPDATE) AS b;
    ELSE
        open_baskets := p_baskets;
    END IF;

    SELECT array_agg(x.activity_id::text || x.day::text ORDER BY x.activity_id, x.day),
           array_agg(x.activity_id ORDER BY x.activity_id, x.day),
           array_agg(x.day ORDER BY x.activity_id, x.day),
           array_agg(x.booked ORDER BY x.activity_id, x.day),
           array_agg(x.capacity ORDER BY x.activity_id, x.day)
    INTO day_keys, day_acts, day_dates, day_booked, day_capacity
    FROM (SELECT d.activity_id, d.day, d.booked, d.capacity
          FROM activity_days d
          JOIN (SELECT DISTINCT u.a, u.d FROM unnest(p_activities, p_days) AS u(a, d)) AS p
               ON d.activity_id = p.a AND d.day = p.d
          ORDER BY d.activity_id, d.day
          FOR UPDATE OF d) AS x;
    day_before := day_booked;

    FOR i IN 1 .. coalesce(array_length(p_baskets, 1), 0) LOOP
        basket := p_baskets[i];
        outcomes := NULL;
        counts := NULL;
        -- array_remove: the same basket twice in a group is written once.
        IF basket = ANY(open_baskets) THEN
            open_baskets := array_remove(open_baskets, basket);
            n := p_line_ends[i] - line_from + 1;
            outcomes := array_fill(NULL::text, ARRAY[n]);
            dates := array_fill('[]'::jsonb, ARRAY[p_envelope_ends[i] - envelope_from + 1]);
            waiting := dates;
            confirmed := 0;
            waiting_count := 0;
            FOR j IN 1 .. n LOOP
                l := line_from + j - 1;
                k := array_position(day_keys, p_activities[l]::text || p_days[l]::text);
                IF k IS NULL THEN
                    outcomes[j] := 'closed';
                    CONTINUE;
                END IF;
                free := day_booked[k] < day_capacity[k];
                IF NOT free AND NOT p_accept[l] THEN
                    outcomes[j] := CASE WHEN EXISTS (
                        SELECT 1 FROM bookings b
                        WHERE b.activity_id = p_activities[l] AND b.child_id = p_children[l]
                          AND b.day = p_days[l] AND b.status IN ('booked', 'waiting'))
                        THEN 'already_booked' ELSE 'full' END;
                    CONTINUE;
                END IF;
                INSERT INTO bookings (id, tenant, activity_id, child_id, household_id, day,
                                      status, late, basket_id, booked_by, created_at)
                VALUES (p_ids[l], p_tenants[i], p_activities[l], p_children[l],
                        p_households[i], p_days[l],
                        CASE WHEN free THEN 'booked' ELSE 'waiting' END, p_late[l],
                        basket, p_accounts[i], p_now[i])
                ON CONFLICT (activity_id, child_id, day) WHERE status IN ('booked', 'waiting')
                DO NOTHING;
                IF NOT FOUND THEN  -- the child is already booked (or waiting) that day
                    outcomes[j] := 'already_booked';
                    CONTINUE;
                END IF;
                g := p_groups[l];
                IF free THEN
                    day_booked[k] := day_booked[k] + 1;
                    outcomes[j] := 'confirmed';
                    confirmed := confirmed + 1;
                    dates[g] := dates[g] || jsonb_build_array(p_entries[l]);
                ELSE
                    outcomes[j] := 'waiting';
                    waiting_count := waiting_count + 1;
                    waiting[g] := waiting[g] || jsonb_build_array(p_waiting[l]);
                END IF;
            END LOOP;
            FOR e IN 1 .. coalesce(array_length(dates, 1), 0) LOOP
                IF dates[e] <> '[]'::jsonb OR waiting[e] <> '[]'::jsonb THEN
                    events := events || jsonb_set(
                        jsonb_set(p_envelopes[envelope_from + e - 1], '{payload,dates}',
                                  dates[e]),
                        '{payload,waiting_dates}', waiting[e]);
                END IF;
            END LOOP;
            -- The one count of the basket's outcomes: its lines decided before, and these.
            settled := coalesce(p_settled[settled_from:p_settled_ends[i]], '{}');
            counts := jsonb_build_object(
                'confirmed', confirmed + cardinality(array_positions(settled, 'confirmed')),
                'waiting_list', waiting_count
                                + cardinality(array_positions(settled, 'waiting_list')),
                'cancelled', cardinality(array_positions(settled, 'cancelled')),
                'refused', n - confirmed - waiting_count
                           + cardinality(array_positions(settled, 'refused')));
            done_ids := done_ids || basket;
            done_now := done_now || p_now[i];
            done_counts := done_counts || counts;
            done_answers := array_append(
                done_answers, p_answers[i] || jsonb_build_object('taken', to_jsonb(outcomes)));
        END IF;
        RETURN NEXT;
        line_from := p_line_ends[i] + 1;
        envelope_from := p_envelope_ends[i] + 1;
        settled_from := p_settled_ends[i] + 1;
    END LOOP;

    UPDATE activity_days d SET booked = u.booked
    FROM unnest(day_acts, day_dates, day_booked, day_before) AS u(activity_id, day, booked, was)
    WHERE d.activity_id = u.activity_id AND d.day = u.day AND u.booked <> u.was;

    UPDATE baskets b SET status = 'validated',
                         validated_at = coalesce(b.validated_at, u.validated),
                         outcome = u.outcome,
                         answer = u.answer
    FROM unnest(done_ids, done_now, done_counts, done_answers)
         AS u(id, validated, outcome, answer)
    WHERE b.id = u.id;

    INSERT INTO outbox (id, type, envelope)
    SELECT (e.envelope ->> 'id')::uuid, e.envelope ->> 'type', e.envelope
    FROM unnest(events) WITH ORDINALITY AS e(envelope, position)
    ORDER BY e.position;
END $$;
