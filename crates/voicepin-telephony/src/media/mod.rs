//! Media: SDP, RTP, G.711, prompts and DTMF.
