//! devenv's one integration-test binary: one module per area, all running the real binary.
//! Tests that need the Docker engine or PostgreSQL are `#[ignore]`d with the reason, so a
//! plain `cargo test` lists them as ignored; `.ci/run` and the README's test command run them
//! with `cargo test -- --include-ignored`.
// A scenario test reads top to bottom; the length rule is for the product's functions.
#![allow(
    clippy::too_many_lines,
    reason = "end-to-end scenarios read best as one story"
)]

mod common;

mod assets;
mod cli;
mod compose;
mod compose_v2;
mod db;
mod engine;
mod first_day;
