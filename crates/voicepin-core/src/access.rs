//! Who may do what: Exchange's role-based access control, in small, and the one table
//! ([`permits`]) of what each [`Actor`] may do.
//!
//! Every use case names the [`Operation`] it performs and asks
//! [`crate::context::RequestContext::authorize`], so the HTTP API, the web pages, the
//! telephone and the CLI all get the same answer from this one table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::context::Actor;
use crate::ids::MailboxId;

/// An administrator's or a service's role (Exchange's role groups, plus one for PBXs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// Everything, administrator accounts and API tokens included.
    OrganizationManagement,
    /// UM mailbox policies, dial plans, mailboxes and PINs.
    UmManagement,
    /// View mailboxes, reset PINs and unlock mailboxes; nothing else.
    HelpDesk,
    /// Read everything (accounts and tokens included, never a secret), change nothing.
    ViewOnly,
    /// The sign-in endpoint only: a PBX that keeps its own voice mail.
    VoiceService,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] =
        [Self::OrganizationManagement, Self::UmManagement, Self::HelpDesk, Self::ViewOnly, Self::VoiceService];

    /// Exchange's name of the role group.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::OrganizationManagement => "Organization Management",
            Self::UmManagement => "UM Management",
            Self::HelpDesk => "Help Desk",
            Self::ViewOnly => "View-Only Organization Management",
            Self::VoiceService => "Voice Service",
        }
    }

    /// The stable camelCase name (API, audit log).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrganizationManagement => "organizationManagement",
            Self::UmManagement => "umManagement",
            Self::HelpDesk => "helpDesk",
            Self::ViewOnly => "viewOnly",
            Self::VoiceService => "voiceService",
        }
    }

    /// Whether the role may perform `operation`: the administrators' part of the table
    /// ([`permits`]). Every role may change its own password and sign out; no role acts
    /// as a mailbox owner or as the holder of the data directory.
    pub fn allows(self, operation: Operation) -> bool {
        use Operation::*;
        if operation == ManageOwnAccount {
            return true;
        }
        match self {
            Self::OrganizationManagement => !matches!(
                operation,
                PasswordSignIn
                    | RecoverAccount
                    | ViewOwnMailbox
                    | ChangeOwnPin
                    | ResetOwnPin
                    | ManageGreetings
                    | UsePinResetLink
            ),
            Self::UmManagement => matches!(
                operation,
                ViewConfiguration
                    | ManageDialPlans
                    | ManagePolicies
                    | ViewMailboxes
                    | ManageMailboxes
                    | ResetPins
                    | LockMailboxes
                    | UnlockMailboxes
                    | ViewAudit
            ),
            Self::HelpDesk => matches!(operation, ViewMailboxes | ResetPins | UnlockMailboxes),
            Self::ViewOnly => {
                matches!(operation, ViewConfiguration | ViewMailboxes | ViewAudit | ViewAccounts | ViewMailQueue)
            }
            Self::VoiceService => matches!(operation, VoiceSignIn),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The role names a role parses from: its camelCase name or Exchange's name, in any case,
/// with or without spaces and dashes ("Help Desk", "help-desk", "helpDesk").
impl FromStr for Role {
    type Err = crate::invalid::InvalidValue;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let squash = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
        let wanted = squash(text);
        Self::ALL.into_iter().find(|r| squash(r.as_str()) == wanted || squash(r.display_name()) == wanted).ok_or_else(
            || {
                let allowed: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
                crate::invalid::InvalidValue::new("Role", &allowed.join(", "), text.to_owned())
            },
        )
    }
}

/// What a use case does, as far as access control is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Read dial plans and policies.
    ViewConfiguration,
    /// Create, change and remove dial plans.
    ManageDialPlans,
    /// Create, change and remove UM mailbox policies.
    ManagePolicies,
    /// Read mailboxes and their PIN state.
    ViewMailboxes,
    /// Enable, disable and change mailboxes.
    ManageMailboxes,
    /// Set or reset a PIN (Set-UMMailboxPIN).
    ResetPins,
    /// Lock a mailbox.
    LockMailboxes,
    /// Unlock a mailbox.
    UnlockMailboxes,
    /// Read the audit log.
    ViewAudit,
    /// Read administrator accounts and API tokens.
    ViewAccounts,
    /// Create, change and remove administrator accounts and API tokens.
    ManageAccounts,
    /// Sign in to a mailbox with a PIN on behalf of a caller (a PBX, the telephone).
    VoiceSignIn,
    /// Sign in as an administrator with a name and password (opens a session).
    PasswordSignIn,
    /// Change one's own administrator password, sign one's own session out.
    ManageOwnAccount,
    /// Break-glass: a one-time password for any account, by whoever holds the data directory.
    RecoverAccount,
    /// A mailbox owner reads their own mailbox and PIN state.
    ViewOwnMailbox,
    /// Change a mailbox's PIN by proving the current one (the owner; the local operator).
    ChangeOwnPin,
    /// Reset a mailbox's PIN to a generated one mailed to it (the owner's self-service).
    ResetOwnPin,
    /// A mailbox owner records, chooses and removes their greetings.
    ManageGreetings,
    /// Read the mail queue (its messages and figures) and whether the service is ready.
    ViewMailQueue,
    /// Deliver the due mail and put a failed message back in the queue.
    ManageMailQueue,
    /// Ask for a self-service confirmation link, or follow one (nobody signed in: the link
    /// is the proof, and what it allows is the owner's).
    UsePinResetLink,
}

impl Operation {
    /// Every operation, in the order of the table.
    pub const ALL: [Operation; 22] = [
        Self::ViewConfiguration,
        Self::ManageDialPlans,
        Self::ManagePolicies,
        Self::ViewMailboxes,
        Self::ManageMailboxes,
        Self::ResetPins,
        Self::LockMailboxes,
        Self::UnlockMailboxes,
        Self::ViewAudit,
        Self::ViewAccounts,
        Self::ManageAccounts,
        Self::VoiceSignIn,
        Self::PasswordSignIn,
        Self::ManageOwnAccount,
        Self::RecoverAccount,
        Self::ViewOwnMailbox,
        Self::ChangeOwnPin,
        Self::ResetOwnPin,
        Self::ManageGreetings,
        Self::ViewMailQueue,
        Self::ManageMailQueue,
        Self::UsePinResetLink,
    ];

    /// A stable name for messages and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewConfiguration => "viewConfiguration",
            Self::ManageDialPlans => "manageDialPlans",
            Self::ManagePolicies => "managePolicies",
            Self::ViewMailboxes => "viewMailboxes",
            Self::ManageMailboxes => "manageMailboxes",
            Self::ResetPins => "resetPins",
            Self::LockMailboxes => "lockMailboxes",
            Self::UnlockMailboxes => "unlockMailboxes",
            Self::ViewAudit => "viewAudit",
            Self::ViewAccounts => "viewAccounts",
            Self::ManageAccounts => "manageAccounts",
            Self::VoiceSignIn => "voiceSignIn",
            Self::PasswordSignIn => "passwordSignIn",
            Self::ManageOwnAccount => "manageOwnAccount",
            Self::RecoverAccount => "recoverAccount",
            Self::ViewOwnMailbox => "viewOwnMailbox",
            Self::ChangeOwnPin => "changeOwnPin",
            Self::ResetOwnPin => "resetOwnPin",
            Self::ManageGreetings => "manageGreetings",
            Self::ViewMailQueue => "viewMailQueue",
            Self::ManageMailQueue => "manageMailQueue",
            Self::UsePinResetLink => "usePinResetLink",
        }
    }
}

/// What an operation acts on, for the checks that depend on it: a mailbox owner acts on
/// their own mailbox only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Not one mailbox: configuration, lists, accounts, the audit log, the mail queue.
    Any,
    /// One mailbox, once resolved.
    Mailbox(MailboxId),
}

/// The one table: whether `actor` may perform `operation` (on its own mailbox, for a
/// mailbox owner; [`crate::context::RequestContext::authorize`] checks the target).
pub fn permits(actor: &Actor, operation: Operation) -> bool {
    use Operation::*;
    match actor {
        Actor::Administrator { role, .. } => role.allows(operation),
        Actor::CallingSystem { .. } => Role::VoiceService.allows(operation),
        Actor::MailboxOwner { .. } => {
            matches!(operation, ViewOwnMailbox | ChangeOwnPin | ResetOwnPin | ManageGreetings)
        }
        // Whoever holds the data directory can read its keys and database anyway: every
        // operation but those that need a password session or an own mailbox.
        // A confirmation link is for the mailbox's owner, by email.
        Actor::LocalOperator { .. } => {
            !matches!(operation, PasswordSignIn | ManageOwnAccount | ViewOwnMailbox | UsePinResetLink)
        }
        // Routing calls by dial plan, readiness and mail delivery.
        Actor::System => matches!(operation, ViewConfiguration | ViewMailQueue | ManageMailQueue),
        Actor::Anonymous => matches!(operation, VoiceSignIn | PasswordSignIn | UsePinResetLink),
    }
}

#[cfg(test)]
mod tests {
    use super::Operation::*;
    use super::*;

    #[test]
    fn the_role_table() {
        let all = [
            ViewConfiguration,
            ManageDialPlans,
            ManagePolicies,
            ViewMailboxes,
            ManageMailboxes,
            ResetPins,
            LockMailboxes,
            UnlockMailboxes,
            ViewAudit,
            ViewAccounts,
            ManageAccounts,
            VoiceSignIn,
        ];
        let allowed = |role: Role| all.iter().copied().filter(|op| role.allows(*op)).collect::<Vec<_>>();
        assert_eq!(allowed(Role::OrganizationManagement), all);
        assert_eq!(
            allowed(Role::UmManagement),
            [
                ViewConfiguration,
                ManageDialPlans,
                ManagePolicies,
                ViewMailboxes,
                ManageMailboxes,
                ResetPins,
                LockMailboxes,
                UnlockMailboxes,
                ViewAudit
            ]
        );
        assert_eq!(allowed(Role::HelpDesk), [ViewMailboxes, ResetPins, UnlockMailboxes]);
        assert_eq!(allowed(Role::ViewOnly), [ViewConfiguration, ViewMailboxes, ViewAudit, ViewAccounts]);
        assert_eq!(allowed(Role::VoiceService), [VoiceSignIn]);
    }

    #[test]
    fn roles_parse_from_either_name() {
        assert_eq!("Help Desk".parse::<Role>().unwrap(), Role::HelpDesk);
        assert_eq!("help-desk".parse::<Role>().unwrap(), Role::HelpDesk);
        assert_eq!("umManagement".parse::<Role>().unwrap(), Role::UmManagement);
        assert_eq!("UM Management".parse::<Role>().unwrap(), Role::UmManagement);
        assert_eq!("View-Only".parse::<Role>().unwrap(), Role::ViewOnly);
        assert_eq!("organization management".parse::<Role>().unwrap(), Role::OrganizationManagement);
        let err = "root".parse::<Role>().unwrap_err();
        assert_eq!(err.field, "Role");
    }
}
