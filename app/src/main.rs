//! `shop`: the bundled e-commerce service. All logic lives in the library.
fn main() -> std::process::ExitCode {
    shop::cli::main(std::env::args().skip(1).collect())
}
