-- Events from crawlers, monitors and HTTP libraries (detected from the user
-- agent at ingest) are stored and flagged, and left out of every metric.
-- A constant default: no table rewrite on PostgreSQL 11+.
ALTER TABLE events ADD COLUMN bot boolean NOT NULL DEFAULT false;
