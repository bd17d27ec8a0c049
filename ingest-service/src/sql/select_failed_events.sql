-- Failed queue entries of site $1 after event id $2, in event id order (a
-- stable order for paging while attempts go on), at most $4; $3 = 'pending'
-- (retrying), 'dead', or '' for both.
SELECT q.event_id, q.state, q.attempts, coalesce(q.last_error, ''),
       (extract(epoch FROM q.last_failed_at) * 1000000)::bigint,
       (extract(epoch FROM q.next_attempt_at) * 1000000)::bigint,
       (extract(epoch FROM q.enqueued_at) * 1000000)::bigint,
       e.type, e.name, (extract(epoch FROM e.occurred_at) * 1000000)::bigint
FROM event_queue q
LEFT JOIN events e ON e.site_id = q.site_id AND e.id = q.event_id
WHERE q.site_id = $1 AND q.attempts > 0 AND q.event_id > $2
  AND ($3 = '' OR q.state = $3)
ORDER BY q.event_id
LIMIT $4
