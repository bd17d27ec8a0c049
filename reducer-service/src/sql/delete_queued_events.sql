-- Removes reduced events from the queue ($1: JSON array of
-- {site_id, event_id}); the transaction that reduced them commits this.
DELETE FROM event_queue q
USING jsonb_to_recordset($1::jsonb) AS x(site_id bigint, event_id bigint)
WHERE q.site_id = x.site_id AND q.event_id = x.event_id
