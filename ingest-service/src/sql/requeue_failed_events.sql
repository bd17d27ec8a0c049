-- Gives failed entries of site $1 a fresh attempt budget and makes them
-- ready now: the ids in $2 (a bigint array literal), or all when $2 is NULL,
-- restricted to state $3 ('pending', 'dead' or '' for both). Notifies the
-- reducers ($4: channel) in the same transaction. Returns how many.
WITH requeued AS (
  UPDATE event_queue
  SET state = 'pending', attempts = 0, next_attempt_at = now()
  WHERE site_id = $1 AND attempts > 0
    AND ($2::bigint[] IS NULL OR event_id = ANY ($2::bigint[]))
    AND ($3 = '' OR state = $3)
  RETURNING 1
)
SELECT count(*),
       CASE WHEN count(*) > 0 THEN pg_notify($4, $1::text) END
FROM requeued
