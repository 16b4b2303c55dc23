//! PIN spraying: failed sign-ins counted per source, across mailboxes (issue 11, finding 4).
//!
//! The per-mailbox counters (automatic reset, lockout) do not stop one caller from trying a
//! few PINs on each of many mailboxes. So every failed sign-in is also counted for each
//! source it came from: the caller ID, the client's address, and the calling system (the
//! authenticated token or account a PBX signs in with; the name it reports is its own word
//! and is not counted on). The counts live in the store, so every node sees them. This
//! module is the pure policy: given the failures in the window, it says whether an attempt
//! goes ahead at once, after a growing delay, or is refused. A refused attempt is answered
//! exactly like a failed sign-in, so the caller never learns it was throttled.

use std::time::Duration;

use crate::context::{Actor, RequestContext};

/// The kind of a counted source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// The caller ID (reported by a PBX, or the SIP From user): one person, counted strictly.
    CallerId,
    /// The client's network address (a PBX, a SIP trunk): many people, counted loosely.
    Address,
    /// The calling system's token or account: many people, counted loosely.
    CallingSystem,
}

impl SourceKind {
    /// Every kind.
    pub const ALL: [SourceKind; 3] = [Self::CallerId, Self::Address, Self::CallingSystem];

    /// The stable camelCase name (audit details, metrics, the store's keys).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallerId => "callerId",
            Self::Address => "address",
            Self::CallingSystem => "callingSystem",
        }
    }
}

/// One counted source: its kind and its key in the store (`callerId:+14255550100`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CountedSource {
    /// The kind.
    pub kind: SourceKind,
    /// The key the store counts it under.
    pub key: String,
}

/// The sources a request's failures are counted under, in a fixed order.
pub fn counted_sources(context: &RequestContext) -> Vec<CountedSource> {
    let mut sources = Vec::with_capacity(3);
    let source = &context.source;
    // A withheld caller ID names nobody: many callers share it, so it is not counted (their
    // address and calling system still are).
    if let Some(caller_id) = source.caller_id.as_ref().filter(|c| !is_withheld(c.as_str())) {
        sources.push(CountedSource { kind: SourceKind::CallerId, key: format!("callerId:{caller_id}") });
    }
    if let Some(address) = source.address {
        sources.push(CountedSource { kind: SourceKind::Address, key: format!("address:{address}") });
    }
    if let Actor::CallingSystem { name } | Actor::Administrator { name, .. } = &context.actor {
        sources.push(CountedSource {
            kind: SourceKind::CallingSystem,
            key: format!("callingSystem:{}", name.to_lowercase()),
        });
    }
    sources
}

/// Whether a caller ID is a placeholder for a withheld number (`anonymous`, `unknown` ...).
fn is_withheld(caller_id: &str) -> bool {
    ["anonymous", "unknown", "restricted", "private", "unavailable", "withheld"]
        .iter()
        .any(|word| caller_id.eq_ignore_ascii_case(word))
}

/// The limit for one kind of source: failures in the window after which attempts are
/// delayed, and after which they are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Failures in the window before attempts are delayed (0: from the first attempt).
    pub delay_after: u32,
    /// Failures in the window before attempts are refused (answered as failed, unchecked).
    pub refuse_after: u32,
}

impl Limit {
    /// A limit that never applies.
    pub const NONE: Limit = Limit { delay_after: u32::MAX, refuse_after: u32::MAX };
}

/// The throttling policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// How far back failures count.
    pub window: Duration,
    /// Per caller ID (strict: one person mistyping does not get here).
    pub caller_id: Limit,
    /// Per client address (loose: a PBX's address carries all its users).
    pub address: Limit,
    /// Per calling system (loose, for the same reason).
    pub calling_system: Limit,
    /// The first delay; each further failure doubles it.
    pub first_delay: Duration,
    /// The longest delay, and the time every refused attempt waits.
    pub max_delay: Duration,
}

impl Default for ThrottlePolicy {
    /// The defaults: a caller ID is delayed after 5 failures in 15 minutes and refused after
    /// 20; an address or calling system, which carries everyone behind a PBX, after 50 and
    /// 200. Delays start at 250 ms and double up to 4 s.
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            caller_id: Limit { delay_after: 5, refuse_after: 20 },
            address: Limit { delay_after: 50, refuse_after: 200 },
            calling_system: Limit { delay_after: 50, refuse_after: 200 },
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }
}

/// What to do with an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead after waiting this long (zero: at once).
    Proceed {
        /// The wait.
        delay: Duration,
    },
    /// Answer as failed, after [`ThrottlePolicy::max_delay`], without checking the PIN or
    /// counting anything against a mailbox.
    Refuse,
}

/// How an attempt's sources stand: the verdict, and the source that decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The verdict.
    pub verdict: Verdict,
    /// The source that decided it (the worst one), with its failures in the window.
    pub worst: Option<(SourceKind, u64)>,
}

impl ThrottlePolicy {
    /// A policy that never throttles.
    pub fn off() -> Self {
        Self { caller_id: Limit::NONE, address: Limit::NONE, calling_system: Limit::NONE, ..Self::default() }
    }

    /// The limit for a kind of source.
    pub fn limit(&self, kind: SourceKind) -> Limit {
        match kind {
            SourceKind::CallerId => self.caller_id,
            SourceKind::Address => self.address,
            SourceKind::CallingSystem => self.calling_system,
        }
    }

    /// The verdict for one source with `failures` in the window.
    pub fn verdict(&self, kind: SourceKind, failures: u64) -> Verdict {
        let limit = self.limit(kind);
        if failures >= u64::from(limit.refuse_after) {
            return Verdict::Refuse;
        }
        if failures < u64::from(limit.delay_after) {
            return Verdict::Proceed { delay: Duration::ZERO };
        }
        let doublings = u32::try_from(failures - u64::from(limit.delay_after)).unwrap_or(u32::MAX).min(20);
        let delay = self.first_delay.saturating_mul(1 << doublings).min(self.max_delay);
        Verdict::Proceed { delay }
    }

    /// The verdict for an attempt from several sources: the worst of theirs.
    pub fn standing(&self, failures: &[(SourceKind, u64)]) -> Standing {
        let mut standing = Standing { verdict: Verdict::Proceed { delay: Duration::ZERO }, worst: None };
        for &(kind, count) in failures {
            let verdict = self.verdict(kind, count);
            let worse = match (verdict, standing.verdict) {
                (_, Verdict::Refuse) => false,
                (Verdict::Refuse, _) => true,
                (Verdict::Proceed { delay }, Verdict::Proceed { delay: worst }) => delay > worst,
            };
            if worse {
                standing = Standing { verdict, worst: Some((kind, count)) };
            }
        }
        standing
    }

    /// The wait before an attempt with this verdict goes on (a refusal waits the longest
    /// delay, as the failures just before it did).
    pub fn wait(&self, verdict: Verdict) -> Duration {
        match verdict {
            Verdict::Proceed { delay } => delay,
            Verdict::Refuse => self.max_delay,
        }
    }

    /// Whether `failures` (counted before this attempt) is exactly where a limit starts, so
    /// the audit log says once that the source is now delayed or refused.
    pub fn starts_stage(&self, kind: SourceKind, failures: u64) -> Option<&'static str> {
        let limit = self.limit(kind);
        if failures == u64::from(limit.refuse_after) {
            Some("refused")
        } else if failures == u64::from(limit.delay_after) && limit.delay_after < limit.refuse_after {
            Some("delayed")
        } else {
            None
        }
    }
}

/// The sign-in settings the core applies whatever the front end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInSettings {
    /// Every failed answer leaves at least this long after the attempt began (on top of a
    /// throttling delay), so that how long it took tells nothing about why it failed.
    pub failed_answer: Duration,
    /// Throttling per source.
    pub throttle: ThrottlePolicy,
}

impl SignInSettings {
    /// No floor and no throttling: for tests and tools that sign in on purpose.
    pub fn unthrottled() -> Self {
        Self { failed_answer: Duration::ZERO, throttle: ThrottlePolicy::off() }
    }
}

impl Default for SignInSettings {
    /// The service's defaults: failed answers take at least 250 ms; [`ThrottlePolicy::default`].
    fn default() -> Self {
        Self { failed_answer: Duration::from_millis(250), throttle: ThrottlePolicy::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{CallerId, Channel, Source};

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            window: Duration::from_secs(60),
            caller_id: Limit { delay_after: 2, refuse_after: 5 },
            address: Limit { delay_after: 10, refuse_after: 20 },
            calling_system: Limit::NONE,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
        }
    }

    #[test]
    fn delays_grow_then_attempts_are_refused() {
        let p = policy();
        let delays: Vec<_> = (0..7).map(|n| p.verdict(SourceKind::CallerId, n)).collect();
        let ms = |ms| Verdict::Proceed { delay: Duration::from_millis(ms) };
        assert_eq!(delays, vec![ms(0), ms(0), ms(100), ms(200), ms(350), Verdict::Refuse, Verdict::Refuse]);
        assert_eq!(p.wait(Verdict::Refuse), p.max_delay);
        assert_eq!(p.verdict(SourceKind::CallingSystem, 1_000_000), ms(0));
    }

    #[test]
    fn the_worst_source_decides() {
        let p = policy();
        let standing = p.standing(&[(SourceKind::CallerId, 0), (SourceKind::Address, 11)]);
        assert_eq!(standing.verdict, Verdict::Proceed { delay: Duration::from_millis(200) });
        assert_eq!(standing.worst, Some((SourceKind::Address, 11)));
        let standing = p.standing(&[(SourceKind::CallerId, 5), (SourceKind::Address, 11)]);
        assert_eq!(standing.verdict, Verdict::Refuse);
        assert_eq!(standing.worst, Some((SourceKind::CallerId, 5)));
        assert_eq!(p.standing(&[]).verdict, Verdict::Proceed { delay: Duration::ZERO });
    }

    #[test]
    fn stages_start_once() {
        let p = policy();
        let stages: Vec<_> = (0..7).map(|n| p.starts_stage(SourceKind::CallerId, n)).collect();
        assert_eq!(stages, vec![None, None, Some("delayed"), None, None, Some("refused"), None]);
    }

    #[test]
    fn sources_are_the_caller_id_the_address_and_the_token() {
        let caller = CallerId::parse("callerId", "+14255550100").ok();
        let context = RequestContext::new(Actor::CallingSystem { name: "PBX".into() }, Channel::Api)
            .from_source(Source::address("192.0.2.9".parse().expect("ip")).with_caller_id(caller));
        let keys: Vec<_> = counted_sources(&context).into_iter().map(|s| s.key).collect();
        assert_eq!(keys, ["callerId:+14255550100", "address:192.0.2.9", "callingSystem:pbx"]);
        assert!(counted_sources(&RequestContext::anonymous(Channel::Phone)).is_empty());
        let withheld = CallerId::parse("callerId", "Anonymous").ok();
        let context = RequestContext::anonymous(Channel::Phone)
            .from_source(Source::address("192.0.2.9".parse().expect("ip")).with_caller_id(withheld));
        let keys: Vec<_> = counted_sources(&context).into_iter().map(|s| s.key).collect();
        assert_eq!(keys, ["address:192.0.2.9"], "a withheld caller ID is not one caller");
    }
}
