//! A service: a root context alone, with a timer. Every tick adds one to `tick_service.ticks`.
//!
//! Plugin configuration (JSON, optional): {"period_ms": 1000}, the timer's period.

use std::time::Duration;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, RootContext};
use proxy_wasm::types::{LogLevel, MetricType};
use serde_json::Value;

const DEFAULT_PERIOD_MS: u64 = 1000;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(TickService { ticks: None }) });
}}

struct TickService {
    ticks: Option<u32>,
}

impl Context for TickService {}

impl RootContext for TickService {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let text = self.get_plugin_configuration().unwrap_or_default();
        let period_ms = match period_from_json(&text) {
            Ok(period) => period,
            Err(problem) => {
                log::error!("tick_service: bad configuration: {problem}");
                return false;
            }
        };
        match hostcalls::define_metric(MetricType::Counter, "tick_service.ticks") {
            Ok(id) => self.ticks = Some(id),
            Err(status) => {
                log::error!("tick_service: cannot define its counter: {status:?}");
                return false;
            }
        }
        self.set_tick_period(Duration::from_millis(period_ms));
        log::info!("tick_service: ticking every {period_ms} ms");
        true
    }

    fn on_tick(&mut self) {
        if let Some(id) = self.ticks {
            let _ = hostcalls::increment_metric(id, 1);
        }
    }
}

fn period_from_json(text: &[u8]) -> Result<u64, String> {
    if text.is_empty() {
        return Ok(DEFAULT_PERIOD_MS);
    }
    let parsed: Value = serde_json::from_slice(text).map_err(|e| format!("not JSON: {e}"))?;
    match parsed.get("period_ms") {
        None => Ok(DEFAULT_PERIOD_MS),
        Some(value) => match value.as_u64() {
            Some(period) if period > 0 => Ok(period),
            _ => Err("\"period_ms\" must be a positive integer".to_string()),
        },
    }
}
