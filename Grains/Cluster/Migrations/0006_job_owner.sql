-- Jobs belong to the API key that submitted them (NULL when the cluster runs without keys).
ALTER TABLE tts_jobs ADD COLUMN owner text NULL;
