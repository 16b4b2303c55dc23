//! Identifiers and revisions of stored objects.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new random identifier.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a UM dial plan.
    DialPlanId
);
id_type!(
    /// Identifies a UM mailbox policy.
    PolicyId
);
id_type!(
    /// Identifies a UM mailbox.
    MailboxId
);
id_type!(
    /// Identifies a queued email message.
    MailId
);
id_type!(
    /// Identifies an audit event.
    AuditId
);
id_type!(
    /// Identifies an API token.
    TokenId
);

id_type!(
    /// Identifies an administrator account.
    AccountId
);
id_type!(
    /// Identifies a browser session.
    SessionId
);
id_type!(
    /// Identifies a self-service confirmation link.
    LinkId
);

/// The version of a stored object, for optimistic concurrency: a write names the revision it
/// read and fails with a conflict if someone else wrote in between.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Revision(pub i64);

impl Revision {
    /// The revision of an object that has not been stored yet.
    pub const NEW: Revision = Revision(0);

    /// The revision a successful write gives the object.
    pub fn next(self) -> Revision {
        Revision(self.0 + 1)
    }
}
