//! A throwaway PostgreSQL server in a temp folder on a free port (db tests).
