"""Pure domain rules (no database, no Qt): UPN checks, suppression and the like."""
