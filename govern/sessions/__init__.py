"""Sessions: login against the directory, opaque server-side sessions, rate-limited failures."""
