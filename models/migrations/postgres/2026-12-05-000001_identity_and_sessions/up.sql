-- Identity without case, and sessions that can be ended (kept in step with ../../sqlite/).
--
-- username_canon and email_canon are the forms two names are compared in (NFC, lower case;
-- computed by the models tier, src/identity.rs, the same on both backends): unique, so `ADA`
-- and `ada` are one user and ADA@x and ada@x one account. They are filled for existing rows by
-- `models migrate` right after this migration (src/db/mod.rs, `canonicalize_identities`),
-- which renames the later of two names that now collide and says so; until then they are
-- NULL, which a unique index allows, and lookups match such a row by its name as written (an
-- older models build may still write rows during a rolling update: run `models migrate` again
-- after it).
--
-- session_generation is carried in every token; bumping it (a password change, "sign out
-- everywhere") makes every older token invalid.
ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN username_canon TEXT;
ALTER TABLE users ADD COLUMN email_canon TEXT;
CREATE UNIQUE INDEX users_username_canon_key ON users (username_canon);
CREATE UNIQUE INDEX users_email_canon_key ON users (email_canon);
