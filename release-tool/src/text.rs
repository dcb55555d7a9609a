//! Positions in text, for messages that name a line. A leaf: it imports
//! nothing from the crate. The rule itself is shared with the buildpack, so it
//! lives in `slipway_pgvector_scan::text`.

pub(crate) use slipway_pgvector_scan::text::{line_and_column, line_of, offset_of_character};
