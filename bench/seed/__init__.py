"""seed_bench: the marketplace-size seeder (generate.py) and its parts."""

# Every seeded user's password (the harness signs in with it; kept here so that importing it needs
# no Django set-up).
PASSWORD = "bench-Pass-2026"
# The seeded users' email domain (staff: staff@<domain>).
EMAIL_DOMAIN = "bench.rethink.market"
