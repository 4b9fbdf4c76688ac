DROP INDEX users_email_canon_key;
DROP INDEX users_username_canon_key;
ALTER TABLE users DROP COLUMN email_canon;
ALTER TABLE users DROP COLUMN username_canon;
ALTER TABLE users DROP COLUMN session_generation;
