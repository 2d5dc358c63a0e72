//! The rule table: each rule's id, severity, why it matters and the safe sequence instead.
//! The checks that raise them are in [`super::checks`] (SQL) and [`super::python`] (Alembic).

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Breaks the running code or locks a table for long: exit 1.
    Error,
    /// A style note: reported, exit code unchanged.
    Style,
    /// devenv could not read something; reported, exit code unchanged.
    Warning,
}

/// One rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// Allowed in a migration marked `-- devenv:cleanup <reason>`.
    pub cleanup_ok: bool,
    pub why: &'static str,
    pub safe: &'static str,
}

macro_rules! rule {
    ($id:literal, $sev:ident, $cleanup:literal, $why:literal, $safe:literal) => {
        Rule {
            id: $id,
            severity: Severity::$sev,
            cleanup_ok: $cleanup,
            why: $why,
            safe: $safe,
        }
    };
}

/// Every rule, in the order the docs list them.
pub(crate) static RULES: &[Rule] = &[
    rule!(
        "drop-column",
        Error,
        true,
        "the code running now still reads or writes the column; its queries fail the moment the column is gone",
        "deploy code that no longer uses the column first, then drop it in a later migration marked `-- devenv:cleanup <reason>`"
    ),
    rule!(
        "drop-table",
        Error,
        true,
        "the code running now still queries the table; every such query fails once it is dropped",
        "deploy code that no longer uses the table, then drop it in a later migration marked `-- devenv:cleanup <reason>`"
    ),
    rule!(
        "drop-schema",
        Error,
        true,
        "drops every object in it at once, including tables the running code uses",
        "move code off the schema's objects first, then drop it in a cleanup migration"
    ),
    rule!(
        "rename-column",
        Error,
        true,
        "the running code uses the old name; every query naming it fails after the rename",
        "add the new column, write to both, backfill, switch reads to the new column, then drop the old one in a cleanup migration"
    ),
    rule!(
        "rename-table",
        Error,
        true,
        "the running code uses the old name; every query naming it fails after the rename",
        "rename and keep the old name working with a view (`CREATE VIEW old AS SELECT * FROM new`), move the code over, drop the view in a cleanup migration"
    ),
    rule!(
        "rename-enum-value",
        Error,
        true,
        "the running code still writes and compares the old value",
        "add the new value (`ALTER TYPE … ADD VALUE`), move code and rows over, stop using the old value"
    ),
    rule!(
        "drop-not-null",
        Error,
        true,
        "the running code may assume the column is never NULL and break on the first NULL it reads",
        "deploy code that handles NULL first, then drop the constraint in a cleanup migration"
    ),
    rule!(
        "truncate-table",
        Error,
        true,
        "deletes every row the running code relies on, under an ACCESS EXCLUSIVE lock",
        "delete only what must go, in batches, or do it in a cleanup migration with a reason"
    ),
    rule!(
        "change-column-type",
        Error,
        false,
        "rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (reads and writes wait), and the running code may not handle the new type",
        "add a new column of the new type, backfill it in batches, switch the code, drop the old column in a cleanup migration (varchar(n) → text or a longer varchar does not rewrite: ignore with that reason)"
    ),
    rule!(
        "set-not-null",
        Error,
        false,
        "scans the whole table under an ACCESS EXCLUSIVE lock, and running code that inserts NULL starts failing",
        "`ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID`; in a later migration `VALIDATE CONSTRAINT c`, then `SET NOT NULL` (no scan thanks to the valid check) and drop the check"
    ),
    rule!(
        "add-required-column",
        Error,
        false,
        "a NOT NULL column without a DEFAULT: INSERTs from the running code don't set it and fail (and on a non-empty table the ALTER itself fails)",
        "add it with a constant DEFAULT (instant since PostgreSQL 11), or nullable; backfill; set NOT NULL later with the CHECK … NOT VALID sequence"
    ),
    rule!(
        "add-column-volatile-default",
        Error,
        false,
        "a volatile default (random(), gen_random_uuid(), clock_timestamp(), serial, a generated column) rewrites the whole table under an ACCESS EXCLUSIVE lock",
        "add the column without a default, then `ALTER COLUMN … SET DEFAULT …` in a second statement, and backfill old rows in batches"
    ),
    rule!(
        "create-index-non-concurrently",
        Error,
        false,
        "CREATE INDEX blocks every write to the table for as long as the build takes",
        "`-- devenv:no-transaction` as the file's first line and `CREATE INDEX CONCURRENTLY IF NOT EXISTS …` (one index per file keeps a retry simple)"
    ),
    rule!(
        "drop-index-non-concurrently",
        Error,
        false,
        "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: reads and writes wait behind it",
        "`-- devenv:no-transaction` as the file's first line and `DROP INDEX CONCURRENTLY IF EXISTS …`"
    ),
    rule!(
        "reindex-non-concurrently",
        Error,
        false,
        "REINDEX blocks writes to the table (and reads that use the index) for the whole rebuild",
        "`-- devenv:no-transaction` as the file's first line and `REINDEX … CONCURRENTLY`"
    ),
    rule!(
        "concurrently-in-transaction",
        Error,
        false,
        "CONCURRENTLY cannot run inside a transaction block, and devenv runs each file in one: the migration fails",
        "put `-- devenv:no-transaction` on the file's first line (in Alembic: inside `with op.get_context().autocommit_block():`)"
    ),
    rule!(
        "add-foreign-key-not-valid",
        Error,
        false,
        "checking every existing row holds SHARE ROW EXCLUSIVE locks on both tables for the whole scan, blocking their writes",
        "`ADD CONSTRAINT … FOREIGN KEY … NOT VALID`, then `VALIDATE CONSTRAINT …` in a later migration (it takes a weaker lock)"
    ),
    rule!(
        "add-check-not-valid",
        Error,
        false,
        "checking every existing row holds an ACCESS EXCLUSIVE lock for the whole scan",
        "`ADD CONSTRAINT … CHECK (…) NOT VALID`, then `VALIDATE CONSTRAINT …` in a later migration"
    ),
    rule!(
        "add-unique-constraint",
        Error,
        false,
        "builds a unique index while holding an ACCESS EXCLUSIVE lock: reads and writes wait for the build",
        "`CREATE UNIQUE INDEX CONCURRENTLY i ON t (…)` in a no-transaction file, then `ADD CONSTRAINT c UNIQUE USING INDEX i`"
    ),
    rule!(
        "add-primary-key",
        Error,
        false,
        "builds the primary-key index (and checks NOT NULL) under an ACCESS EXCLUSIVE lock",
        "`CREATE UNIQUE INDEX CONCURRENTLY i ON t (…)` in a no-transaction file, then `ADD CONSTRAINT pk PRIMARY KEY USING INDEX i`"
    ),
    rule!(
        "add-exclusion-constraint",
        Error,
        false,
        "builds its index and checks every row under an ACCESS EXCLUSIVE lock, and has no NOT VALID or USING INDEX form",
        "create the constraint together with the table, or ignore with a reason when the table is small"
    ),
    rule!(
        "validate-in-same-transaction",
        Error,
        false,
        "validating in the transaction that added the constraint keeps the ADD's strong lock during the whole scan, undoing NOT VALID",
        "validate in a later migration"
    ),
    rule!(
        "rewrite-table",
        Error,
        false,
        "VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock",
        "let autovacuum work, or use pg_repack outside migrations"
    ),
    rule!(
        "transaction-in-file",
        Error,
        false,
        "devenv runs each file in its own transaction; a BEGIN/COMMIT inside splits it, so a failure leaves it half applied",
        "remove BEGIN/COMMIT; if the file must not run in a transaction, put `-- devenv:no-transaction` on its first line"
    ),
    rule!(
        "cleanup-without-reason",
        Error,
        false,
        "a cleanup marker lets drops through, so it must say why they are safe now",
        "`-- devenv:cleanup <reason>`, e.g. `-- devenv:cleanup users.legacy_id unused since release 42`"
    ),
    rule!(
        "ignore-without-reason",
        Error,
        false,
        "an ignore without a reason gets copied along and hides real problems",
        "`-- devenv:ignore <rule-id> <reason>` on the line above the statement"
    ),
    rule!(
        "prefer-jsonb",
        Style,
        false,
        "json keeps the text as written (no indexing, no equality); jsonb is what you want almost always",
        "use `jsonb`"
    ),
    rule!(
        "prefer-timestamptz",
        Style,
        false,
        "timestamp without time zone silently depends on the session's time zone",
        "use `timestamptz`"
    ),
    rule!(
        "prefer-text",
        Style,
        false,
        "varchar(n)/char(n) lengths are a poor check and changing them later needs a migration",
        "use `text` (with a CHECK on length if it matters)"
    ),
    rule!(
        "prefer-identity",
        Style,
        false,
        "serial types leave a separately-owned sequence behind; identity columns are the standard form",
        "`bigint GENERATED BY DEFAULT AS IDENTITY`"
    ),
    rule!(
        "unparsed",
        Warning,
        false,
        "devenv could not read this part, so it was not checked",
        "check it by hand, or simplify it so it can be read"
    ),
];

pub(crate) fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
