//! A mailbox's recordings on the UM Mailbox page: the recorded name and greetings its owner
//! recorded by phone, each with a player, and their audio as WAV behind the same rights.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use voicepin_core::recording::{RecordingInfo, RecordingKind};

use super::{Admin, PageResult, when};
use crate::ApiState;
use crate::extract::Path;

/// One recording as the page shows it: a player, or "None".
pub(crate) struct RecordingView {
    pub(crate) label: &'static str,
    pub(crate) kind: &'static str,
    /// Whether there is a recording of this kind.
    pub(crate) present: bool,
    /// Its length ("4.2 s").
    pub(crate) length: String,
    /// When it was made.
    pub(crate) recorded_at: String,
}

/// Every kind of recording, in order, each with what was recorded.
pub(crate) fn views(recorded: &[RecordingInfo]) -> Vec<RecordingView> {
    RecordingKind::ALL
        .into_iter()
        .map(|kind| {
            let found = recorded.iter().find(|r| r.kind == kind);
            RecordingView {
                label: kind.label(),
                kind: kind.as_str(),
                present: found.is_some(),
                length: found
                    .map_or_else(String::new, |r| format!("{}.{} s", r.duration_ms / 1000, r.duration_ms % 1000 / 100)),
                recorded_at: when(found.map(|r| r.recorded_at)),
            }
        })
        .collect()
}

/// `GET /admin/recipients/{id}/recordings/{kind}`: the recording as 16-bit PCM WAV.
pub async fn audio(
    admin: Admin,
    State(state): State<ApiState>,
    Path((id, kind)): Path<(String, String)>,
) -> PageResult {
    let kind = match RecordingKind::parse(&kind) {
        Ok(kind) => kind,
        Err(_) => return Ok((StatusCode::NOT_FOUND, "No such recording.").into_response()),
    };
    let Some(recording) = state.voicepin.get_recording(&admin.context, &id, kind).await? else {
        return Ok((StatusCode::NOT_FOUND, "No such recording.").into_response());
    };
    let mut response: Response = recording.audio.to_wav().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
