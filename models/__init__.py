"""The shared typed vocabulary every LineCare stage speaks."""
