//! devenv's one integration-test binary: one module per area, all running the real binary.
//! Tests that need the Docker engine or PostgreSQL are `#[ignore]`d with the reason, so a
//! plain `cargo test` lists them as ignored; `.ci/run` and the README's test command run them
//! with `cargo test -- --include-ignored`.

mod common;

mod assets;
mod cli;
mod compose;
mod compose_v2;
mod db;
mod engine;
mod first_day;
