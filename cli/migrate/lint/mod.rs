//! `db lint`: placeholder while the rules are written.
