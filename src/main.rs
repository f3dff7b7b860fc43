//! The `cfgen` binary: parses arguments and hands over to [`cfgen::run`].

/// mimalloc instead of glibc malloc: allocation was a fifth of a build's CPU
/// time (many small strings and maps), and glibc's arenas contend across threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cfgen::run());
}
