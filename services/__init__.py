"""Local infrastructure without Docker: a TimescaleDB cluster and a Mosquitto broker."""
