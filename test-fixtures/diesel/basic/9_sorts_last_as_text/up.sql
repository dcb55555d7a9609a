-- Diesel sorts versions as text: "9" comes after "2024...".
ALTER TABLE posts ADD COLUMN body TEXT;
