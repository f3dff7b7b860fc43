//! Tests of the merges and of writing patched objects back.
