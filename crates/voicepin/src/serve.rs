//! `voicepin serve`: the long-running service. Today it runs the mail delivery worker; the
//! HTTP API and the telephone front end join it in the same process.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};

use crate::app::App;

/// Runs until SIGTERM or SIGINT, delivering due mail every `poll` (and at once on start,
/// so messages left queued by a crash go out first).
pub async fn serve(app: &App, poll: Duration) -> Result<()> {
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let mut ticks = tokio::time::interval(poll);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(poll_seconds = poll.as_secs_f64(), "voicepin serving: mail delivery worker started");
    eprintln!("voicepin: serving; delivering mail every {}s; stop with SIGTERM or Ctrl-C", poll.as_secs_f64());
    loop {
        tokio::select! {
            _ = ticks.tick() => deliver_once(app).await,
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    eprintln!("voicepin: stopping");
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
