//! JSON lines: [`scan`] pulls the wanted fields out of a stored line without parsing the
//! rest (the fast path of every reader), falling back to serde_json for anything unusual.

pub mod scan;
