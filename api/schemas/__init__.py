"""Response models: the JSON shape of each resource, built from the shared models."""
