//! A value a parameter does not allow: the one error the domain's value types return, kept
//! apart from the use cases' [`crate::error::Error`] so that the value types (policy, access,
//! mailbox, accounts) do not depend on the module that depends on them.

use thiserror::Error;

/// A value outside what a parameter allows. Names the parameter (Exchange's name) and the
/// allowed values, so any front end can say exactly what to change.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {given:?} is not allowed (allowed: {allowed})")]
pub struct InvalidValue {
    /// The parameter, by its Exchange name (`MinPINLength`, `Extensions` ...).
    pub field: &'static str,
    /// What the parameter accepts.
    pub allowed: String,
    /// What was given (never a PIN).
    pub given: String,
}

impl InvalidValue {
    /// A value refused for `field`.
    pub fn new(field: &'static str, allowed: &str, given: String) -> Self {
        Self { field, allowed: allowed.to_owned(), given }
    }
}
