-- Asynchronous jobs: one row per job, its text cut into units of a few sentences each.
CREATE TABLE tts_jobs (
    id text PRIMARY KEY,
    state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    voice text NOT NULL,
    voice_id text NOT NULL,
    speaker_id text NULL,
    response_format text NOT NULL,
    speed double precision NOT NULL,
    pitch double precision NOT NULL,
    volume double precision NOT NULL,
    total_units int NOT NULL,
    done_units int NOT NULL DEFAULT 0,
    total_sentences int NOT NULL,
    done_sentences int NOT NULL DEFAULT 0,
    sample_rate int NULL,
    total_samples bigint NULL,
    error text NULL,
    purged boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz NULL,
    finished_at timestamptz NULL,
    expires_at timestamptz NULL
);
CREATE INDEX tts_jobs_active ON tts_jobs (created_at) WHERE state IN ('queued', 'running');
CREATE INDEX tts_jobs_expires ON tts_jobs (expires_at);

-- A unit is claimed under a lease (owner silo, lease id, expiry). Its result is stored only by the holder of the
-- current lease, so it is produced once; an expired lease or a dead owner makes it claimable again.
CREATE TABLE tts_job_units (
    job_id text NOT NULL REFERENCES tts_jobs (id) ON DELETE CASCADE,
    idx int NOT NULL,
    text text NOT NULL,
    sentences int NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done')),
    owner text NULL,
    lease_id uuid NULL,
    lease_expires_at timestamptz NULL,
    attempts int NOT NULL DEFAULT 0,
    productions int NOT NULL DEFAULT 0,
    samples int NULL,
    pcm bytea NULL,
    done_at timestamptz NULL,
    PRIMARY KEY (job_id, idx)
);
CREATE INDEX tts_job_units_open ON tts_job_units (job_id, idx) WHERE state <> 'done';
