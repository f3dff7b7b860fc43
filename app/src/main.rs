//! The bundled e-commerce service (placeholder until its issue lands).
fn main() {}
