"""Storage layer: schema migrations, writers and queries over TimescaleDB."""
