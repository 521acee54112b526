//! Maintainer tools for respec (binaries `dump`, `diff`, `gen`).
