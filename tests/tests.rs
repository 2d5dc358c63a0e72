//! devenv's one integration-test binary: one module per area, all running the real binary.
//! Tests that need the Docker engine or PostgreSQL run only with `DEVENV_CONTAINER_TESTS=1`
//! (which `.ci/run` sets); otherwise they print why they were skipped.

mod common;

mod assets;
mod cli;
mod compose;
mod db;
mod engine;
mod first_day;
