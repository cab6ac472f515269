//! The `infersim` binary: a thin wrapper over [`infersim::cli::main`].
fn main() -> std::process::ExitCode {
    infersim::cli::main()
}
