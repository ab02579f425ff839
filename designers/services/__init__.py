"""Designer writes, one module per job: ``profiles`` (applying to sell, profile edits, staff
decisions) and ``portfolio`` (portfolio items and their images)."""
