-- A started connection is bound to the browser that opens its proxy link (/auth/xero/start):
-- `authorize_url` is Xero's consent page it sends that browser on to; `browser` is the SHA-256
-- of the secret in that browser's cookie, NULL until the link is opened (it can be opened once).
-- The callback needs both the state and that cookie.
ALTER TABLE connection_attempt ADD COLUMN authorize_url TEXT NOT NULL DEFAULT '';
ALTER TABLE connection_attempt ADD COLUMN browser BLOB;
