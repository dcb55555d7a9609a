-- Nullable, no default: no rewrite. The app fills it in batches.
ALTER TABLE documents ADD COLUMN public_id uuid;
