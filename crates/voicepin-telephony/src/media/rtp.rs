//! RTP packets (RFC 3550 §5.1): reading the fixed header, CSRCs, extension and padding of
//! what arrives, and writing the plain 12-byte header of what we send. Never panics.

use thiserror::Error;

/// The fixed header's size.
pub const HEADER: usize = 12;

/// A received RTP packet, borrowing its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The payload type.
    pub pt: u8,
    /// The marker bit.
    pub marker: bool,
    /// The sequence number.
    pub seq: u16,
    /// The timestamp.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
    /// The payload, without padding.
    pub payload: &'a [u8],
}

/// Why bytes are not an RTP packet.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RtpError {
    /// Shorter than its headers say.
    #[error("truncated RTP packet")]
    Truncated,
    /// Not version 2.
    #[error("not RTP version 2")]
    Version,
    /// An RTCP packet (payload types 72 to 76 with the marker, RFC 5761 §4) on the RTP port.
    #[error("RTCP, not RTP")]
    Rtcp,
}

/// Reads one packet.
pub fn parse(bytes: &[u8]) -> Result<Packet<'_>, RtpError> {
    if bytes.len() < HEADER {
        return Err(RtpError::Truncated);
    }
    if bytes[0] >> 6 != 2 {
        return Err(RtpError::Version);
    }
    if (200..=204).contains(&bytes[1]) {
        return Err(RtpError::Rtcp);
    }
    let padding = bytes[0] & 0x20 != 0;
    let extension = bytes[0] & 0x10 != 0;
    let csrcs = usize::from(bytes[0] & 0x0f);
    let mut start = HEADER + 4 * csrcs;
    if extension {
        let words = bytes.get(start + 2..start + 4).ok_or(RtpError::Truncated)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    let mut end = bytes.len();
    if padding {
        let pad = usize::from(*bytes.last().ok_or(RtpError::Truncated)?);
        end = end.checked_sub(pad).ok_or(RtpError::Truncated)?;
    }
    if start > end {
        return Err(RtpError::Truncated);
    }
    Ok(Packet {
        pt: bytes[1] & 0x7f,
        marker: bytes[1] & 0x80 != 0,
        seq: u16::from_be_bytes([bytes[2], bytes[3]]),
        timestamp: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        ssrc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        payload: &bytes[start..end],
    })
}

/// Writes a packet with no CSRC, extension or padding into `out` (cleared first).
pub fn write(out: &mut Vec<u8>, pt: u8, marker: bool, seq: u16, timestamp: u32, ssrc: u32, payload: &[u8]) {
    out.clear();
    out.push(0x80);
    out.push((pt & 0x7f) | if marker { 0x80 } else { 0 });
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_written_packet_reads_back() {
        let mut out = Vec::new();
        write(&mut out, 96, true, 65535, 0xdead_beef, 42, &[1, 2, 3]);
        let packet = parse(&out).unwrap();
        assert_eq!(
            packet,
            Packet { pt: 96, marker: true, seq: 65535, timestamp: 0xdead_beef, ssrc: 42, payload: &[1, 2, 3] }
        );
    }

    #[test]
    fn csrcs_extensions_and_padding_are_skipped() {
        let mut bytes = vec![0xb1, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2];
        bytes.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        bytes.extend_from_slice(&[0xbe, 0xde, 0, 1, 7, 7, 7, 7]); // a one-word extension
        bytes.extend_from_slice(&[5, 6]);
        bytes.extend_from_slice(&[0, 2]); // two bytes of padding
        assert_eq!(parse(&bytes).unwrap().payload, &[5, 6]);
    }

    #[test]
    fn broken_packets_are_errors() {
        assert_eq!(parse(&[0x80; 11]), Err(RtpError::Truncated));
        assert_eq!(parse(&[0x40; 12]), Err(RtpError::Version));
        assert_eq!(parse(&[0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), Err(RtpError::Truncated));
        assert_eq!(parse(&[0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]), Err(RtpError::Truncated));
        assert_eq!(parse(&[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200]), Err(RtpError::Truncated));
        assert_eq!(parse(&[0x81, 200, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0]), Err(RtpError::Rtcp));
    }
}
