//! The owner's greetings (exchange-um.md §5.3, personal options 1 and 2): the recorded name,
//! the personal and out-of-office greetings, the out-of-office switch and the end of the
//! first-time setup; and the administrators' reading of the recordings.

use crate::access::{Operation, Target};
use crate::audit::{AuditAction, AuditEvent};
use crate::context::RequestContext;
use crate::error::Result;
use crate::mailbox::Mailbox;
use crate::ports::{Change, Write};
use crate::recording::{RecordedAudio, Recording, RecordingInfo, RecordingKind};

use super::{VoicePin, retry_on_conflict};

impl VoicePin {
    /// The owner stores a recording of their mailbox, replacing the one of that kind.
    pub async fn save_recording(
        &self,
        context: &RequestContext,
        identity: &str,
        kind: RecordingKind,
        audio: RecordedAudio,
    ) -> Result<()> {
        context.authorize_any(Operation::ManageGreetings)?;
        let mailbox = self.owned_mailbox(context, identity).await?;
        let now = self.clock.now();
        let recording = Recording { mailbox_id: mailbox.id, kind, audio, recorded_at: now };
        let event = AuditEvent::new(context, now, AuditAction::RecordingSaved, mailbox.smtp_address.as_str())
            .for_mailbox(mailbox.id)
            .with("recording", kind.as_str())
            .with("durationMs", recording.audio.duration_ms());
        self.commit(Change { writes: vec![Write::PutRecording(recording)], audit: vec![event], ..Change::default() })
            .await
    }

    /// The owner turns the out-of-office greeting on or off (personal options, 1).
    pub async fn set_out_of_office(&self, context: &RequestContext, identity: &str, on: bool) -> Result<()> {
        context.authorize_any(Operation::ManageGreetings)?;
        retry_on_conflict!(self.try_set_out_of_office(context, identity, on).await)
    }

    async fn try_set_out_of_office(&self, context: &RequestContext, identity: &str, on: bool) -> Result<()> {
        let mut mailbox = self.owned_mailbox(context, identity).await?;
        if mailbox.out_of_office == on {
            return Ok(());
        }
        let event =
            AuditEvent::new(context, self.clock.now(), AuditAction::OutOfOfficeChanged, mailbox.smtp_address.as_str())
                .for_mailbox(mailbox.id)
                .with("outOfOffice", on);
        mailbox.out_of_office = on;
        self.commit(Change { writes: vec![Write::UpdateMailbox(mailbox)], audit: vec![event], ..Change::default() })
            .await
    }

    /// A first-time user recorded their name and greeting: no longer a first-time user.
    pub async fn finish_first_time_setup(&self, context: &RequestContext, identity: &str) -> Result<()> {
        context.authorize_any(Operation::ManageGreetings)?;
        retry_on_conflict!(self.try_finish_first_time_setup(context, identity).await)
    }

    async fn try_finish_first_time_setup(&self, context: &RequestContext, identity: &str) -> Result<()> {
        let mut mailbox = self.owned_mailbox(context, identity).await?;
        let event = AuditEvent::new(
            context,
            self.clock.now(),
            AuditAction::FirstTimeSetupCompleted,
            mailbox.smtp_address.as_str(),
        )
        .for_mailbox(mailbox.id)
        .with("wasFirstTimeUser", mailbox.pin.first_time_user);
        mailbox.pin.first_time_user = false;
        self.commit(Change { writes: vec![Write::UpdateMailbox(mailbox)], audit: vec![event], ..Change::default() })
            .await
    }

    /// The recordings of a mailbox, without audio (the admin center's UM Mailbox page).
    pub async fn list_recordings(&self, context: &RequestContext, identity: &str) -> Result<Vec<RecordingInfo>> {
        context.authorize(Operation::ViewMailboxes, Target::Any)?;
        let mailbox = self.resolve_mailbox(identity).await?;
        Ok(self.store.recordings(mailbox.id).await?)
    }

    /// One recording of a mailbox with its audio, to play; `None` when there is none.
    pub async fn get_recording(
        &self,
        context: &RequestContext,
        identity: &str,
        kind: RecordingKind,
    ) -> Result<Option<Recording>> {
        context.authorize(Operation::ViewMailboxes, Target::Any)?;
        let mailbox = self.resolve_mailbox(identity).await?;
        Ok(self.store.recording(mailbox.id, kind).await?)
    }

    /// The mailbox named by `identity`, once the context may manage its greetings.
    async fn owned_mailbox(&self, context: &RequestContext, identity: &str) -> Result<Mailbox> {
        let mailbox = self.resolve_mailbox(identity).await?;
        context.authorize(Operation::ManageGreetings, Target::Mailbox(mailbox.id))?;
        Ok(mailbox)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::context::{Actor, Channel, Proof};
    use crate::hashing::{Argon2Cost, Argon2Hasher, PepperKey};
    use crate::pin::Pin;
    use crate::ports::SystemClock;
    use crate::signin::SignInOutcome;
    use crate::usecases::memory_store::MemoryStore;
    use crate::usecases::{DialPlanSettings, EnableMailbox, NewDialPlan, SignIn};

    async fn tony() -> (VoicePin, RequestContext, Mailbox) {
        let cheap = Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 };
        let hasher = Argon2Hasher::new(vec![PepperKey::generate("test").unwrap()], cheap).unwrap();
        let vp = VoicePin::new(Arc::new(MemoryStore::default()), Arc::new(hasher), Arc::new(SystemClock));
        let root = RequestContext::local("root");
        let settings = DialPlanSettings { number_of_digits_in_extension: Some(5), ..DialPlanSettings::default() };
        vp.new_dial_plan(&root, NewDialPlan { name: "Main".into(), settings, generate_policy: true }).await.unwrap();
        let request = EnableMailbox {
            identity: "tony@example.com".into(),
            policy: Some("Main Default Policy".into()),
            extensions: vec!["36697".into()],
            pin: Some(Pin::new("482913")),
            ..EnableMailbox::default()
        };
        let mailbox = vp.enable_mailbox(&root, request).await.unwrap().mailbox;
        let owner = RequestContext::new(
            Actor::MailboxOwner { mailbox: mailbox.id, address: "tony@example.com".into(), proof: Proof::Pin },
            Channel::Phone,
        );
        (vp, owner, mailbox)
    }

    #[tokio::test]
    async fn the_owner_records_and_an_administrator_plays() {
        let (vp, owner, mailbox) = tony().await;
        let id = mailbox.id.to_string();
        let audio = RecordedAudio::from_mulaw(vec![0x7f; 4000]).unwrap();
        vp.save_recording(&owner, &id, RecordingKind::Name, audio.clone()).await.unwrap();
        let again = RecordedAudio::from_mulaw(vec![0x10; 8000]).unwrap();
        vp.save_recording(&owner, &id, RecordingKind::Name, again.clone()).await.unwrap();
        let admin = RequestContext::local("root");
        let list = vp.list_recordings(&admin, "tony@example.com").await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].kind, list[0].duration_ms), (RecordingKind::Name, 1000));
        let played = vp.get_recording(&admin, "36697", RecordingKind::Name).await.unwrap().unwrap();
        assert_eq!(played.audio, again);
        assert!(vp.get_recording(&admin, &id, RecordingKind::PersonalGreeting).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn out_of_office_and_the_first_time_setup_are_stored() {
        let (vp, owner, mailbox) = tony().await;
        let id = mailbox.id.to_string();
        let root = RequestContext::local("root");
        assert!(vp.get_mailbox(&root, &id).await.unwrap().mailbox.pin.first_time_user);
        vp.set_out_of_office(&owner, &id, true).await.unwrap();
        vp.finish_first_time_setup(&owner, &id).await.unwrap();
        let stored = vp.get_mailbox(&root, &id).await.unwrap().mailbox;
        assert!(stored.out_of_office);
        assert!(!stored.pin.first_time_user);
        vp.set_out_of_office(&owner, &id, false).await.unwrap();
        assert!(!vp.get_mailbox(&root, &id).await.unwrap().mailbox.out_of_office);
    }

    /// On the phone the first-time setup, not the sign-in or the PIN change before it, ends
    /// first-time status: a caller who hangs up halfway is asked again (exchange-um.md §4.2).
    #[tokio::test]
    async fn a_caller_stays_a_first_time_user_until_the_setup_ends() {
        let (vp, owner, mailbox) = tony().await;
        let id = mailbox.id.to_string();
        let root = RequestContext::local("root");
        let caller = RequestContext::anonymous(Channel::Phone);
        let request = SignIn { identity: "36697".into(), dial_plan: None, pin: Pin::new("482913") };
        let signed_in = vp.sign_in(&caller, &request).await.unwrap();
        assert!(signed_in.first_time_user);
        if signed_in.outcome == SignInOutcome::PinChangeRequired {
            vp.change_pin(&owner, &id, &Pin::new("482913"), &Pin::new("730164")).await.unwrap();
        }
        assert!(vp.get_mailbox(&root, &id).await.unwrap().mailbox.pin.first_time_user, "hung up before the setup");
        let again = vp.sign_in(&caller, &SignIn { pin: Pin::new("730164"), ..request }).await.unwrap();
        assert!(again.first_time_user, "the next call runs the setup again");
        vp.finish_first_time_setup(&owner, &id).await.unwrap();
        assert!(!vp.get_mailbox(&root, &id).await.unwrap().mailbox.pin.first_time_user);
    }
}
