"""Domain services. Each takes an open session, checks permissions, and never commits:
the caller (one HTTP request, one CLI command) owns the transaction."""
