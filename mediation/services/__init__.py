"""Use cases. Each takes the acting user and ``now``, changes data and flushes; the caller (view,
CLI command or job) owns the one commit."""
