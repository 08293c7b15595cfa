-- Portal API v1 storage. Times are Unix microseconds (UTC). Emails are kept as
-- given and compared through email_norm (lower case), unique across the portal.
CREATE TABLE partners (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    user_admin_min_role TEXT NOT NULL DEFAULT 'manager',
    version             INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE roles (
    partner_id  TEXT NOT NULL REFERENCES partners(id),
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    rank        INTEGER NOT NULL,
    permissions TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (partner_id, key)
);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    partner_id       TEXT NOT NULL REFERENCES partners(id),
    email            TEXT NOT NULL,
    email_norm       TEXT NOT NULL UNIQUE,
    email_domain     TEXT NOT NULL,
    first_name       TEXT NOT NULL DEFAULT '',
    last_name        TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    password_hash    TEXT,
    access_expires_at INTEGER,
    last_activity_at INTEGER,
    deleted_at       INTEGER,
    version          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX users_partner ON users (partner_id, id);
CREATE INDEX users_partner_domain ON users (partner_id, email_domain, id);

CREATE TABLE grants (
    user_id    TEXT NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX grants_role ON grants (role, user_id);

CREATE TABLE invites (
    id                      TEXT PRIMARY KEY,
    partner_id              TEXT NOT NULL REFERENCES partners(id),
    email                   TEXT NOT NULL,
    email_norm              TEXT NOT NULL,
    roles                   TEXT NOT NULL,
    lifetime_seconds        INTEGER NOT NULL,
    access_duration_seconds INTEGER NOT NULL,
    token_hash              TEXT NOT NULL UNIQUE,
    expires_at              INTEGER NOT NULL,
    accepted_at             INTEGER,
    revoked_at              INTEGER,
    user_id                 TEXT,
    send_count              INTEGER NOT NULL,
    invited_by              TEXT NOT NULL,
    version                 INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);
CREATE INDEX invites_partner ON invites (partner_id, id);
CREATE INDEX invites_email ON invites (partner_id, email_norm);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    operator   INTEGER NOT NULL,
    partner_id TEXT,
    user_id    TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE password_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE audit_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id     TEXT NOT NULL,
    time           INTEGER NOT NULL,
    actor_type     TEXT NOT NULL,
    actor_id       TEXT NOT NULL,
    actor_email    TEXT NOT NULL,
    action         TEXT NOT NULL,
    target_type    TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    target_user_id TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    before         TEXT,
    after          TEXT
);
CREATE INDEX audit_partner ON audit_events (partner_id, seq);
CREATE INDEX audit_target_user ON audit_events (partner_id, target_user_id, seq);

CREATE TABLE idempotency (
    token_id   TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT NOT NULL,
    status     INTEGER NOT NULL,
    headers    TEXT NOT NULL,
    body       BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (token_id, key)
);

CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT NOT NULL,
    token      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_to ON outbox (to_addr, seq);
