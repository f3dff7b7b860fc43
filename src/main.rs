//! The `cfgen` binary: parses arguments and hands over to [`cfgen::run`].
fn main() {
    std::process::exit(cfgen::run());
}
