"""The ecommerce example API (see ../README.md)."""
