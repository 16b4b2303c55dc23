//! The commands of each kind of object: `voicepin dialplan|policy|mailbox|pin|mail|audit|
//! token|key|admin ...`, their verbs and options.

use clap::{Args, Subcommand};

use super::{Identity, NewName, OptionalIdentity, parse_bool, parse_country_code, parse_result_size};

#[derive(Debug, Subcommand)]
pub enum DialPlanCommand {
    /// Create a dial plan (New-UMDialPlan), and its default policy unless told not to.
    New {
        #[command(flatten)]
        name: NewName,
        #[command(flatten)]
        settings: DialPlanOptions,
        /// Also create "<name> Default Policy" (GenerateUMMailboxPolicy).
        #[arg(long, value_name = "BOOL", value_parser = parse_bool, default_value = "true", action = clap::ArgAction::Set)]
        generate_um_mailbox_policy: bool,
        /// Accepted for Exchange scripts; voicepin dial plans need no country code.
        #[arg(long, value_name = "CODE", value_parser = parse_country_code)]
        country_or_region_code: Option<String>,
        /// Accepted for Exchange scripts: TelExtn, SipName or E164.
        #[arg(long, value_name = "TYPE", value_parser = ["TelExtn", "SipName", "E164"], ignore_case = true)]
        uri_type: Option<String>,
    },
    /// Show one dial plan, or all (Get-UMDialPlan).
    Get {
        #[command(flatten)]
        identity: OptionalIdentity,
    },
    /// Change a dial plan (Set-UMDialPlan).
    Set {
        #[command(flatten)]
        identity: Identity,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        settings: DialPlanOptions,
    },
    /// Remove a dial plan and its unused policies (Remove-UMDialPlan).
    Remove {
        #[command(flatten)]
        identity: Identity,
    },
}

#[derive(Debug, Args)]
pub struct DialPlanOptions {
    /// Digits in an extension, 1-20 (required for a new dial plan).
    #[arg(long, value_name = "1-20")]
    pub number_of_digits_in_extension: Option<u32>,
    /// The numbers users dial to reach voice access (comma-separated or repeated).
    #[arg(long, value_name = "NUMBER", value_delimiter = ',', alias = "access-number")]
    pub access_telephone_numbers: Option<Vec<String>>,
    /// Failed sign-ins per call before it is disconnected, 1-20 (default 3).
    #[arg(long, value_name = "1-20")]
    pub logon_failures_before_disconnect: Option<u32>,
    /// Invalid inputs per call before it is disconnected, 1-20 (default 3).
    #[arg(long, value_name = "1-20")]
    pub input_failures_before_disconnect: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Create a policy with Exchange's defaults (New-UMMailboxPolicy).
    New {
        #[command(flatten)]
        name: NewName,
        /// The dial plan (UMDialPlan), by name or id.
        #[arg(long, value_name = "DIAL_PLAN", alias = "um-dial-plan")]
        dial_plan: String,
        #[command(flatten)]
        settings: PolicyOptions,
    },
    /// Show one policy, or all (Get-UMMailboxPolicy).
    Get {
        #[command(flatten)]
        identity: OptionalIdentity,
        /// Only the policies of this dial plan.
        #[arg(long, value_name = "DIAL_PLAN", alias = "um-dial-plan")]
        dial_plan: Option<String>,
    },
    /// Change a policy (Set-UMMailboxPolicy).
    Set {
        #[command(flatten)]
        identity: Identity,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        settings: PolicyOptions,
    },
    /// Remove a policy no mailbox uses (Remove-UMMailboxPolicy).
    Remove {
        #[command(flatten)]
        identity: Identity,
    },
}

#[derive(Debug, Args)]
pub struct PolicyOptions {
    /// Minimum digits in a PIN, 4-24 (default 6).
    #[arg(long, value_name = "4-24", alias = "min-pinlength")]
    pub min_pin_length: Option<u32>,
    /// Days until a PIN must change, 1-999, or unlimited (default 60).
    #[arg(long, value_name = "DAYS|unlimited")]
    pub pin_lifetime: Option<String>,
    /// Previous PINs that may not be reused, the current one included, 1-20 (default 5).
    #[arg(long, value_name = "1-20")]
    pub pin_history_count: Option<u32>,
    /// Allow consecutive and repeated digits (default false).
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub allow_common_patterns: Option<bool>,
    /// Sequential failures before the PIN is reset and emailed, 1-998 or unlimited (default 5).
    #[arg(long, value_name = "N|unlimited")]
    pub logon_failures_before_pin_reset: Option<String>,
    /// Failures before the mailbox is locked, 1-999 (default 15).
    #[arg(long, value_name = "1-999")]
    pub max_logon_attempts: Option<u32>,
    /// Text added to the PIN reset email, at most 512 characters of simple HTML.
    #[arg(long, value_name = "TEXT")]
    pub reset_pin_text: Option<String>,
    /// Text added at the bottom of the welcome email, at most 512 characters of simple HTML.
    #[arg(long, value_name = "TEXT")]
    pub um_enabled_text: Option<String>,
    /// Whether users may sign in by phone (default true).
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub allow_subscriber_access: Option<bool>,
    /// Whether users may reach voice mail without a PIN from their own phone (default false).
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub allow_pinless_voice_mail_access: Option<bool>,
    /// Extended check: no extension (or extension reversed) inside a PIN.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub block_extension_in_pin: Option<bool>,
    /// Extended check: not the first or last name spelled on the keypad.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub block_name_on_keypad: Option<bool>,
    /// Extended check: no repeated groups of digits (408408).
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub block_repeated_groups: Option<bool>,
    /// Extended check: at least three different digits.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub require_three_distinct_digits: Option<bool>,
    /// Extended check: no digit more than twice in a row.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub block_digit_runs: Option<bool>,
    /// Extended check: no three keys in a straight keypad line.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub block_keypad_lines: Option<bool>,
    /// Extended check: not one of the most common PINs.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub block_common_pins: Option<bool>,
    /// Extended check: not a previous PIN reversed.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub block_reversed_history: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// Enable a mailbox for voice access and email its PIN (Enable-UMMailbox).
    Enable(EnableOptions),
    /// Disable a mailbox for voice access (Disable-UMMailbox).
    Disable {
        #[command(flatten)]
        identity: Identity,
        /// Keep the UM properties for a later enable (default true); false removes them.
        #[arg(long, value_name = "BOOL", value_parser = parse_bool, default_value = "true", action = clap::ArgAction::Set)]
        keep_properties: bool,
    },
    /// Show one mailbox, or a list (Get-UMMailbox).
    Get {
        #[command(flatten)]
        identity: OptionalIdentity,
        #[command(flatten)]
        filter: ListOptions,
    },
    /// Change a mailbox (Set-UMMailbox).
    Set {
        #[command(flatten)]
        identity: Identity,
        /// Move the mailbox to another policy (UMMailboxPolicy).
        #[arg(long, value_name = "POLICY", alias = "um-mailbox-policy")]
        policy: Option<String>,
        #[command(flatten)]
        properties: MailboxOptions,
    },
}

#[derive(Debug, Args)]
pub struct MailboxOptions {
    /// Extensions, primary first (comma-separated or repeated).
    #[arg(long = "extension", value_name = "DIGITS", value_delimiter = ',', alias = "extensions")]
    pub extensions: Option<Vec<String>>,
    /// Display name.
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// First name.
    #[arg(long, value_name = "NAME")]
    pub first_name: Option<String>,
    /// Last name.
    #[arg(long, value_name = "NAME")]
    pub last_name: Option<String>,
    /// Alias (resolves as an identity).
    #[arg(long, value_name = "ALIAS")]
    pub alias: Option<String>,
    /// Phone numbers in E.164 form, for caller ID (comma-separated or repeated).
    #[arg(long = "phone-number", value_name = "E164", value_delimiter = ',', alias = "phone-numbers")]
    pub phone_numbers: Option<Vec<String>>,
    /// Whether this user may sign in by phone (default true).
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub subscriber_access_enabled: Option<bool>,
    /// Whether this user may reach voice mail without a PIN from their own phone.
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub pinless_access_to_voice_mail_enabled: Option<bool>,
}

#[derive(Debug, Args)]
pub struct ListOptions {
    /// Only mailboxes of this policy.
    #[arg(long, value_name = "POLICY", alias = "um-mailbox-policy")]
    pub policy: Option<String>,
    /// Only mailboxes of this dial plan.
    #[arg(long, value_name = "DIAL_PLAN", alias = "um-dial-plan")]
    pub dial_plan: Option<String>,
    /// Ambiguous name resolution: part of an address or name, or the start of an extension.
    #[arg(long, value_name = "TEXT", alias = "anr")]
    pub search: Option<String>,
    /// Only locked-out mailboxes (true) or only the others (false).
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub locked_out: Option<bool>,
    /// At most this many (default 1000), or unlimited.
    #[arg(long, value_name = "N|unlimited", default_value = "1000", value_parser = parse_result_size)]
    pub result_size: u32,
}

#[derive(Debug, Subcommand)]
pub enum PinCommand {
    /// Show PIN state: UserID, PinExpired, FirstTimeUser, LockedOut and more (Get-UMMailboxPIN).
    Get {
        #[command(flatten)]
        identity: OptionalIdentity,
        #[command(flatten)]
        filter: ListOptions,
    },
    /// Set or reset a PIN and email it (Set-UMMailboxPIN).
    Set {
        #[command(flatten)]
        identity: Identity,
        /// The new PIN; generated when omitted. Prefer `--pin -`, which reads it from
        /// standard input: a command line is visible to other users of the machine.
        #[arg(long, value_name = "DIGITS")]
        pin: Option<String>,
        /// Whether the PIN must be changed at the next sign-in (default true).
        #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
        pin_expired: Option<bool>,
        /// Lock (true) or unlock (false, the default) the mailbox.
        #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
        locked_out: Option<bool>,
        /// Email the PIN (default true).
        #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
        send_email: Option<bool>,
        /// Send the PIN here instead of to the mailbox.
        #[arg(long, value_name = "ADDRESS")]
        notify_email: Option<String>,
    },
    /// Lock a mailbox out of voice access.
    Lock {
        #[command(flatten)]
        identity: Identity,
    },
    /// Unlock a mailbox and clear its failure counters.
    Unlock {
        #[command(flatten)]
        identity: Identity,
    },
    /// Sign in with a PIN read from standard input (Test-UMConnectivity): prints success,
    /// pinChangeRequired or failed; exits 0, 0 or 1.
    Test {
        #[command(flatten)]
        identity: Identity,
        /// The dial plan an extension belongs to.
        #[arg(long, value_name = "DIAL_PLAN", alias = "um-dial-plan")]
        dial_plan: Option<String>,
    },
    /// Change a PIN as its user: reads the current PIN, then the new PIN, one per line from
    /// standard input.
    Change {
        #[command(flatten)]
        identity: Identity,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Deliver the messages that are due, once.
    Deliver,
    /// Send a test message through the configured transport (SMTP or the pickup folder).
    Test {
        /// The recipient.
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
    /// List undelivered and failed messages (metadata only, never bodies).
    Queue {
        /// Include delivered messages.
        #[arg(long)]
        all: bool,
    },
    /// Put a failed message back in the queue.
    Retry {
        /// The message id.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only about this mailbox (address, alias, extension or id).
    #[arg(long, value_name = "IDENTITY")]
    pub mailbox: Option<String>,
    /// Only this action (pinSet, signInFailed, mailboxLocked ...).
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,
    /// Only by this actor.
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// At most this many (default 100).
    #[arg(long, default_value = "100")]
    pub limit: u32,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token bound to a role and print it, once.
    Create {
        /// A name to recognise it by (letters, digits, dots, dashes, underscores).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// organizationManagement, umManagement, helpDesk, viewOnly or voiceService
        /// (Exchange's names work too: "Help Desk").
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// Days until it expires (1-3650), or `never` (until revoked); when omitted, the
        /// configured default (`security.api_token_lifetime`, 90 days unless set).
        #[arg(long, value_name = "DAYS|never", value_parser = parse_lifetime)]
        expires: Option<voicepin_core::tokens::TokenLifetime>,
    },
    /// List the tokens (never their secrets).
    List,
    /// Revoke a token, by name or id: it stops working at once.
    Revoke {
        /// Name or id.
        identity: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Add a new pepper key; PINs are re-hashed with it at their next successful sign-in.
    Rotate,
    /// List the pepper key ids (never the keys).
    List,
}

/// Administrator accounts on the local data directory or over the API.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account with a one-time password, printed once.
    New {
        /// The sign-in name (letters, digits, dots, dashes, underscores, @).
        #[arg(value_name = "NAME")]
        name: String,
        /// organizationManagement, umManagement, helpDesk, viewOnly or voiceService
        /// (Exchange's names work too: "Help Desk").
        #[arg(long, value_name = "ROLE")]
        role: String,
    },
    /// Show one account, or all.
    Get {
        /// Name or id; all accounts when omitted.
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
    /// Change an account's role or disable it (disabling ends its sessions).
    Set {
        /// Name or id.
        #[arg(value_name = "NAME")]
        name: String,
        /// The new role.
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
        /// Disable (true) or enable (false).
        #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
        disabled: Option<bool>,
    },
    /// Remove an account (never the last enabled Organization Management one).
    Remove {
        /// Name or id.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Break-glass: a new one-time password for NAME (default `admin`), printed once; the
    /// account is unlocked and enabled, or created with Organization Management.
    Recover {
        /// The account; `admin` when omitted.
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
}

/// Enable-UMMailbox's options.
#[derive(Debug, Args)]
pub struct EnableOptions {
    #[command(flatten)]
    pub identity: Identity,
    /// The UM mailbox policy (UMMailboxPolicy), by name or id.
    #[arg(long, value_name = "POLICY", alias = "um-mailbox-policy")]
    pub policy: Option<String>,
    /// The initial PIN; generated when omitted. Prefer `--pin -`, which reads it from
    /// standard input: a command line is visible to other users of the machine.
    #[arg(long, value_name = "DIGITS")]
    pub pin: Option<String>,
    /// Whether the PIN must be changed at the first sign-in (default true).
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    pub pin_expired: Option<bool>,
    /// Send the welcome message here instead of to the mailbox.
    #[arg(long, value_name = "ADDRESS")]
    pub notify_email: Option<String>,
    /// Check everything, change nothing.
    #[arg(long)]
    pub validate_only: bool,
    #[command(flatten)]
    pub properties: MailboxOptions,
}

fn parse_lifetime(text: &str) -> Result<voicepin_core::tokens::TokenLifetime, String> {
    voicepin_core::tokens::TokenLifetime::parse("--expires", text)
        .map_err(|_| format!("expected {}", voicepin_core::tokens::TokenLifetime::ALLOWED))
}
