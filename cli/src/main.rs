//! The `devenv` binary: everything lives in the library (`cli/src/lib.rs`).
fn main() -> std::process::ExitCode {
    devenv::main()
}
