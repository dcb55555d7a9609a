//! slipway-release: see README.md.
