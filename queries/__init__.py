"""Saved investigation queries (`.cypher` files) and the library that reads them."""
