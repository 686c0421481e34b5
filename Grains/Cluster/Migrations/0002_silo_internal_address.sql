-- Where a silo serves frontends: its HTTP/2 cleartext (h2c) endpoint for binary sentence streams.
-- NULL for processes that serve no synthesis (frontends).
ALTER TABLE silos ADD COLUMN internal_address text;
