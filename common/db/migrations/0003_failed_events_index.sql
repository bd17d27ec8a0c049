-- Failed events of a site (attempts > 0: retrying or dead), listed by
-- AdminService.ListFailedEvents in event id order without reading a large
-- backlog of never-failed entries.
CREATE INDEX event_queue_failed ON event_queue (site_id, event_id)
  WHERE attempts > 0;
