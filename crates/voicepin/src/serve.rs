//! `voicepin serve`: the long-running service. The HTTP API (on `http.listen`, by default
//! 127.0.0.1:8080) and the mail delivery worker run side by side until SIGTERM or SIGINT;
//! requests in flight finish, and due mail goes out, before the process ends.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::app::App;
use crate::config::HttpConfig;
use crate::http;

/// Runs the service until SIGTERM or SIGINT.
pub async fn serve(app: &App, settings: &HttpConfig, poll: Duration) -> Result<()> {
    let listener = http::bind(&settings.listen).await?;
    let address = listener.local_addr().context("reading the listening address")?;
    http::first_start_admin(&app.voicepin).await?;
    http::first_start_token(&app.voicepin).await?;

    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let (stop, mut stopped) = watch::channel(false);
    let mut http_stopped = stop.subscribe();
    let http_task =
        tokio::spawn(http::serve(listener, app.voicepin.clone(), app.metrics.clone(), settings.clone(), async move {
            let _ = http_stopped.wait_for(|s| *s).await;
        }));
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
            _ = stopped.changed() => break,
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
