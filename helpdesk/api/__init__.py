"""The public HTTP API, v1: the contract in shared/API.md, published at /api/schema/."""
