"""One router per resource; each only parses input, checks access and shapes output."""
