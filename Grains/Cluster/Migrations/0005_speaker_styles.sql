-- Kokoro speaker styles: a blend of voice tables (JSON [{"table":…,"weight":…}]) or an uploaded table.
ALTER TABLE speakers
    ADD COLUMN blend jsonb NULL,
    ADD COLUMN voice_table bytea NULL,
    ADD COLUMN voice_table_sha256 text NULL;
