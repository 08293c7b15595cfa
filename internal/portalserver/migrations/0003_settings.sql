-- Values the server generates once and keeps: the key that signs page tokens
-- (page_token_key, 32 random bytes, written by the Go step pageTokenKey).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
