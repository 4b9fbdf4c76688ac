DROP TABLE site_counters;
DROP TABLE favorites;
DROP TABLE follows;
DROP TABLE comments;
DROP TABLE article_tags;
DROP TABLE tags;
DROP TABLE articles;
DROP TABLE users;
