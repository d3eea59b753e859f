"""REST API for merchants, service providers and buyers."""
