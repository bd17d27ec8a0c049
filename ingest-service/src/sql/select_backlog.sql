-- Reduction backlog per site ($1 = 0: every site with queue entries):
-- never-failed entries and the age of the oldest, retrying and dead ones.
SELECT site_id,
       count(*) FILTER (WHERE state = 'pending' AND attempts = 0),
       coalesce((extract(epoch FROM now() - min(enqueued_at)
                 FILTER (WHERE state = 'pending' AND attempts = 0))
                 * 1000000)::bigint, 0),
       count(*) FILTER (WHERE state = 'pending' AND attempts > 0),
       count(*) FILTER (WHERE state = 'dead')
FROM event_queue
WHERE $1 = 0 OR site_id = $1
GROUP BY site_id
ORDER BY site_id
