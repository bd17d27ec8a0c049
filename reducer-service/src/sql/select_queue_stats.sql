-- The whole queue at a glance, for the metrics: pending entries, the age in
-- seconds of the oldest pending one (0 when none), pending entries that
-- failed before (waiting for a retry) and dead letters.
SELECT count(*) FILTER (WHERE state = 'pending'),
       coalesce(extract(epoch FROM now() - min(enqueued_at)
                        FILTER (WHERE state = 'pending')), 0)::float8,
       count(*) FILTER (WHERE state = 'pending' AND attempts > 0),
       count(*) FILTER (WHERE state = 'dead')
FROM event_queue
