"""Pages of the economy domain."""
