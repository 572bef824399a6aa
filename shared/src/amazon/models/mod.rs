//! Typed models (serde) of the Amazon operations the client uses.
