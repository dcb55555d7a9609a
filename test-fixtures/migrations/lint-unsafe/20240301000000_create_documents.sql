-- The app's schema before the risky changes below.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE
);

CREATE TABLE documents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id bigint,
    title text,
    body text,
    legacy_flag boolean,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE legacy_imports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload text
);
