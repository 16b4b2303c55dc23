//! `voicepin serve`: the long-running service. The HTTP API (on `http.listen`, by default
//! 127.0.0.1:8080) and the mail delivery worker run side by side until SIGTERM or SIGINT;
//! requests in flight finish, and due mail goes out, before the process ends.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use voicepin_core::VoicePin;
use voicepin_core::access::Role;
use voicepin_core::accounts::AdminAccount;
use voicepin_core::audit::RequestContext;

use crate::app::App;
use crate::config::HttpConfig;
use crate::http;

/// Runs the service until SIGTERM or SIGINT.
pub async fn serve(app: &App, settings: &HttpConfig, poll: Duration) -> Result<()> {
    let listener = http::bind(&settings.listen).await?;
    let metrics_listener = match &settings.metrics_listen {
        Some(address) => Some(
            tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("listening on {address} (http.metrics_listen)"))?,
        ),
        None => None,
    };
    let address = listener.local_addr().context("reading the listening address")?;
    first_start_admin(&app.voicepin).await?;
    first_start_token(&app.voicepin).await?;

    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let (stop, mut http_stopped) = watch::channel(false);
    let http_task = tokio::spawn(http::serve(
        listener,
        metrics_listener,
        app.voicepin.clone(),
        app.metrics.clone(),
        settings.clone(),
        async move {
            let _ = http_stopped.wait_for(|s| *s).await;
        },
    ));
    eprintln!(
        "voicepin: serving http://{address} (API /api/v1, docs /api/docs); delivering mail every {}s; \
         stop with SIGTERM or Ctrl-C",
        poll.as_secs_f64()
    );

    let mut ticks = tokio::time::interval(poll);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => deliver_once(app).await,
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    eprintln!("voicepin: stopping");
    let _ = stop.send(true);
    match http_task.await {
        Ok(result) => result?,
        Err(error) => tracing::warn!(%error, "the HTTP server task ended abnormally"),
    }
    // Whatever is due goes out before the process ends; the rest stays queued.
    deliver_once(app).await;
    Ok(())
}

async fn deliver_once(app: &App) {
    match app.deliver_mail().await {
        Ok(report) if !report.is_empty() => {
            tracing::info!(sent = report.sent, retried = report.retried, failed = report.failed, "mail delivery");
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(error = %format!("{error:#}"), "mail delivery failed; messages stay queued"),
    }
}

/// On the first start (no administrator account at all), creates the account `admin`
/// (Organization Management) and prints its one-time password once, on standard error. It
/// must be changed at the first sign-in (`POST /api/v1/sessions`, then
/// `PUT /api/v1/account/password`). Lost: `voicepin admin recover` on the data directory.
async fn first_start_admin(voicepin: &VoicePin) -> Result<()> {
    let context = RequestContext::cli("voicepin-first-start");
    if !voicepin.list_accounts(&context).await?.is_empty() {
        return Ok(());
    }
    let (account, password) =
        voicepin.new_account(&context, AdminAccount::DEFAULT_NAME, Role::OrganizationManagement).await?;
    eprintln!(
        "voicepin: first start: administrator {:?}, one-time password (shown once): {}",
        account.name,
        password.expose()
    );
    Ok(())
}

/// On the first start (no API token at all), makes an Organization Management token and
/// prints it once: the way in for the first administrator.
async fn first_start_token(voicepin: &VoicePin) -> Result<()> {
    let context = RequestContext::cli("voicepin-first-start");
    if !voicepin.list_tokens(&context).await?.is_empty() {
        return Ok(());
    }
    let (token, secret) =
        voicepin.create_token(&context, "initial-admin", Role::OrganizationManagement, Some(30)).await?;
    eprintln!(
        "voicepin: first start: API token {:?} (Organization Management, expires in 30 days), shown once:\n\n    {}\n\n\
         Use it as `Authorization: Bearer <token>`; make named tokens with `voicepin token create` and revoke \
         this one with `voicepin token revoke initial-admin`.",
        token.name,
        secret.expose()
    );
    Ok(())
}
