"""HTTP API and web console: routers, dependencies, access scoping, response models."""
