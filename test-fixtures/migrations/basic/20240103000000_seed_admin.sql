-- The first account, so a fresh deployment can log in.
INSERT INTO users (email, display_name) VALUES ('admin@example.com', 'Admin');
INSERT INTO posts (author_id, title, body, published_at)
SELECT id, 'Hello', 'The first post; it says ''hello''.', now() FROM users WHERE email = 'admin@example.com';
