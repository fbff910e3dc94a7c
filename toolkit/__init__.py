"""Seller account health analytics."""
