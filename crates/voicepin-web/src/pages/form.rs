//! Form bodies (`application/x-www-form-urlencoded`), read into a copy that is wiped
//! afterwards (a form may carry a PIN or a password), with the session's CSRF token.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use zeroize::Zeroize;

use super::PageError;
use crate::extract::MAX_BODY_BYTES;
use crate::problem::ApiError;

/// A parsed form body.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES })?;
        let mut body: Vec<u8> = bytes.into();
        let parsed = serde_urlencoded::from_bytes::<T>(&body);
        body.zeroize();
        // serde_urlencoded's messages name the field, never the value.
        parsed.map(Form).map_err(|error| {
            PageError::Api(ApiError::InvalidBody {
                field: None,
                detail: format!("the form could not be read: {error}"),
            })
        })
    }
}
