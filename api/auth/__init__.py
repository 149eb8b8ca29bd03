"""Sign-in: passwords, sessions, access tokens, API keys and the rate limit (docs/access.md)."""
