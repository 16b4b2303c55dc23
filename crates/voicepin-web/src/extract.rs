//! Request extractors whose rejections are problem details, never axum's plain text.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use voicepin_wire::OWN_MESSAGE;
use zeroize::Zeroize;

use crate::problem::ApiError;

/// The largest request body the API reads; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body. Unlike `axum::Json`, every failure is an [`ApiError`], and what
/// serde says about a value is cut so that the value (perhaps a PIN) is never echoed.
#[derive(Debug)]
pub struct Json<T>(pub T);

fn is_json(content_type: Option<&str>) -> bool {
    let Some(media_type) = content_type.and_then(|v| v.split(';').next()) else {
        return false;
    };
    let media_type = media_type.trim().to_ascii_lowercase();
    media_type == "application/json" || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        if !is_json(content_type) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| match rejection {
            BytesRejection::FailedToBufferBody(_) if is_length_limit(&rejection) => {
                ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES }
            }
            _ => ApiError::BodyUnreadable,
        })?;
        // The body may carry a PIN: work on an owned copy that is wiped afterwards.
        let mut body: Vec<u8> = bytes.into();
        let parsed = parse_json(&body);
        body.zeroize();
        parsed.map(Json)
    }
}

fn is_length_limit(rejection: &BytesRejection) -> bool {
    rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE
}

/// Parses a body, turning serde's errors into problems that name the property at fault.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let result = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        body_error(&path, &error.into_inner())
    });
    let value = result?;
    // Trailing characters after a complete value are malformed JSON too.
    deserializer.end().map_err(|error| body_error(".", &error))?;
    // Every request body is an object; serde would also take a struct from an array.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::InvalidBody { field: None, detail: "expected a JSON object".to_owned() });
    }
    Ok(value)
}

fn body_error(path: &str, error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let position = format!("line {} column {}", error.line(), error.column());
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            // serde_json's syntax messages describe the position, never the content.
            let message = error.to_string();
            let message = message.split(" at line ").next().unwrap_or("").to_owned();
            ApiError::MalformedJson(format!("{message} at {position}"))
        }
        Category::Data => {
            let message = error.to_string();
            if let Some(field) = quoted_after(&message, "unknown field `") {
                let field = if path == field || path.ends_with(&format!(".{field}")) {
                    path.to_owned()
                } else if path == "." || path.is_empty() {
                    field
                } else {
                    format!("{path}.{field}")
                };
                return ApiError::UnknownField { field };
            }
            if let Some(field) = quoted_after(&message, "missing field `") {
                let field = if path == "." || path.is_empty() { field } else { format!("{path}.{field}") };
                return ApiError::InvalidBody {
                    detail: format!("the property {field:?} is required"),
                    field: Some(field),
                };
            }
            let field = (path != "." && !path.is_empty()).then(|| path.to_owned());
            // "invalid type: string \"1234\", expected u32": keep only what was expected.
            let expected = message
                .split(" at line ")
                .next()
                .and_then(|m| m.rsplit_once(", expected ").map(|(_, expected)| expected.to_owned()))
                .or_else(|| custom_message(&message));
            let detail = match (&field, expected) {
                (Some(field), Some(expected)) => format!("{field}: expected {expected}"),
                (Some(field), None) => format!("{field}: the value has the wrong type or form"),
                (None, Some(expected)) => format!("expected {expected}"),
                (None, None) => "the body has the wrong shape".to_owned(),
            };
            ApiError::InvalidBody { field, detail }
        }
    }
}

fn custom_message(message: &str) -> Option<String> {
    let rest = message.strip_prefix(OWN_MESSAGE)?;
    Some(rest.split(" at line ").next().unwrap_or(rest).to_owned())
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next().map(str::to_owned)
}

/// Query parameters, with problem-details rejections.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(error)) => {
                // "Failed to deserialize query string: limit: invalid digit found in string"
                let message = error.body_text();
                let detail = message.split_once(": ").map_or(message.as_str(), |(_, rest)| rest).to_owned();
                Err(ApiError::InvalidQuery { detail })
            }
            Err(_) => Err(ApiError::InvalidQuery { detail: "the query string could not be read".to_owned() }),
        }
    }
}

/// Path parameters, with problem-details rejections.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(_) => {
                Err(ApiError::InvalidQuery { detail: "the path could not be read (bad percent-encoding?)".into() })
            }
        }
    }
}
