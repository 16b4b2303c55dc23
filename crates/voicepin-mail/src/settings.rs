//! Who the messages come from and how they present the organisation.

use lettre::Address;
use lettre::message::Mailbox;

use crate::deliver::RetryPolicy;
use crate::error::MailError;

/// The sender's display name when none is configured.
pub const DEFAULT_FROM_NAME: &str = "Voice Mail";
/// The sender's address when none is configured.
pub const DEFAULT_FROM_ADDRESS: &str = "voicepin@localhost";

/// How the messages are signed and addressed.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// The `From` of every message; its domain also makes the Message-ID.
    pub from: Mailbox,
    /// The organisation's name, as in "Welcome to Contoso voice mail".
    pub organisation: Option<String>,
    /// Whom to contact for help, read after "contact", e.g. "the IT service desk on
    /// extension 4357". Without it the messages say "your administrator".
    pub help_desk: Option<String>,
    /// When to retry after a transient failure, and when to give up.
    pub retry: RetryPolicy,
    /// How long a sender's claim on a batch of due messages keeps other senders off it
    /// ([`voicepin_core::ports::Store::claim_due_mail`]). Zero (the default) claims nothing:
    /// right for one node, where a sender killed mid-batch should not delay its messages.
    /// Several nodes on one PostgreSQL database need a lease (the binary uses
    /// [`crate::deliver::CLAIM_LEASE`]), so no message goes out twice.
    pub claim_lease: time::Duration,
}

impl MailSettings {
    /// Settings sending from `from`: `"Voice Mail <voicemail@contoso.com>"` or a bare
    /// address, which gets the display name "Voice Mail".
    pub fn new(from: &str) -> Result<Self, MailError> {
        Ok(Self {
            from: parse_from(from)?,
            organisation: None,
            help_desk: None,
            retry: RetryPolicy::default(),
            claim_lease: time::Duration::ZERO,
        })
    }

    /// With the organisation's name (blank means none).
    pub fn with_organisation(mut self, name: impl Into<String>) -> Self {
        self.organisation = non_blank(name.into());
        self
    }

    /// With the help-desk contact text (blank means none).
    pub fn with_help_desk(mut self, contact: impl Into<String>) -> Self {
        self.help_desk = non_blank(contact.into());
        self
    }

    /// The domain of the `From` address, the right-hand side of every Message-ID.
    pub fn message_id_domain(&self) -> &str {
        self.from.email.domain()
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: Mailbox::new(
                Some(DEFAULT_FROM_NAME.to_owned()),
                // A constant that `Address::new` accepts (tested below).
                Address::new_dangerous("voicepin", "localhost"),
            ),
            organisation: None,
            help_desk: None,
            retry: RetryPolicy::default(),
            claim_lease: time::Duration::ZERO,
        }
    }
}

fn parse_from(text: &str) -> Result<Mailbox, MailError> {
    let text = text.trim();
    let invalid = || MailError::InvalidAddress { field: "From", value: text.to_owned() };
    if text.contains('<') {
        text.parse::<Mailbox>().map_err(|_| invalid())
    } else {
        let address = text.parse::<Address>().map_err(|_| invalid())?;
        Ok(Mailbox::new(Some(DEFAULT_FROM_NAME.to_owned()), address))
    }
}

fn non_blank(text: String) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sends_as_voice_mail_at_localhost() {
        let settings = MailSettings::default();
        assert_eq!(settings.from.to_string(), "Voice Mail <voicepin@localhost>");
        assert_eq!(settings.message_id_domain(), "localhost");
        let checked: Address = DEFAULT_FROM_ADDRESS.parse().unwrap();
        assert_eq!(settings.from.email, checked);
    }

    #[test]
    fn bare_address_gets_the_default_name() {
        let settings = MailSettings::new("voicemail@contoso.com").unwrap();
        assert_eq!(settings.from.name.as_deref(), Some("Voice Mail"));
        assert_eq!(settings.message_id_domain(), "contoso.com");
    }

    #[test]
    fn named_address_keeps_its_name() {
        let settings = MailSettings::new("Contoso Phones <phones@contoso.com>").unwrap();
        assert_eq!(settings.from.name.as_deref(), Some("Contoso Phones"));
        assert_eq!(settings.from.email.to_string(), "phones@contoso.com");
    }

    #[test]
    fn garbage_is_refused_with_a_code() {
        let error = MailSettings::new("not an address").unwrap_err();
        assert_eq!(error.code(), "mail-invalid-address");
    }

    #[test]
    fn blank_texts_mean_none() {
        let settings = MailSettings::default().with_organisation("  ").with_help_desk(" the IT desk ");
        assert_eq!(settings.organisation, None);
        assert_eq!(settings.help_desk.as_deref(), Some("the IT desk"));
    }
}
