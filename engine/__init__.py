"""Engine: everything that talks to PostgreSQL; usable without the console."""
