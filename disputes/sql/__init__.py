"""Raw SQL lives here and only here: PostgreSQL-specific statements the sweeps and the ledger need for speed or
integrity (bulk inserts through unnest(), the help sweep's set-based misses, append-only triggers). Each module
keeps a portable ORM path beside its SQL, or says why it needs none."""
