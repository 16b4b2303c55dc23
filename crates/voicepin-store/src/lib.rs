//! Store adapters.
