"""Webhooks: merchants' endpoints, the fan-out of published events to them, delivery with retries, URL safety."""
