"""Helpers shared by several feature test packages."""
