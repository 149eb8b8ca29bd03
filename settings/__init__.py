"""The configuration every entry point (launcher, API, tests) builds at start-up."""
