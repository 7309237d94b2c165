-- A delivery's body fingerprint is now the HMAC-SHA256 the signature check computes (under the
-- first webhook secret), not a second SHA-256 of the body (Delivery::body_digest). Rows written
-- before hold the SHA-256: a replay of one of those bodies under a new id is not recognised by
-- its body, only by its id. (The partial index deliveries_by_body follows the column.)
ALTER TABLE deliveries RENAME COLUMN body_sha256 TO body_digest;
