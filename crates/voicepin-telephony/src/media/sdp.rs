//! SDP offer and answer (RFC 3264) for one audio stream: G.711 (PCMU, PCMA) and RFC 4733
//! telephone-event, whose payload type is whatever the offer maps it to (never assumed 101).
//!
//! The parser reads only what the answer needs (connection address, the first audio m-line,
//! rtpmap, ptime, direction) and ignores every other line, as RFC 4566 asks of unknown
//! attributes; it never panics.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

use super::g711::Law;

/// The direction attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Both ways (the default).
    SendRecv,
    /// The offerer only sends.
    SendOnly,
    /// The offerer only receives.
    RecvOnly,
    /// Neither (hold).
    Inactive,
}

impl Direction {
    /// Our direction in answer to this one.
    pub fn answer(self) -> Self {
        match self {
            Self::SendRecv => Self::SendRecv,
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            Self::Inactive => Self::Inactive,
        }
    }

    fn attribute(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }
}

/// One payload format of the m-line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    /// The payload type number.
    pub pt: u8,
    /// The encoding name from rtpmap (or the static table), upper-cased.
    pub name: String,
    /// The clock rate.
    pub rate: u32,
}

/// The parts of a session description this server uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDescription {
    /// The connection address (media level, else session level).
    pub address: IpAddr,
    /// The audio port (0: the stream is refused).
    pub port: u16,
    /// The formats in the offerer's order of preference.
    pub formats: Vec<Format>,
    /// The direction.
    pub direction: Direction,
    /// `a=ptime`, if given.
    pub ptime: Option<u32>,
}

/// Why an SDP body cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SdpError {
    /// Not an SDP we can read (no connection address, no audio m-line...).
    #[error("unreadable SDP: {0}")]
    Malformed(&'static str),
    /// No G.711 format in common (answered 488).
    #[error("no codec in common")]
    NoCommonCodec,
}

/// What offer and answer agreed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The audio codec.
    pub codec: Law,
    /// Its payload type (the static one).
    pub codec_pt: u8,
    /// The telephone-event payload type, if the offer had one at 8000 Hz.
    pub telephone_event: Option<u8>,
    /// Where to send RTP (until symmetric RTP learns better).
    pub remote: SocketAddr,
    /// Our direction.
    pub direction: Direction,
}

/// Parses an SDP body.
pub fn parse(body: &[u8]) -> Result<SessionDescription, SdpError> {
    let text = std::str::from_utf8(body).map_err(|_| SdpError::Malformed("not UTF-8"))?;
    let mut session_address = None;
    let mut media: Option<(u16, Vec<u8>)> = None;
    let mut media_address = None;
    let mut rtpmaps: Vec<(u8, String, u32)> = Vec::new();
    let mut direction = Direction::SendRecv;
    let mut ptime = None;
    let mut in_audio = false;
    let mut seen_media = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let Some((kind, value)) = line.split_once('=') else { continue };
        match kind {
            "c" => {
                let address = connection(value)?;
                if !seen_media {
                    session_address = Some(address);
                } else if in_audio {
                    media_address = Some(address);
                }
            }
            "m" => {
                seen_media = true;
                in_audio = false;
                let mut parts = value.split_whitespace();
                if media.is_none() && parts.next() == Some("audio") {
                    let port = parts
                        .next()
                        .and_then(|p| p.split('/').next()?.parse().ok())
                        .ok_or(SdpError::Malformed("bad m= port"))?;
                    let proto = parts.next().unwrap_or_default();
                    if !proto.starts_with("RTP/") {
                        continue;
                    }
                    let formats = parts.filter_map(|f| f.parse::<u8>().ok()).filter(|pt| *pt < 128).collect();
                    media = Some((port, formats));
                    in_audio = true;
                }
            }
            "a" if in_audio || !seen_media => {
                let (name, rest) = value.split_once(':').unwrap_or((value, ""));
                match name {
                    "rtpmap" if in_audio => {
                        if let Some(map) = rtpmap(rest) {
                            rtpmaps.push(map);
                        }
                    }
                    "ptime" if in_audio => ptime = rest.trim().parse().ok(),
                    "sendrecv" => direction = Direction::SendRecv,
                    "sendonly" => direction = Direction::SendOnly,
                    "recvonly" => direction = Direction::RecvOnly,
                    "inactive" => direction = Direction::Inactive,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let (port, pts) = media.ok_or(SdpError::Malformed("no audio m= line"))?;
    let address = media_address.or(session_address).ok_or(SdpError::Malformed("no c= line"))?;
    let formats = pts
        .into_iter()
        .filter_map(|pt| {
            let mapped = rtpmaps.iter().find(|(p, _, _)| *p == pt).map(|(_, name, rate)| (name.clone(), *rate));
            let (name, rate) = mapped.or_else(|| match pt {
                0 => Some(("PCMU".into(), 8000)),
                8 => Some(("PCMA".into(), 8000)),
                _ => None,
            })?;
            Some(Format { pt, name, rate })
        })
        .collect();
    Ok(SessionDescription { address, port, formats, direction, ptime })
}

fn connection(value: &str) -> Result<IpAddr, SdpError> {
    let mut parts = value.split_whitespace();
    let (net, _kind, address) = (parts.next(), parts.next(), parts.next());
    if net != Some("IN") {
        return Err(SdpError::Malformed("c= is not IN"));
    }
    let address = address.ok_or(SdpError::Malformed("c= has no address"))?;
    // A multicast TTL suffix (`/127`) is not for us but must not break the parse.
    address
        .split('/')
        .next()
        .unwrap_or_default()
        .parse()
        .map_err(|_| SdpError::Malformed("c= address is not an IP address"))
}

fn rtpmap(value: &str) -> Option<(u8, String, u32)> {
    let (pt, encoding) = value.trim().split_once(' ')?;
    let mut parts = encoding.trim().split('/');
    let name = parts.next()?.to_ascii_uppercase();
    let rate = parts.next()?.parse().ok()?;
    Some((pt.parse().ok()?, name, rate))
}

impl SessionDescription {
    /// Our choice from an offer: the first G.711 format in the offerer's order, and
    /// telephone-event at 8000 Hz on the offered payload type.
    pub fn negotiate(&self) -> Result<Negotiated, SdpError> {
        let codec = self.formats.iter().find_map(|f| match (f.name.as_str(), f.rate) {
            ("PCMU", 8000) => Some((Law::MuLaw, f.pt)),
            ("PCMA", 8000) => Some((Law::ALaw, f.pt)),
            _ => None,
        });
        let (codec, codec_pt) = codec.ok_or(SdpError::NoCommonCodec)?;
        let telephone_event = self.formats.iter().find(|f| f.name == "TELEPHONE-EVENT" && f.rate == 8000).map(|f| f.pt);
        Ok(Negotiated {
            codec,
            codec_pt,
            telephone_event,
            remote: SocketAddr::new(self.address, self.port),
            direction: self.direction.answer(),
        })
    }
}

/// The telephone-event payload type of our own offer (late offer).
pub const OFFER_TELEPHONE_EVENT: u8 = 101;

/// Writes our SDP: an answer for `negotiated`, or (with `None`) our offer of PCMU, PCMA and
/// telephone-event.
pub fn write(address: IpAddr, port: u16, session_id: u64, negotiated: Option<&Negotiated>) -> Vec<u8> {
    let ip = match address {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    };
    let mut text = format!("v=0\r\no=voicepin {session_id} {session_id} IN {ip} {address}\r\ns=voicepin\r\n");
    let _ = write!(text, "c=IN {ip} {address}\r\nt=0 0\r\n");
    let (formats, direction) = match negotiated {
        Some(n) => {
            let mut formats = vec![(n.codec_pt, n.codec.encoding_name())];
            if let Some(pt) = n.telephone_event {
                formats.push((pt, "telephone-event"));
            }
            (formats, n.direction)
        }
        None => (vec![(0, "PCMU"), (8, "PCMA"), (OFFER_TELEPHONE_EVENT, "telephone-event")], Direction::SendRecv),
    };
    let list: Vec<String> = formats.iter().map(|(pt, _)| pt.to_string()).collect();
    let _ = write!(text, "m=audio {port} RTP/AVP {}\r\n", list.join(" "));
    for (pt, name) in &formats {
        let _ = write!(text, "a=rtpmap:{pt} {name}/8000\r\n");
        if *name == "telephone-event" {
            let _ = write!(text, "a=fmtp:{pt} 0-16\r\n");
        }
    }
    let _ = write!(text, "a=ptime:20\r\na={}\r\n", direction.attribute());
    text.into_bytes()
}

/// The answer to our own offer (from the ACK): what the answerer chose among what we offered.
pub fn accept_answer(answer: &SessionDescription) -> Result<Negotiated, SdpError> {
    let mut negotiated = answer.negotiate()?;
    // The answer's direction is the answerer's; ours mirrors it.
    negotiated.direction = answer.direction.answer();
    Ok(negotiated)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const PJSIP: &str = "v=0\r\no=- 3908 3908 IN IP4 192.0.2.10\r\ns=pjmedia\r\nb=AS:84\r\nt=0 0\r\na=X-nat:0\r\n\
        m=audio 4000 RTP/AVP 8 0 96\r\nc=IN IP4 192.0.2.10\r\nb=AS:64000\r\na=rtcp:4001 IN IP4 192.0.2.10\r\n\
        a=sendrecv\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\n\
        a=fmtp:96 0-16\r\na=ssrc:1 cname:x\r\n";

    #[test]
    fn the_offerers_order_and_telephone_event_pt_are_kept() {
        let offer = parse(PJSIP.as_bytes()).unwrap();
        let n = offer.negotiate().unwrap();
        assert_eq!((n.codec, n.codec_pt, n.telephone_event), (Law::ALaw, 8, Some(96)));
        assert_eq!(n.remote, "192.0.2.10:4000".parse().unwrap());
        let answer = String::from_utf8(write("127.0.0.1".parse().unwrap(), 20000, 7, Some(&n))).unwrap();
        assert!(answer.contains("m=audio 20000 RTP/AVP 8 96\r\n"), "{answer}");
        assert!(answer.contains("a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n"), "{answer}");
        assert!(answer.contains("c=IN IP4 127.0.0.1\r\n") && answer.contains("a=sendrecv"), "{answer}");
    }

    #[test]
    fn static_types_need_no_rtpmap_and_no_telephone_event_is_none() {
        let sdp = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 16000 RTP/AVP 0\r\na=sendonly\r\n";
        let n = parse(sdp.as_bytes()).unwrap().negotiate().unwrap();
        assert_eq!((n.codec, n.telephone_event, n.direction), (Law::MuLaw, None, Direction::RecvOnly));
    }

    #[test]
    fn no_g711_is_no_common_codec() {
        let sdp = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 16000 RTP/AVP 9 18\r\na=rtpmap:9 G722/8000\r\n";
        assert_eq!(parse(sdp.as_bytes()).unwrap().negotiate(), Err(SdpError::NoCommonCodec));
        // PCMU at another rate is not G.711.
        let sdp = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 16000 RTP/AVP 97\r\na=rtpmap:97 PCMU/16000\r\n";
        assert_eq!(parse(sdp.as_bytes()).unwrap().negotiate(), Err(SdpError::NoCommonCodec));
    }

    #[test]
    fn unreadable_sdp_is_an_error_not_a_panic() {
        for sdp in
            ["", "v=0\r\n", "c=IN IP4 x\r\nm=audio 1 RTP/AVP 0\r\n", "m=audio 99999 RTP/AVP 0\r\n", "\u{0}=\u{0}"]
        {
            assert!(parse(sdp.as_bytes()).is_err(), "{sdp:?}");
        }
        assert!(parse(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn our_offer_lists_both_laws_and_telephone_event() {
        let offer = write("127.0.0.1".parse().unwrap(), 20000, 1, None);
        let parsed = parse(&offer).unwrap();
        assert_eq!(parsed.formats.iter().map(|f| f.pt).collect::<Vec<_>>(), [0, 8, 101]);
        let answer =
            "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 16000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
        let n = accept_answer(&parse(answer.as_bytes()).unwrap()).unwrap();
        assert_eq!((n.codec, n.telephone_event), (Law::ALaw, Some(101)));
    }
}
