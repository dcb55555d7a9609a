-- Expand: a new column of the new type; the app writes both, then reads this one.
ALTER TABLE documents ADD COLUMN owner_ref numeric(20, 0);
