-- Membership: one row per silo; heartbeat_at is database time.
CREATE TABLE silos (
    id text PRIMARY KEY,
    address text NOT NULL,
    version text NOT NULL,
    capacity int NOT NULL,
    load int NOT NULL DEFAULT 0,
    queued int NOT NULL DEFAULT 0,
    status text NOT NULL CHECK (status IN ('active', 'draining', 'dead', 'stopped')),
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz NOT NULL DEFAULT now()
);

-- Admission permits are leases: renewed by the holder's heartbeat, released when it is declared dead.
CREATE TABLE admission_permits (
    id uuid PRIMARY KEY,
    silo_id text NOT NULL,
    client_id text NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX admission_permits_silo ON admission_permits (silo_id);

-- Takes a permit when both the global limit and the client's share allow it. All acquisitions
-- are serialised by one transaction-scoped advisory lock, so the limit holds at every instant.
-- p_limit <= 0 means "the sum of the active silos' capacities".
CREATE FUNCTION tts_acquire_permit(p_id uuid, p_silo text, p_client text, p_limit int, p_client_share double precision, p_lease_seconds double precision)
RETURNS TABLE (granted boolean, in_use int, client_in_use int, effective_limit int)
LANGUAGE plpgsql AS $$
DECLARE
    v_limit int;
    v_total int;
    v_client int;
BEGIN
    PERFORM pg_advisory_xact_lock(7405001);
    IF p_limit > 0 THEN
        v_limit := p_limit;
    ELSE
        SELECT coalesce(sum(capacity), 0) INTO v_limit FROM silos WHERE status = 'active';
        v_limit := greatest(v_limit, 1);
    END IF;
    DELETE FROM admission_permits WHERE expires_at <= now();
    SELECT count(*), count(*) FILTER (WHERE client_id = p_client) INTO v_total, v_client FROM admission_permits;
    IF v_total < v_limit AND v_client < greatest(1, floor(v_limit * p_client_share)::int) THEN
        INSERT INTO admission_permits (id, silo_id, client_id, expires_at)
        VALUES (p_id, p_silo, p_client, now() + make_interval(secs => p_lease_seconds));
        RETURN QUERY SELECT true, v_total + 1, v_client + 1, v_limit;
    ELSE
        RETURN QUERY SELECT false, v_total, v_client, v_limit;
    END IF;
END $$;

CREATE FUNCTION tts_release_permit(p_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM admission_permits WHERE id = p_id;
    IF FOUND THEN PERFORM pg_notify('tts_permits', ''); END IF;
END $$;

-- Shared result cache (encoded audio) with TTL; the total size is capped by evicting the oldest.
CREATE TABLE result_cache (
    key text PRIMARY KEY,
    content bytea NOT NULL,
    content_type text NOT NULL,
    voice_id text NOT NULL,
    audio_seconds double precision NOT NULL,
    size_bytes int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX result_cache_created ON result_cache (created_at);

-- A key being synthesised right now, by one silo (single flight across silos).
CREATE TABLE result_cache_pending (
    key text PRIMARY KEY,
    silo_id text NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Speakers and their once-computed embeddings.
CREATE TABLE speakers (
    id text PRIMARY KEY,
    base_voice_id text NOT NULL,
    speed double precision NOT NULL,
    pitch double precision NOT NULL,
    volume double precision NOT NULL,
    engine_speaker text NULL,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    embedding_kind text NULL,
    embedding bytea NULL,
    embedding_version bigint NULL,
    embedding_computations int NOT NULL DEFAULT 0
);
