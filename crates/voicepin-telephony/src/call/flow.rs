//! A call driven by the core's call flow ([`voicepin_core::callflow`]): its actions are
//! carried out here (prompts played, use cases called on their own tasks so that the 20 ms
//! pacing never waits for a PIN hash), and their answers, the digits, the end of each
//! prompt sequence and the flow's timer are fed back to it.
//!
//! The caller acts as the phone channel, with the caller ID and the source address in the
//! audit trail. Recordings (name, greetings) come from the caller's RTP audio
//! ([`crate::media::recorder`]) and are stored, like the out-of-office switch and the end of
//! the first-time setup, through the owner's use cases once the PIN is accepted.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use voicepin_core::VoicePin;
use voicepin_core::callflow::{Action, CallFlow, FlowSettings, Input, MailboxSummary, PinChangeAnswer, SignInAnswer};
use voicepin_core::context::{CallerId, Channel, RequestContext, Source};
use voicepin_core::ids::MailboxId;
use voicepin_core::recording::RecordedAudio;
use voicepin_core::signin::SignInOutcome;
use voicepin_core::usecases::SignIn;

use super::{CallEvent, CallMedia, CallSetup, Calls, Ended, MAX_CALL};
use crate::media::dtmf::DigitEvent;
use crate::media::prompts::PromptSet;
use crate::media::session::FRAME;

/// What a recording stopped with `#` loses at its end: the key's tone.
const KEY_TONE: std::time::Duration = std::time::Duration::from_millis(250);

/// The caller before their PIN is accepted: nobody yet, on the phone channel, from the
/// caller ID and the SIP source address, which the audit trail records and the sign-in use
/// case counts failures under. A caller ID the core's check refuses (not E.164 nor a SIP
/// user part) is left out: the address still counts.
fn context(setup: &CallSetup) -> RequestContext {
    caller_context(setup.caller.as_deref(), setup.source)
}

fn caller_context(caller: Option<&str>, source: std::net::SocketAddr) -> RequestContext {
    let caller_id = caller.and_then(|caller| CallerId::parse("callerId", caller).ok());
    RequestContext::anonymous(Channel::Phone).from_source(Source::address(source.ip()).with_caller_id(caller_id))
}

/// Who the caller is: nobody until the sign-in use case accepts their PIN, then the owner of
/// that mailbox, as the core's [`voicepin_core::usecases::SignInResult::owner`] names them.
/// Everything after sign-in (a PIN change) acts as the owner, so the core's table decides.
#[derive(Debug)]
struct Caller {
    anonymous: RequestContext,
    owner: std::sync::Mutex<Option<RequestContext>>,
}

impl Caller {
    fn new(anonymous: RequestContext) -> Arc<Self> {
        Arc::new(Self { anonymous, owner: std::sync::Mutex::new(None) })
    }

    /// The owner once signed in, else nobody.
    fn current(&self) -> RequestContext {
        match self.owner.lock() {
            Ok(owner) => owner.clone().unwrap_or_else(|| self.anonymous.clone()),
            Err(_) => self.anonymous.clone(),
        }
    }

    fn signed_in(&self, owner: Option<RequestContext>) {
        if let (Some(owner), Ok(mut slot)) = (owner, self.owner.lock()) {
            *slot = Some(owner);
        }
    }
}

fn summary(mailbox: MailboxId, first_time_user: bool) -> MailboxSummary {
    MailboxSummary { mailbox, first_time_user, new_voice_messages: 0, out_of_office: false }
}

/// The signed-in caller's mailbox as the menus need it: the out-of-office switch read as
/// its owner (no voice messages until deposit exists).
async fn owner_summary(
    voicepin: &VoicePin,
    owner: Option<&RequestContext>,
    mailbox: MailboxId,
    first: bool,
) -> MailboxSummary {
    let mut summary = summary(mailbox, first);
    if let Some(owner) = owner {
        match voicepin.own_mailbox(owner).await {
            Ok(details) => summary.out_of_office = details.mailbox.out_of_office,
            Err(error) => tracing::warn!(code = error.code(), "reading the caller's mailbox failed"),
        }
    }
    summary
}

/// What carrying out an action needs besides the call's media.
struct Env<'a> {
    voicepin: &'a VoicePin,
    prompts: &'a PromptSet,
    caller: &'a Arc<Caller>,
    answers: &'a mpsc::UnboundedSender<Input>,
    /// The last recording stopped, until the flow saves it (or records again).
    recorded: Vec<u8>,
}

/// Runs one call through the core's flow until either side ends it.
pub(crate) async fn drive(calls: &Calls, voicepin: &VoicePin, prompts: &PromptSet, setup: &mut CallSetup) -> Ended {
    let mut media = CallMedia::new(setup);
    let mut flow = CallFlow::new(FlowSettings::default());
    let (answers_tx, mut answers_rx) = mpsc::unbounded_channel::<Input>();
    let mut inputs: Vec<Input> = Vec::new();
    let mut started = false;
    let context = context(setup);
    let caller = Caller::new(context.clone());

    let start = Instant::now();
    // Prompts are paced by the shared pacer; this tick only watches a recording under way.
    let mut ticks = tokio::time::interval_at(start, FRAME);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let stream = media.stream();
    let deadline = tokio::time::sleep(MAX_CALL);
    tokio::pin!(deadline);
    let timer = tokio::time::sleep(MAX_CALL);
    tokio::pin!(timer);
    let mut buffer = vec![0u8; 2048];
    let mut env = Env { voicepin, prompts, caller: &caller, answers: &answers_tx, recorded: Vec::new() };

    loop {
        tokio::select! {
            event = setup.events.recv() => match event {
                None => return Ended::BySip(crate::sip::EndReason::Bye),
                Some(CallEvent::Ended(reason)) => return Ended::BySip(reason),
                Some(CallEvent::Confirmed(answer)) => {
                    if !media.confirmed(&calls.pacer, answer.as_deref()) {
                        return Ended::ByFlow;
                    }
                    if !started {
                        started = true;
                        let dial_plans = match voicepin.dial_plans_for_calls(&context).await {
                            Ok(plans) => plans,
                            Err(error) => {
                                tracing::warn!(%error, "reading the dial plans for a call failed");
                                Vec::new()
                            }
                        };
                        inputs.push(Input::CallStarted {
                            called: setup.called.clone().unwrap_or_default(),
                            caller_id: setup.caller.clone(),
                            dial_plans,
                        });
                    }
                }
                Some(CallEvent::Info { content_type, body }) => media.info(&content_type, &body),
            },
            () = stream.played(), if started => inputs.push(Input::PlaybackFinished),
            _ = ticks.tick(), if media.recording() => {
                if media.recording_over() {
                    env.recorded = media.stop_recording(std::time::Duration::ZERO);
                    inputs.push(Input::RecordingFinished);
                }
            },
            received = setup.socket.recv_from(&mut buffer) => media.received(received, &buffer),
            Some(answer) = answers_rx.recv() => inputs.push(answer),
            () = &mut timer, if started => inputs.push(Input::Timer),
            () = &mut deadline => return Ended::ByFlow,
        }
        for DigitEvent { digit, source } in media.digits.drain(..) {
            calls.report(|t| t.digit(source));
            if started {
                inputs.push(Input::Digit(digit.as_char()));
            }
        }
        while !inputs.is_empty() {
            let now = start.elapsed();
            for input in std::mem::take(&mut inputs) {
                for action in flow.handle(now, input) {
                    if let Some(follow) = carry_out(action, &mut env, &mut media) {
                        match follow {
                            Follow::HangUp => return Ended::ByFlow,
                            Follow::Input(input) => inputs.push(input),
                        }
                    }
                }
            }
        }
        let next = flow.deadline().map_or(start + MAX_CALL, |at| start + at);
        timer.as_mut().reset(next);
    }
}

enum Follow {
    HangUp,
    Input(Input),
}

/// Carries out one action; use cases run on their own tasks and answer on `answers`.
fn carry_out(action: Action, env: &mut Env<'_>, media: &mut CallMedia) -> Option<Follow> {
    let (voicepin, caller, answers) = (env.voicepin, env.caller, env.answers);
    match action {
        Action::Play(list) => {
            let law = media.law();
            media.player.clear();
            media.player.enqueue(Arc::from(env.prompts.sequence(&list, law)));
        }
        Action::StopPlayback => media.player.clear(),
        // Digits go to the flow as they arrive; none are held here.
        Action::FlushDigits => {}
        Action::IdentifyCaller { dial_plan, caller_id } => {
            let (voicepin, context, answers) = (voicepin.clone(), caller.anonymous.clone(), answers.clone());
            tokio::spawn(async move {
                let found = voicepin.recognise_caller(&context, Some(dial_plan), &caller_id).await.ok().flatten();
                let _ = answers.send(Input::CallerIdentified(found));
            });
        }
        Action::SignIn { dial_plan, identity, pin } => {
            let (voicepin, caller, answers) = (voicepin.clone(), caller.clone(), answers.clone());
            tokio::spawn(async move {
                let context = &caller.anonymous;
                let request = SignIn { identity, dial_plan: Some(dial_plan.to_string()), pin };
                let answer = match voicepin.sign_in(context, &request).await {
                    Ok(result) => {
                        let owner = result.owner(context);
                        caller.signed_in(owner.clone());
                        let first = result.first_time_user;
                        match (result.outcome, result.mailbox) {
                            (SignInOutcome::Success, Some(mailbox)) => {
                                SignInAnswer::SignedIn(owner_summary(&voicepin, owner.as_ref(), mailbox, first).await)
                            }
                            (SignInOutcome::PinChangeRequired, Some(mailbox)) => SignInAnswer::PinChangeRequired(
                                owner_summary(&voicepin, owner.as_ref(), mailbox, first).await,
                            ),
                            _ => SignInAnswer::Failed,
                        }
                    }
                    Err(error) => {
                        tracing::warn!(code = error.code(), "phone sign-in could not be answered");
                        SignInAnswer::Unavailable
                    }
                };
                let _ = answers.send(Input::SignInResult(answer));
            });
        }
        Action::LoadMailbox(mailbox) => {
            return Some(Follow::Input(Input::MailboxLoaded(Some(summary(mailbox, false)))));
        }
        Action::ChangePin { mailbox, current, new } => {
            let (voicepin, context, answers) = (voicepin.clone(), caller.current(), answers.clone());
            tokio::spawn(async move {
                let answer = match voicepin.change_pin(&context, &mailbox.to_string(), &current, &new).await {
                    Ok(_) => PinChangeAnswer::Changed,
                    Err(voicepin_core::Error::PinRejected(violations)) => PinChangeAnswer::Rejected(violations),
                    Err(error) => {
                        tracing::info!(code = error.code(), "phone PIN change failed");
                        PinChangeAnswer::Failed
                    }
                };
                let _ = answers.send(Input::PinChangeResult(answer));
            });
        }
        Action::StartRecording { max, .. } => {
            env.recorded.clear();
            media.start_recording(max);
        }
        Action::StopRecording => env.recorded = media.stop_recording(KEY_TONE),
        Action::SaveRecording { mailbox, kind } => {
            let samples = std::mem::take(&mut env.recorded);
            let audio = match RecordedAudio::from_mulaw(samples) {
                Ok(audio) => audio,
                Err(_) => {
                    tracing::info!(kind = kind.as_str(), "nothing was recorded; nothing saved");
                    return None;
                }
            };
            let (voicepin, context) = (voicepin.clone(), caller.current());
            tokio::spawn(async move {
                if let Err(error) = voicepin.save_recording(&context, &mailbox.to_string(), kind, audio).await {
                    tracing::warn!(code = error.code(), kind = kind.as_str(), "saving a recording failed");
                }
            });
        }
        Action::SetOutOfOffice { mailbox, on } => {
            let (voicepin, context) = (voicepin.clone(), caller.current());
            tokio::spawn(async move {
                if let Err(error) = voicepin.set_out_of_office(&context, &mailbox.to_string(), on).await {
                    tracing::warn!(code = error.code(), "turning the out-of-office greeting on or off failed");
                }
            });
        }
        Action::FirstTimeSetupDone(mailbox) => {
            let (voicepin, context) = (voicepin.clone(), caller.current());
            tokio::spawn(async move {
                if let Err(error) = voicepin.finish_first_time_setup(&context, &mailbox.to_string()).await {
                    tracing::warn!(code = error.code(), "ending the first-time setup failed");
                }
            });
        }
        Action::HangUp(reason) => {
            tracing::info!(reason = reason.as_str(), "the call flow hangs up");
            return Some(Follow::HangUp);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11, findings 4 and 9: the phone's caller is counted and audited by the core's
    /// checked source: the SIP source address and a caller ID of a valid shape; a From user
    /// that could forge an audit line is left out, the address still counts.
    #[test]
    fn the_caller_is_known_by_a_checked_caller_id_and_the_sip_source() {
        let source: std::net::SocketAddr = "192.0.2.40:5060".parse().unwrap_or_else(|_| unreachable!());
        let known = caller_context(Some("+14255550100"), source);
        assert_eq!(known.source.audit_text().as_deref(), Some("192.0.2.40 callerId=+14255550100"));
        let keys: Vec<_> = voicepin_core::throttle::counted_sources(&known).into_iter().map(|s| s.key).collect();
        assert_eq!(keys, ["callerId:+14255550100", "address:192.0.2.40"]);
        let forged = caller_context(Some("1555\r\nsignInSucceeded admin"), source);
        assert_eq!(forged.source.audit_text().as_deref(), Some("192.0.2.40"));
        assert_eq!(caller_context(None, source).source.audit_text().as_deref(), Some("192.0.2.40"));
    }
}
