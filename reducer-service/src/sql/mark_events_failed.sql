-- Records a failed reduction attempt ($1: JSON array of {site_id, event_id,
-- error, delay_ms}); an entry reaching $2 attempts becomes a dead letter.
UPDATE event_queue q
SET attempts = q.attempts + 1,
    last_error = x.error,
    last_failed_at = now(),
    next_attempt_at = now() + x.delay_ms * interval '1 millisecond',
    state = CASE WHEN q.attempts + 1 >= $2 THEN 'dead' ELSE 'pending' END
FROM jsonb_to_recordset($1::jsonb) AS x(site_id bigint, event_id bigint,
                                        error text, delay_ms bigint)
WHERE q.site_id = x.site_id AND q.event_id = x.event_id
RETURNING q.site_id, q.event_id, q.attempts, q.state
