"""Collectors: OPC UA and MQTT transport adapters, pure payload parsing, batching."""
