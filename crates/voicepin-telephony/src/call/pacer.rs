//! One pacer for every call's outgoing RTP: a single thread on one clock sends the frame of
//! every call it carries each 20 ms, instead of one timer per call.
//!
//! The tick is an absolute deadline on the monotonic clock, cut into 20 slots of 1 ms; each
//! call has a slot (the lightest when it joins) and its packet leaves in that slot of every
//! tick, so each wake-up sends a twentieth of the frames, a short burst, and a call's phase
//! never moves. A wake-up that comes late sends the slots it missed at once (late within the
//! tick, never twice); more than a tick late, a frame is skipped, not sent in a burst, and
//! the call's RTP timestamp still follows the tick number. The thread asks for the highest
//! priority (nice -20) since it must run when its slot comes: measured on this shared 2-core
//! machine (BENCHMARKS.md), one burst of all 1,000 frames per tick at normal priority had a
//! p99 interval of 31-54 ms, a timer per call 26 ms, and the slotted pacer 21-22 ms.
//!
//! The thread is the tokio layer's, not the runtime's: it never blocks on the runtime and
//! the runtime's workers never wait for it. A call hands the pacer a [`Stream`] (its session,
//! its prompt player and a duplicate of its RTP socket) and keeps the only strong reference:
//! when the call's task ends, the pacer drops the stream in its next slot. The thread
//! sleeps on its channel while no call is up and ends when every [`Pacer`] handle is gone.

use std::net::UdpSocket;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::media::g711::Law;
use crate::media::session::{FRAME, FRAME_SAMPLES, MediaSession, Player};

/// What a call plays and where it goes: shared between the call's task (which queues prompts
/// and reads the caller's packets) and the pacer (which sends a frame each tick).
#[derive(Debug)]
pub(crate) struct Stream {
    state: Mutex<Outbound>,
    played: Notify,
    socket: Option<UdpSocket>,
}

#[derive(Debug)]
pub(crate) struct Outbound {
    /// The RTP session, once offer and answer are settled.
    pub(crate) session: Option<MediaSession>,
    player: Player,
    /// Bumped by every change the call makes to the queue, so that the end of an old queue is
    /// never taken for the end of the one that replaced it.
    generation: u64,
    /// The generation whose queue the pacer finished playing.
    finished: Option<u64>,
    /// The tick of the first frame sent: frame indexes (and RTP timestamps) count from it.
    first_tick: Option<u64>,
    frame: [u8; FRAME_SAMPLES],
    packet: Vec<u8>,
}

impl Stream {
    /// A stream sending from `socket` (a duplicate of the call's RTP socket).
    pub(crate) fn new(socket: Option<UdpSocket>, session: Option<MediaSession>) -> Arc<Self> {
        let law = session.as_ref().map_or(Law::MuLaw, MediaSession::law);
        Arc::new(Self {
            state: Mutex::new(Outbound {
                session,
                player: Player::new(law),
                generation: 0,
                finished: None,
                first_tick: None,
                frame: [0u8; FRAME_SAMPLES],
                packet: Vec::with_capacity(12 + FRAME_SAMPLES),
            }),
            played: Notify::new(),
            socket,
        })
    }

    /// The shared state; a panic elsewhere while it was held leaves it usable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Outbound> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Settles the session (the SDP came with the ACK): prompts are now encoded in its law.
    pub(crate) fn install(&self, session: MediaSession) {
        let mut state = self.lock();
        state.player = Player::new(session.law());
        state.session = Some(session);
        state.generation += 1;
        state.finished = None;
    }

    /// Queues an encoded prompt after those already queued.
    pub(crate) fn enqueue(&self, clip: Arc<[u8]>) {
        let mut state = self.lock();
        state.player.enqueue(clip);
        state.generation += 1;
        state.finished = None;
    }

    /// Stops playing and forgets the queue (barge-in).
    pub(crate) fn clear(&self) {
        let mut state = self.lock();
        state.player.clear();
        state.generation += 1;
        state.finished = None;
    }

    /// Resolves when everything queued so far has been played (and nothing was queued since).
    pub(crate) async fn played(&self) {
        loop {
            self.played.notified().await;
            let mut state = self.lock();
            if state.finished.is_some_and(|g| g == state.generation) {
                state.finished = None;
                return;
            }
        }
    }

    /// Sends the frame of tick `tick`.
    fn send(&self, tick: u64) {
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(session) = state.session.as_mut() else { return };
        let first = *state.first_tick.get_or_insert(tick);
        let ended = state.player.next_frame(&mut state.frame);
        session.write_frame(tick.saturating_sub(first), &state.frame, &mut state.packet);
        let destination = session.destination();
        if let Some(socket) = &self.socket
            && destination.port() != 0
            && !destination.ip().is_unspecified()
        {
            // The socket is non-blocking: a full send buffer drops this frame, as the network would.
            let _ = socket.send_to(&state.packet, destination);
        }
        if ended {
            state.finished = Some(state.generation);
            drop(guard);
            self.played.notify_one();
        }
    }
}

/// The handle calls register their streams with; the thread starts with the first call.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    register: OnceLock<Mutex<Sender<Weak<Stream>>>>,
}

impl Pacer {
    /// Starts pacing `stream` from the next tick, until the call drops it.
    pub(crate) fn add(&self, stream: &Arc<Stream>) {
        let register = self.register.get_or_init(|| {
            let (sender, receiver) = mpsc::channel();
            let spawned = std::thread::Builder::new().name("voicepin-rtp-pacer".into()).spawn(move || pace(&receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "the RTP pacer thread cannot start; calls will be silent");
            }
            Mutex::new(sender)
        });
        let sender = register.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = sender.send(Arc::downgrade(stream));
    }
}

/// The nice value the pacer asks for: the highest. Its work per tick is short (a frame and a
/// `sendto` per call), but it must run when the tick comes, ahead of the runtime's workers and
/// of whatever else the machine runs; the kernel grants it with CAP_SYS_NICE (or RLIMIT_NICE).
const PACER_NICE: i32 = -20;

/// Raises the calling thread's priority as far as allowed, from [`PACER_NICE`] down to 0.
fn raise_priority() {
    let thread = rustix::thread::gettid();
    for nice in PACER_NICE..0 {
        if rustix::process::setpriority_process(Some(thread), nice).is_ok() {
            tracing::debug!(nice, "RTP pacer priority raised");
            return;
        }
    }
    tracing::info!("the RTP pacer runs at normal priority (no CAP_SYS_NICE): under load its packets may be late");
}

/// Slots per tick: the calls are spread over 20 slots of 1 ms, so each wake-up sends a
/// twentieth of the frames (a short burst) and every call keeps its slot, its phase.
const SLOTS: u64 = 20;

/// The pacer thread: every slot of every tick, one frame for each stream of that slot.
fn pace(register: &Receiver<Weak<Stream>>) {
    raise_priority();
    let epoch = Instant::now();
    let slot_length = FRAME / SLOTS as u32;
    let mut slots: Vec<Vec<Weak<Stream>>> = (0..SLOTS).map(|_| Vec::new()).collect();
    let mut open = true;
    let mut done: Option<u64> = None;
    loop {
        if slots.iter().all(Vec::is_empty) {
            if !open {
                return;
            }
            // Nothing to send: sleep until a call comes (or every handle is gone).
            match register.recv() {
                Ok(stream) => slots[0].push(stream),
                Err(_) => return,
            }
        }
        loop {
            match register.try_recv() {
                Ok(stream) => {
                    if let Some(lightest) = slots.iter_mut().min_by_key(|slot| slot.len()) {
                        lightest.push(stream);
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        // Every slot due since the last wake-up, each at most once (a late wake-up sends the
        // slots it missed late, within the tick; more than a tick late, they skip a frame).
        let now = tick_at(epoch, Instant::now(), slot_length);
        let first = done.map_or(now, |d| (d + 1).max(now.saturating_sub(SLOTS - 1)));
        for sub in first..=now {
            let tick = sub / SLOTS;
            slots[(sub % SLOTS) as usize].retain(|stream| match stream.upgrade() {
                Some(stream) => {
                    stream.send(tick);
                    true
                }
                None => false,
            });
        }
        done = Some(now);
        let next = epoch + slot_length * u32::try_from(now + 1).unwrap_or(u32::MAX);
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
    }
}

/// The number of the period of `length` that `now` falls in, counted from `epoch`.
fn tick_at(epoch: Instant, now: Instant, length: Duration) -> u64 {
    let elapsed: Duration = now.saturating_duration_since(epoch);
    (elapsed.as_nanos() / length.as_nanos().max(1)) as u64
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::media::rtp;
    use crate::media::sdp::{Direction, Negotiated};

    fn session(remote: std::net::SocketAddr) -> MediaSession {
        let negotiated = Negotiated {
            codec: Law::MuLaw,
            codec_pt: 0,
            telephone_event: Some(101),
            remote,
            direction: Direction::SendRecv,
        };
        MediaSession::new(&negotiated, 0x0000_0001_0002_0003)
    }

    #[test]
    fn ticks_count_from_the_epoch() {
        let epoch = Instant::now();
        assert_eq!(tick_at(epoch, epoch, FRAME), 0);
        assert_eq!(tick_at(epoch, epoch + Duration::from_millis(19), FRAME), 0);
        assert_eq!(tick_at(epoch, epoch + Duration::from_millis(20), FRAME), 1);
        assert_eq!(tick_at(epoch, epoch + Duration::from_millis(1_010), FRAME), 50);
        assert_eq!(tick_at(epoch, epoch + Duration::from_micros(1_010_500), FRAME / 20), 1010);
        assert_eq!(tick_at(epoch + Duration::from_secs(1), epoch, FRAME), 0, "never before the epoch");
    }

    #[test]
    fn a_stream_sends_one_frame_per_tick_with_timestamps_from_the_tick_and_says_when_its_queue_ends() {
        let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
        phone.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let stream = Stream::new(Some(socket), Some(session(phone.local_addr().unwrap())));
        stream.enqueue(Arc::from(vec![7u8; 200]));
        stream.send(10);
        assert!(stream.lock().finished.is_none());
        // Tick 11 was missed: frame 12 carries the timestamp of its tick.
        stream.send(12);
        assert_eq!(stream.lock().finished, Some(1), "the queue ended in the second frame");
        let mut buffer = [0u8; 512];
        let length = phone.recv(&mut buffer).unwrap();
        let first = rtp::parse(&buffer[..length]).unwrap();
        assert_eq!((first.marker, first.seq, first.timestamp, first.payload), (true, 2, 0x0002_0003, &[7u8; 160][..]));
        let length = phone.recv(&mut buffer).unwrap();
        let second = rtp::parse(&buffer[..length]).unwrap();
        assert_eq!((second.marker, second.seq, second.timestamp), (false, 3, 0x0002_0003 + 2 * 160));
        assert_eq!(&second.payload[..40], &[7u8; 40]);
        // A prompt queued after the end is a new queue: the old end no longer counts.
        stream.enqueue(Arc::from(vec![1u8; 10]));
        assert!(stream.lock().finished.is_none());
    }

    #[tokio::test]
    async fn played_resolves_for_the_current_queue_only() {
        let stream = Stream::new(None, Some(session("127.0.0.1:9".parse().unwrap())));
        stream.enqueue(Arc::from(vec![1u8; 160]));
        stream.send(0);
        tokio::time::timeout(Duration::from_secs(5), stream.played()).await.expect("the queue was played");
        // The queue ends, but a new prompt is queued before the call looks: no end yet.
        stream.enqueue(Arc::from(vec![1u8; 160]));
        stream.send(1);
        stream.enqueue(Arc::from(vec![2u8; 320]));
        stream.send(2);
        assert!(tokio::time::timeout(Duration::from_millis(50), stream.played()).await.is_err());
        stream.send(3);
        tokio::time::timeout(Duration::from_secs(5), stream.played()).await.expect("the new queue was played");
    }

    #[test]
    fn the_pacer_paces_every_stream_until_its_call_drops_it() {
        let pacer = Pacer::default();
        let phones: Vec<UdpSocket> = (0..3).map(|_| UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
        let streams: Vec<Arc<Stream>> = phones
            .iter()
            .map(|phone| {
                phone.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let stream = Stream::new(
                    Some(UdpSocket::bind("127.0.0.1:0").unwrap()),
                    Some(session(phone.local_addr().unwrap())),
                );
                pacer.add(&stream);
                stream
            })
            .collect();
        let mut buffer = [0u8; 512];
        for phone in &phones {
            let mut sequence = Vec::new();
            for _ in 0..5 {
                let length = phone.recv(&mut buffer).unwrap();
                sequence.push(rtp::parse(&buffer[..length]).unwrap().seq);
            }
            assert_eq!(sequence, vec![2, 3, 4, 5, 6], "one packet per tick, in order");
        }
        let weak = Arc::downgrade(&streams[0]);
        drop(streams);
        assert!(weak.upgrade().is_none(), "the pacer holds no call's stream alive");
    }
}
