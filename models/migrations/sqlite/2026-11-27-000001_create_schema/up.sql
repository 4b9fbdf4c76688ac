-- The Conduit schema (SQLite). Kept in step with ../../postgres/ (same tables, columns and
-- indexes) and with src/db/schema.rs.
--
-- Counters (users.articles_count, users.favorites_count, tags.articles_count,
-- articles.favorites_count, site_counters) are maintained by the write queries in the same
-- transaction as the rows they count, so list totals never need a scan.
-- article_tags and favorites copy the article's created_at so that "newest first by tag" and
-- "newest first favorited by" are a single index range scan.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT NOT NULL CONSTRAINT users_username_key UNIQUE,
    email           TEXT NOT NULL CONSTRAINT users_email_key UNIQUE,
    password_hash   TEXT NOT NULL,
    bio             TEXT,
    image           TEXT,
    articles_count  BIGINT NOT NULL DEFAULT 0,
    favorites_count BIGINT NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK (username <> ''),
    CHECK (email <> '')
);

CREATE TABLE articles (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    slug            TEXT NOT NULL CONSTRAINT articles_slug_key UNIQUE,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- The article's tag names as a sorted JSON array: pages read it without a join.
    -- article_tags stays the source of truth for "by tag" lists and counts.
    tag_list        TEXT NOT NULL DEFAULT '[]',
    author_id       BIGINT NOT NULL REFERENCES users (id),
    favorites_count BIGINT NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK (slug <> '')
);
CREATE INDEX articles_newest_idx ON articles (created_at DESC, id DESC);
CREATE INDEX articles_author_newest_idx ON articles (author_id, created_at DESC, id DESC);

CREATE TABLE tags (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL CONSTRAINT tags_name_key UNIQUE,
    articles_count BIGINT NOT NULL DEFAULT 0,
    CHECK (name <> '')
);
CREATE INDEX tags_popular_idx ON tags (articles_count DESC, name);

CREATE TABLE article_tags (
    article_id         BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id             BIGINT NOT NULL REFERENCES tags (id),
    article_created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag_newest_idx
    ON article_tags (tag_id, article_created_at DESC, article_id DESC);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  BIGINT NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX comments_article_idx ON comments (article_id, created_at, id);

CREATE TABLE follows (
    follower_id BIGINT NOT NULL REFERENCES users (id),
    followee_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (follower_id, followee_id),
    CONSTRAINT follows_no_self_follow CHECK (follower_id <> followee_id)
);

CREATE TABLE favorites (
    user_id            BIGINT NOT NULL REFERENCES users (id),
    article_id         BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    article_created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, article_id)
);
CREATE INDEX favorites_user_newest_idx
    ON favorites (user_id, article_created_at DESC, article_id DESC);
CREATE INDEX favorites_article_idx ON favorites (article_id);

CREATE TABLE site_counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO site_counters (name, value) VALUES ('articles', 0);
