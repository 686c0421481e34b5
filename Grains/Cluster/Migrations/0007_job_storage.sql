-- The storage budget of jobs (TTS_JOB_STORAGE_MAX_BYTES): each job's expected PCM (estimated at submission) and the PCM its
-- done units store. Stored results count until they are purged; queued and running jobs also count the expected rest.
ALTER TABLE tts_jobs ADD COLUMN estimated_bytes bigint NOT NULL DEFAULT 0;
ALTER TABLE tts_jobs ADD COLUMN stored_bytes bigint NOT NULL DEFAULT 0;
UPDATE tts_jobs j SET stored_bytes = coalesce((SELECT sum(2 * u.samples::bigint) FROM tts_job_units u WHERE u.job_id = j.id AND u.state = 'done'), 0)
WHERE NOT purged;
-- The jobs that hold storage: what a submission sums (and, for Retry-After, the finished ones by expiry).
CREATE INDEX tts_jobs_holding ON tts_jobs (expires_at) WHERE NOT purged AND (state IN ('queued', 'running') OR stored_bytes > 0);
