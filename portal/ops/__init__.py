"""Operations: health, housekeeping, the database schema, translation commands."""
