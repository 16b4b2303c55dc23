//! Self-service at `/my/voicemail` (Outlook on the web's "Reset my voice mail PIN"): a user
//! asks for a one-time confirmation link by their email address or extension, follows it,
//! and resets their own PIN to a generated one mailed to them.
//!
//! Asking is anonymous and answers the same whether or not the mailbox exists: the outcome
//! is only in the audit log. Following the link makes the user the mailbox's owner
//! ([`Proof::EmailLink`]), who may see their own voice mail settings and reset their own PIN
//! through the same rules as every reset ([`VoicePin::reset_own_pin`]'s).

use time::OffsetDateTime;

use crate::access::{Operation, Target};
use crate::audit::{AuditAction, AuditEvent, RequestContext};
use crate::context::{Actor, Proof};
use crate::error::{Error, InvalidValue, ObjectKind, Result};
use crate::links::{LINK_WINDOW, LINKS_PER_MAILBOX, LinkSecret, LinkUrl, PinResetLink};
use crate::mailbox::Mailbox;
use crate::notify::{Notification, OutboundMail};
use crate::ports::{Change, MailboxLookup, Write};

use super::{MailboxDetails, VoicePin, retry_on_conflict};

/// The path of the confirmation page a link leads to, below the base URL.
pub const CONFIRM_PATH: &str = "/my/voicemail/confirm";

/// The longest identity text the audit log keeps of a request.
const MAX_TYPED: usize = 254;

/// A followed link: the mailbox's owner, and what they may see.
#[derive(Clone, Debug)]
pub struct LinkOpened {
    /// The owner's context (a [`Actor::MailboxOwner`] with [`Proof::EmailLink`]).
    pub owner: RequestContext,
    /// Their mailbox, policy, dial plan (access numbers) and PIN state.
    pub details: MailboxDetails,
    /// When the link stops working.
    pub expires_at: OffsetDateTime,
}

/// What a reset through a link did.
#[derive(Clone, Debug)]
pub struct LinkReset {
    /// The mailbox after the reset (its access numbers, its PIN state).
    pub details: MailboxDetails,
    /// Where the new PIN was sent: the mailbox's own address.
    pub sent_to: String,
    /// The mailbox is still locked: the new PIN works once an administrator unlocks it.
    pub locked_out: bool,
}

impl VoicePin {
    /// Asks for a confirmation link for the mailbox with this email address or extension;
    /// it goes to the mailbox's own address, leading to `base_url` + [`CONFIRM_PATH`].
    /// Answers `Ok(())` whatever the identity: an unknown, ambiguous or not UM-enabled one,
    /// and a mailbox that had [`LINKS_PER_MAILBOX`] links in the last [`LINK_WINDOW`], get
    /// no message, only an audit event saying so.
    ///
    /// Every answer leaves no earlier than the failed sign-in floor after the request began,
    /// so that its time does not tell whether a message went out either.
    pub async fn request_pin_reset_link(&self, context: &RequestContext, identity: &str, base_url: &str) -> Result<()> {
        context.authorize(Operation::UsePinResetLink, Target::Any)?;
        let started = self.clock.now();
        let result = self.try_request_pin_reset_link(context, identity, base_url).await;
        self.pause.until(started + self.sign_in.failed_answer).await;
        result
    }

    async fn try_request_pin_reset_link(&self, context: &RequestContext, identity: &str, base_url: &str) -> Result<()> {
        let base = link_base(base_url)?;
        let typed: String = identity.trim().chars().take(MAX_TYPED).collect();
        let now = self.clock.now();
        let event = |target: &str, outcome: &str| {
            AuditEvent::new(context, now, AuditAction::PinResetLinkRequested, target).with("outcome", outcome)
        };
        let mailbox = match self.self_service_mailbox(&typed).await? {
            Ok(mailbox) => mailbox,
            Err(outcome) => {
                let change = Change { audit: vec![event(&typed, outcome)], ..Change::default() };
                return self.commit(change).await;
            }
        };
        let address = mailbox.smtp_address.to_string();
        let recent = self.store.count_pin_reset_links(mailbox.id, now - LINK_WINDOW).await?;
        if recent >= LINKS_PER_MAILBOX {
            let change =
                Change { audit: vec![event(&address, "rateLimited").for_mailbox(mailbox.id)], ..Change::default() };
            return self.commit(change).await;
        }
        let (_, plan) = self.policy_and_plan(&mailbox).await?;
        let secret = LinkSecret::generate(crate::ids::LinkId::new_random())?;
        let link = PinResetLink::new(mailbox.id, &secret, now).ok_or(Error::Random)?;
        let url = LinkUrl::new(format!("{base}{CONFIRM_PATH}?link={}", secret.expose()));
        let notification = Notification::PinResetLink { url, expires_at: link.expires_at };
        let mail = OutboundMail::new(&mailbox, &plan, None, notification, now);
        let audit = event(&address, "sent").for_mailbox(mailbox.id).with("link", link.id);
        self.commit(Change { writes: vec![Write::InsertPinResetLink(link)], mail: vec![mail], audit: vec![audit] })
            .await
    }

    /// Follows a confirmation link: the owner's voice mail settings (access numbers,
    /// extension, PIN state). The link stays usable until it expires or resets the PIN.
    pub async fn open_pin_reset_link(&self, context: &RequestContext, secret: &LinkSecret) -> Result<LinkOpened> {
        context.authorize(Operation::UsePinResetLink, Target::Any)?;
        let now = self.clock.now();
        let (link, owner, _) = self.follow_link(context, secret, now).await?;
        let details = self.own_mailbox(&owner).await?;
        let event =
            AuditEvent::new(&owner, now, AuditAction::PinResetLinkOpened, details.mailbox.smtp_address.as_str())
                .for_mailbox(link.mailbox_id)
                .with("link", link.id);
        self.commit(Change { audit: vec![event], ..Change::default() }).await?;
        Ok(LinkOpened { owner, details, expires_at: link.expires_at })
    }

    /// "Reset my voice mail PIN" through a confirmation link: the owner's reset (a PIN
    /// generated by the policy, expired, mailed to the mailbox; a lockout stays), and the
    /// link used up with every other link of the mailbox, in one change.
    pub async fn reset_pin_with_link(&self, context: &RequestContext, secret: &LinkSecret) -> Result<LinkReset> {
        context.authorize(Operation::UsePinResetLink, Target::Any)?;
        retry_on_conflict!(self.try_reset_pin_with_link(context, secret).await)
    }

    async fn try_reset_pin_with_link(&self, context: &RequestContext, secret: &LinkSecret) -> Result<LinkReset> {
        let now = self.clock.now();
        let (link, owner, mailbox) = self.follow_link(context, secret, now).await?;
        let sent_to = mailbox.smtp_address.to_string();
        let (mut change, _) = self.own_reset(&owner, mailbox).await?;
        // First, so that a link used meanwhile refuses the whole change.
        change.writes.insert(0, Write::UsePinResetLink { id: link.id, mailbox: link.mailbox_id, at: now });
        if let Some(event) = change.audit.first_mut() {
            event.details.insert("link".into(), link.id.to_string());
        }
        self.commit(change).await?;
        let details = self.own_mailbox(&owner).await?;
        let locked_out = details.pin.locked_out;
        Ok(LinkReset { details, sent_to, locked_out })
    }

    /// The usable link `secret` is for, its mailbox owner's context (same channel and
    /// source) and the mailbox; [`Error::LinkInvalid`] for any link that does not work, alike.
    async fn follow_link(
        &self,
        context: &RequestContext,
        secret: &LinkSecret,
        now: OffsetDateTime,
    ) -> Result<(PinResetLink, RequestContext, Mailbox)> {
        let Some(id) = secret.id() else {
            return Err(Error::LinkInvalid);
        };
        let link = match self.store.pin_reset_link(id).await? {
            Some(link) if link.matches(secret) && link.is_usable(now) => link,
            _ => return Err(Error::LinkInvalid),
        };
        let mailbox = match self.mailbox_by_id(link.mailbox_id).await {
            Ok(mailbox) if mailbox.um_enabled => mailbox,
            Ok(_) | Err(Error::NotFound { .. }) => return Err(Error::LinkInvalid),
            Err(other) => return Err(other),
        };
        let actor = Actor::MailboxOwner {
            mailbox: mailbox.id,
            address: mailbox.smtp_address.to_string(),
            proof: Proof::EmailLink,
        };
        let owner = RequestContext { actor, channel: context.channel, source: context.source.clone() };
        Ok((link, owner, mailbox))
    }

    async fn mailbox_by_id(&self, id: crate::ids::MailboxId) -> Result<Mailbox> {
        let mut found = self.store.find_mailboxes(&MailboxLookup::Id(id)).await?;
        if found.is_empty() {
            return Err(Error::NotFound { kind: ObjectKind::Mailbox, identity: id.to_string() });
        }
        Ok(found.swap_remove(0))
    }

    /// The UM-enabled mailbox a self-service request names by its primary address or one of
    /// its extensions (nothing else: not an alias, not an id), or why there is none.
    async fn self_service_mailbox(&self, typed: &str) -> Result<Result<Mailbox, &'static str>> {
        let lookup = if typed.contains('@') {
            MailboxLookup::SmtpAddress(typed.to_lowercase())
        } else if !typed.is_empty() && typed.bytes().all(|b| b.is_ascii_digit()) {
            MailboxLookup::Extension { dial_plan: None, extension: typed.to_owned() }
        } else {
            return Ok(Err("unknown"));
        };
        let mut found = self.store.find_mailboxes(&lookup).await?;
        Ok(match found.len() {
            0 => Err("unknown"),
            1 if found[0].um_enabled => Ok(found.swap_remove(0)),
            1 => Err("notUmEnabled"),
            _ => Err("ambiguous"),
        })
    }
}

/// The base of a link: `http://` or `https://`, a host, no path, query or fragment, nothing
/// that could break out of a message's text; without a trailing slash.
fn link_base(base_url: &str) -> Result<&str> {
    let base = base_url.trim().trim_end_matches('/');
    let lower = base.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let valid = rest.is_some_and(|host| {
        !host.is_empty()
            && host.len() <= 255
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    });
    if valid {
        Ok(base)
    } else {
        Err(InvalidValue::new(
            "PublicUrl",
            "http:// or https:// and a host name, with an optional port",
            base.to_owned(),
        )
        .into())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::audit::Channel;
    use crate::hashing::{Argon2Cost, Argon2Hasher, PepperKey};
    use crate::notify::ResetReason;
    use crate::pin::Pin;
    use crate::ports::SystemClock;
    use crate::signin::SignInOutcome;
    use crate::usecases::memory_store::MemoryStore;
    use crate::usecases::{DialPlanSettings, EnableMailbox, NewDialPlan, SignIn};

    const ALICE: &str = "alice@example.com";
    const BASE: &str = "https://voicepin.example.com";

    /// Every message queued so far, oldest first.
    async fn mail(voicepin: &VoicePin) -> Vec<OutboundMail> {
        let queued = voicepin.store.due_mail(OffsetDateTime::now_utc(), 1000).await.unwrap();
        queued.into_iter().map(|q| q.mail).collect()
    }

    /// The secret of the last confirmation link mailed.
    pub(crate) async fn mailed_link(voicepin: &VoicePin) -> LinkSecret {
        let url = mail(voicepin)
            .await
            .into_iter()
            .rev()
            .find_map(|m| match m.notification {
                Notification::PinResetLink { url, .. } => Some(url),
                _ => None,
            })
            .expect("a link was mailed");
        let (_, secret) = url.expose().split_once("?link=").unwrap();
        LinkSecret::new(secret)
    }

    async fn seeded() -> VoicePin {
        let cheap = Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 };
        let hasher = Argon2Hasher::new(vec![PepperKey::generate("test").unwrap()], cheap).unwrap();
        let voicepin = VoicePin::new(Arc::new(MemoryStore::default()), Arc::new(hasher), Arc::new(SystemClock));
        let root = RequestContext::local("root");
        let settings = DialPlanSettings {
            number_of_digits_in_extension: Some(5),
            access_telephone_numbers: Some(vec!["+14255550100".into()]),
            ..DialPlanSettings::default()
        };
        voicepin
            .new_dial_plan(&root, NewDialPlan { name: "Main".into(), settings, generate_policy: true })
            .await
            .unwrap();
        let enable = EnableMailbox {
            identity: ALICE.into(),
            policy: Some("Main Default Policy".into()),
            extensions: vec!["12345".into()],
            pin: Some(Pin::new("482913")),
            pin_expired: Some(false),
            ..EnableMailbox::default()
        };
        voicepin.enable_mailbox(&root, enable).await.unwrap();
        voicepin
    }

    fn anonymous() -> RequestContext {
        RequestContext::anonymous(Channel::Web).from_address(Some("192.0.2.7".parse().unwrap()))
    }

    async fn outcomes(voicepin: &VoicePin) -> Vec<String> {
        let store = &voicepin.store;
        let events = store.audit_events(&crate::ports::AuditQuery { limit: 1000, ..Default::default() }).await.unwrap();
        let mut outcomes: Vec<String> = events
            .iter()
            .filter(|e| e.action == AuditAction::PinResetLinkRequested)
            .map(|e| {
                assert_eq!(e.channel, Channel::Web);
                assert_eq!(e.source.as_deref(), Some("192.0.2.7"));
                format!("{} {}", e.target, e.details["outcome"])
            })
            .collect();
        outcomes.reverse();
        outcomes
    }

    #[tokio::test]
    async fn a_link_mailed_to_the_mailbox_resets_its_pin_once() {
        let voicepin = seeded().await;
        let before = mail(&voicepin).await.len();
        // By extension; unknown names answer the same and send nothing.
        voicepin.request_pin_reset_link(&anonymous(), "12345", BASE).await.unwrap();
        for unknown in ["nobody@example.com", "99999", "alice", ""] {
            voicepin.request_pin_reset_link(&anonymous(), unknown, BASE).await.unwrap();
        }
        let sent = mail(&voicepin).await;
        assert_eq!(sent.len(), before + 1);
        let message = sent.last().unwrap();
        assert_eq!(message.to.as_str(), ALICE);
        let Notification::PinResetLink { url, expires_at } = &message.notification else { panic!("not a link") };
        assert!(url.expose().starts_with("https://voicepin.example.com/my/voicemail/confirm?link=vpl_"));
        assert_eq!(*expires_at - message.created_at, crate::links::LINK_LIFETIME);
        assert_eq!(
            outcomes(&voicepin).await,
            ["alice@example.com sent", "nobody@example.com unknown", "99999 unknown", "alice unknown", " unknown"]
        );

        let link = mailed_link(&voicepin).await;
        let opened = voicepin.open_pin_reset_link(&anonymous(), &link).await.unwrap();
        assert!(matches!(opened.owner.actor, Actor::MailboxOwner { proof: Proof::EmailLink, .. }));
        assert_eq!(opened.details.mailbox.smtp_address.as_str(), ALICE);
        assert_eq!(opened.details.dial_plan.access_numbers.len(), 1);
        // Opening twice is fine (a mail scanner may fetch the link); resetting uses it up.
        voicepin.open_pin_reset_link(&anonymous(), &link).await.unwrap();
        let reset = voicepin.reset_pin_with_link(&anonymous(), &link).await.unwrap();
        assert_eq!(reset.sent_to, ALICE);
        assert!(reset.details.pin.pin_expired);
        assert!(!reset.locked_out);
        assert!(matches!(voicepin.reset_pin_with_link(&anonymous(), &link).await, Err(Error::LinkInvalid)));
        assert!(matches!(voicepin.open_pin_reset_link(&anonymous(), &link).await, Err(Error::LinkInvalid)));
        let forged = LinkSecret::new(format!("vpl_{}_AAAA", link.id().unwrap().0.simple()));
        assert!(matches!(voicepin.open_pin_reset_link(&anonymous(), &forged).await, Err(Error::LinkInvalid)));

        // The new PIN went to the mailbox, expired: it signs in and must be changed.
        let sent = mail(&voicepin).await;
        let Notification::PinReset { pin, change_required, reason, locked_out, .. } =
            &sent.last().unwrap().notification
        else {
            panic!("no reset message")
        };
        assert!(*change_required && !*locked_out);
        assert_eq!(*reason, ResetReason::SelfService);
        let sign_in = SignIn { identity: "12345".into(), dial_plan: None, pin: pin.clone() };
        let result = voicepin.sign_in(&RequestContext::anonymous(Channel::Phone), &sign_in).await.unwrap();
        assert_eq!(result.outcome, SignInOutcome::PinChangeRequired);
    }

    #[tokio::test]
    async fn requests_for_one_mailbox_are_limited_and_a_locked_mailbox_stays_locked() {
        let voicepin = seeded().await;
        for _ in 0..5 {
            voicepin.request_pin_reset_link(&anonymous(), "Alice@Example.com", BASE).await.unwrap();
        }
        let links = mail(&voicepin)
            .await
            .iter()
            .filter(|m| matches!(m.notification, Notification::PinResetLink { .. }))
            .count();
        assert_eq!(links as u64, LINKS_PER_MAILBOX);
        assert_eq!(outcomes(&voicepin).await.iter().filter(|o| o.ends_with("rateLimited")).count(), 2);

        voicepin.lock(&RequestContext::local("root"), ALICE).await.unwrap();
        let link = mailed_link(&voicepin).await;
        let reset = voicepin.reset_pin_with_link(&anonymous(), &link).await.unwrap();
        assert!(reset.locked_out);
        let sent = mail(&voicepin).await;
        let Notification::PinReset { locked_out, .. } = &sent.last().unwrap().notification else {
            panic!("no reset message")
        };
        assert!(*locked_out);
        // Every other link of the mailbox went with the one used.
        let earlier = mail(&voicepin)
            .await
            .into_iter()
            .find_map(|m| match m.notification {
                Notification::PinResetLink { url, .. } => Some(url),
                _ => None,
            })
            .unwrap();
        let earlier = LinkSecret::new(earlier.expose().split_once("?link=").unwrap().1);
        assert!(matches!(voicepin.open_pin_reset_link(&anonymous(), &earlier).await, Err(Error::LinkInvalid)));
    }

    #[test]
    fn a_link_base_is_a_scheme_and_a_host_only() {
        assert_eq!(link_base("https://voicepin.contoso.com/").unwrap(), "https://voicepin.contoso.com");
        assert_eq!(link_base("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(link_base("http://[::1]:8080").unwrap(), "http://[::1]:8080");
        for bad in
            ["", "voicepin.contoso.com", "ftp://x", "https://", "https://x/path", "https://x\"><a", "https://a b"]
        {
            assert!(link_base(bad).is_err(), "{bad}");
        }
    }

    /// Time stands still; the core's pauses are recorded, not waited.
    struct Still(OffsetDateTime);

    impl crate::ports::Clock for Still {
        fn now(&self) -> OffsetDateTime {
            self.0
        }
    }

    #[derive(Default)]
    struct Recorded(std::sync::Mutex<Vec<OffsetDateTime>>);

    #[async_trait::async_trait]
    impl crate::ports::Pause for Recorded {
        async fn until(&self, at: OffsetDateTime) {
            self.0.lock().unwrap().push(at);
        }
    }

    /// Issue 10, item 11: a request answers at the same least time whether a link was mailed
    /// (a known address) or not (an unknown one, a name that is no identity at all).
    #[tokio::test]
    async fn every_request_answers_at_the_floor() {
        use crate::throttle::{SignInSettings, ThrottlePolicy};
        const FLOOR: std::time::Duration = std::time::Duration::from_millis(250);
        let now = OffsetDateTime::now_utc();
        let pause = Arc::new(Recorded::default());
        let mut voicepin = seeded().await;
        voicepin.clock = Arc::new(Still(now));
        let voicepin = voicepin
            .with_sign_in(SignInSettings { failed_answer: FLOOR, throttle: ThrottlePolicy::off() }, pause.clone());
        for identity in [ALICE, "12345", "nobody@example.com", "99999", "not an identity"] {
            voicepin.request_pin_reset_link(&anonymous(), identity, BASE).await.unwrap();
            let asked = pause.0.lock().unwrap().pop().expect("a pause");
            assert_eq!(asked, now + FLOOR, "{identity}");
        }
        let links =
            mail(&voicepin).await.into_iter().filter(|m| matches!(m.notification, Notification::PinResetLink { .. }));
        assert_eq!(links.count(), 2, "links mailed for the two known identities");
    }
}
