//! The fixture: a router over a real SQLite store, with one token per role.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use voicepin_core::VoicePin;
use voicepin_core::access::Role;
use voicepin_core::hashing::{Argon2Cost, Argon2Hasher, PepperKey};
use voicepin_core::ports::SystemClock;
use voicepin_store::{MailSealer, SqliteStore};
use voicepin_web::{ApiState, AuthError, Authenticator, Principal, router};

/// The peer address every test request comes from.
pub const PEER: [u8; 4] = [203, 0, 113, 7];

/// The PIN of the seeded mailbox.
pub const ALICE_PIN: &str = "48151623";

/// A fixed table of tokens.
struct FixedTokens(HashMap<String, Principal>);

#[async_trait]
impl Authenticator for FixedTokens {
    async fn authenticate(&self, bearer: &str) -> Result<Principal, AuthError> {
        self.0.get(bearer).cloned().ok_or(AuthError::Invalid)
    }
}

/// A second Voice Service token (another PBX).
pub const SECOND_PBX: &str = "token-second-pbx";

/// The token of a role.
pub fn token(role: Role) -> String {
    format!("token-{}", role.as_str())
}

/// The principal name of a role's token.
pub fn principal_name(role: Role) -> String {
    format!("{}-admin", role.as_str())
}

/// A running API and what it must outlive.
pub struct TestApi {
    pub router: Router,
    _dir: tempfile::TempDir,
}

/// A response, its body parsed when it is JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts a problem details body with this status and code.
    pub fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.content_type(), "application/problem+json", "{}", self.text);
        assert_eq!(self.json["code"], code, "{}", self.text);
        assert_eq!(self.json["status"], status.as_u16(), "{}", self.text);
        assert_eq!(self.json["type"], format!("/problems/{code}"));
        assert!(self.json["title"].is_string() && self.json["detail"].is_string(), "{}", self.text);
    }
}

impl TestApi {
    /// An empty API.
    pub async fn empty() -> Self {
        Self::empty_with(|_| {}).await
    }

    /// An empty API over a state `tweak` changed.
    pub async fn empty_with(tweak: impl FnOnce(&mut ApiState)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("voicepin.db"), MailSealer::generate().unwrap()).await.unwrap();
        let cost = Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 };
        let hasher = Argon2Hasher::new(vec![PepperKey::generate("test").unwrap()], cost).unwrap();
        let voicepin = VoicePin::new(Arc::new(store), Arc::new(hasher), Arc::new(SystemClock));
        let mut tokens: HashMap<_, _> =
            Role::ALL.into_iter().map(|role| (token(role), Principal { name: principal_name(role), role })).collect();
        tokens.insert(SECOND_PBX.into(), Principal { name: "pbx2".into(), role: Role::VoiceService });
        let authenticator = Arc::new(FixedTokens(tokens));
        let mut state = ApiState::new(voicepin, authenticator);
        tweak(&mut state);
        let router = router(state).layer(MockConnectInfo(SocketAddr::from((PEER, 40_000))));
        Self { router, _dir: dir }
    }

    /// An API with dial plan "Main" (5 digits, with "Main Default Policy") and the mailbox
    /// alice@example.com at 12345 with the PIN [`ALICE_PIN`], not expired.
    pub async fn seeded() -> Self {
        Self::seeded_with(|_| {}).await
    }

    /// [`Self::seeded`] over a state `tweak` changed.
    pub async fn seeded_with(tweak: impl FnOnce(&mut ApiState)) -> Self {
        let api = Self::empty_with(tweak).await;
        let admin = token(Role::OrganizationManagement);
        let reply = api
            .call(
                Method::POST,
                "/api/v1/dial-plans",
                Some(&admin),
                Some(json!({"name": "Main", "numberOfDigitsInExtension": 5})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        let reply = api
            .call(
                Method::POST,
                "/api/v1/mailboxes",
                Some(&admin),
                Some(json!({
                    "identity": "alice@example.com",
                    "umMailboxPolicy": "Main Default Policy",
                    "extensions": ["12345"],
                    "pin": ALICE_PIN,
                    "pinExpired": false,
                    "firstName": "Alice",
                    "lastName": "Liddell",
                    "displayName": "Alice Liddell",
                })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        let reply = api
            .call(
                Method::POST,
                "/api/v1/admin-accounts",
                Some(&admin),
                Some(json!({"name": "bob", "role": "helpDesk"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        let reply = api
            .call(
                Method::POST,
                "/api/v1/api-tokens",
                Some(&admin),
                Some(json!({"name": "pbx1", "role": "voiceService"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        api
    }

    /// Creates an account through the API; its one-time password.
    pub async fn account(&self, name: &str, role: Role) -> String {
        let body = json!({"name": name, "role": role.as_str()});
        let admin = token(Role::OrganizationManagement);
        let reply = self.call(Method::POST, "/api/v1/admin-accounts", Some(&admin), Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json["oneTimePassword"].as_str().unwrap().to_owned()
    }

    /// Sends a request with a session cookie and, if given, a CSRF token.
    pub async fn with_cookie(
        &self,
        method: Method,
        uri: &str,
        cookie: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, format!("theme=dark; voicepin_session={cookie}"));
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        let request = match body {
            Some(body) => {
                request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap()
            }
            None => request.body(Body::empty()).unwrap(),
        };
        self.send(request).await
    }

    /// Signs in with a password: (the reply, the cookie value if one was set).
    pub async fn sign_in(&self, name: &str, password: &str) -> (Reply, Option<String>) {
        let body = json!({"name": name, "password": password});
        let reply = self.call(Method::POST, "/api/v1/sessions", None, Some(body)).await;
        let cookie = reply
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("voicepin_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        (reply, cookie)
    }

    /// Sends a JSON request (or none) and reads the reply.
    pub async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let body = body.map(|b| b.to_string());
        self.raw(method, uri, token, body.as_deref(), Some("application/json")).await
    }

    /// Sends a request with a raw body and content type.
    pub async fn raw(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
        content_type: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => {
                if let Some(content_type) = content_type {
                    request = request.header(header::CONTENT_TYPE, content_type);
                }
                request.body(Body::from(body.to_owned())).unwrap()
            }
            None => request.body(Body::empty()).unwrap(),
        };
        self.send(request).await
    }

    /// Sends a prepared request.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, text, json }
    }
}
