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
#[derive(Debug, Default)]
pub struct StreamFramer {
    buffer: Vec<u8>,
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
        if self.buffer.starts_with(b"\r\n\r\n") {
            self.buffer.drain(..4);
            return Ok(Some(Frame::Ping));
        }
        // Single line breaks between messages are skipped (RFC 3261 §7.5).
        let leading = self.buffer.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        if leading > 0 && leading < self.buffer.len() {
            self.buffer.drain(..leading);
        }
        let Some(head_end) = find(&self.buffer, b"\r\n\r\n").map(|i| i + 4) else {
            return if self.buffer.len() > MAX_MESSAGE { Err(FramingError::TooLarge) } else { Ok(None) };
        };
        let length = content_length(&self.buffer[..head_end]).ok_or(FramingError::NoContentLength)?;
        if length > MAX_MESSAGE {
            return Err(FramingError::TooLarge);
        }
        if self.buffer.len() < head_end + length {
            return Ok(None);
        }
        let message: Vec<u8> = self.buffer.drain(..head_end + length).collect();
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
