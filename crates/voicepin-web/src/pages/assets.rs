//! The one stylesheet, compiled into the binary.

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

const STYLESHEET: &str = include_str!("../../assets/admin.css");

/// `GET /assets/admin.css`: cached for a day (it changes only with the binary).
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        STYLESHEET,
    )
}
