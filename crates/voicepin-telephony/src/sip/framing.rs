//! Message boundaries on a stream transport (TCP): each message is its head up to the blank
//! line plus exactly Content-Length bytes, which is mandatory on streams (RFC 3261 §18.3).
//! CRLF keep-alives between messages (RFC 5626 §3.5.1) are reported so a ping can be ponged.

/// The largest head or body accepted; more and the connection is closed.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// One thing found on the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole message, head and body.
    Message(Vec<u8>),
    /// A double-CRLF keep-alive ping: answer with one CRLF.
    Ping,
}

/// Why the stream cannot go on: the connection should be closed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// A message without Content-Length.
    #[error("a message on a stream has no Content-Length")]
    NoContentLength,
    /// A message larger than [`MAX_MESSAGE`].
    #[error("a message is larger than {MAX_MESSAGE} bytes")]
    TooLarge,
}

/// Buffers the bytes of one connection and cuts them into messages.
///
/// The search for the blank line that ends a head resumes where the last one stopped: a
/// peer sending its head a byte per segment costs a scan of each byte once, not of the whole
/// buffer per segment (the fuzzer's slowest inputs were exactly that: up to 64 KiB of head
/// rescanned for every byte, quadratic work a single connection could impose on a worker).
#[derive(Debug, Default)]
pub struct StreamFramer {
    buffer: Vec<u8>,
    /// Where a head's blank line may start: the bytes before it were searched already.
    searched: usize,
    /// Where the message whose head was found ends, while its body is still arriving.
    message_end: Option<usize>,
}

impl StreamFramer {
    /// A framer with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete frame, if there is one.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FramingError> {
        let message_end = match self.message_end {
            Some(message_end) => message_end,
            None => {
                if self.buffer.starts_with(b"\r\n\r\n") {
                    self.buffer.drain(..4);
                    self.searched = 0;
                    return Ok(Some(Frame::Ping));
                }
                // Single line breaks between messages are skipped (RFC 3261 §7.5); when the
                // buffer holds nothing else, its last 3 bytes may still begin a ping.
                let leading = self.buffer.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
                let skip = if leading == self.buffer.len() { leading.saturating_sub(3) } else { leading };
                if skip > 0 {
                    self.buffer.drain(..skip);
                    self.searched = 0;
                }
                let from = self.searched.min(self.buffer.len());
                let Some(at) = find(&self.buffer[from..], b"\r\n\r\n") else {
                    // A blank line may begin in the last 3 bytes and end in the next segment.
                    self.searched = self.buffer.len().saturating_sub(3);
                    return if self.buffer.len() > MAX_MESSAGE { Err(FramingError::TooLarge) } else { Ok(None) };
                };
                let head_end = from + at + 4;
                let length = content_length(&self.buffer[..head_end]).ok_or(FramingError::NoContentLength)?;
                if length > MAX_MESSAGE {
                    return Err(FramingError::TooLarge);
                }
                self.message_end = Some(head_end + length);
                head_end + length
            }
        };
        if self.buffer.len() < message_end {
            return Ok(None);
        }
        let message: Vec<u8> = self.buffer.drain(..message_end).collect();
        self.message_end = None;
        self.searched = 0;
        Ok(Some(Frame::Message(message)))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The Content-Length (or compact `l`) of a head.
fn content_length(head: &[u8]) -> Option<usize> {
    let head = std::str::from_utf8(head).ok()?;
    head.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        let name = name.trim();
        (name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l"))
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const MESSAGE: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabc";

    #[test]
    fn messages_are_cut_at_content_length_whatever_the_segments() {
        let mut stream = MESSAGE.to_vec();
        stream.extend_from_slice(b"\r\n\r\n");
        stream.extend_from_slice(MESSAGE);
        for chunk in [1, 2, 7, stream.len()] {
            let mut framer = StreamFramer::new();
            let mut frames = Vec::new();
            for piece in stream.chunks(chunk) {
                framer.push(piece);
                while let Some(frame) = framer.next_frame().unwrap() {
                    frames.push(frame);
                }
            }
            assert_eq!(
                frames,
                [Frame::Message(MESSAGE.to_vec()), Frame::Ping, Frame::Message(MESSAGE.to_vec())],
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn a_head_trickled_a_byte_at_a_time_is_searched_once() {
        // Regression (cargo fuzz, sip_framing): every segment rescanned the whole buffer.
        let mut head = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
        head.extend(std::iter::repeat_n(b"X-Padding: 0123456789\r\n".iter().copied(), 400).flatten());
        let mut framer = StreamFramer::new();
        for byte in &head {
            framer.push(&[*byte]);
            assert_eq!(framer.next_frame(), Ok(None));
            assert!(framer.searched + 3 >= framer.buffer.len(), "each byte is searched once");
        }
        // The blank line split across segments is still found; the body trickles in after it.
        framer.push(b"Content-Length: 2\r\n\r");
        assert_eq!(framer.next_frame(), Ok(None));
        framer.push(b"\n");
        assert_eq!(framer.next_frame(), Ok(None));
        assert!(framer.message_end.is_some(), "the head is not searched again while its body arrives");
        framer.push(b"o");
        assert_eq!(framer.next_frame(), Ok(None));
        framer.push(b"k");
        let Ok(Some(Frame::Message(message))) = framer.next_frame() else { panic!("no message") };
        assert!(message.starts_with(b"OPTIONS ") && message.ends_with(b"\r\n\r\nok"));
        assert_eq!((framer.searched, framer.message_end, framer.buffer.len()), (0, None, 0));
    }

    #[test]
    fn a_message_without_content_length_closes_the_stream() {
        let mut framer = StreamFramer::new();
        framer.push(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n");
        assert_eq!(framer.next_frame(), Err(FramingError::NoContentLength));
    }

    #[test]
    fn an_endless_head_closes_the_stream() {
        let mut framer = StreamFramer::new();
        framer.push(&vec![b'a'; MAX_MESSAGE + 1]);
        assert_eq!(framer.next_frame(), Err(FramingError::TooLarge));
        let mut framer = StreamFramer::new();
        framer.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999999999\r\n\r\n");
        assert_eq!(framer.next_frame(), Err(FramingError::TooLarge));
    }
}
